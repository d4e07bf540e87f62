/**
 * The warehouse boundary: the few operations the runner needs, small enough that Postgres,
 * BigQuery or Databricks can follow DuckDB and Snowflake. SQL that differs between warehouses is
 * produced by the adapter's `dialect`, never by string checks elsewhere.
 */

export type Row = Record<string, unknown>;

/**
 * A moment as the text both warehouses read into a TIMESTAMP (without time zone) column and give
 * back: UTC, `YYYY-MM-DD HH:MM:SS.fff`, no zone suffix.
 */
export function utcTimestampText(moment: Date): string {
  return moment.toISOString().replace('T', ' ').replace('Z', '');
}

export interface SqlDialect {
  /**
   * An identifier of something the runner creates (schema, table, column), quoted the one way the
   * warehouse resolves it the same as the unquoted name in our DDL. Every statement the runner
   * writes names its own objects through this, DDL and DML alike.
   */
  ident(name: string): string;
  /** Reference a model column by the name dbt users write (Snowflake folds unquoted names to upper case). */
  column(name: string): string;
  /** Quote a string literal. */
  literal(value: string): string;
  /** A stable hex hash (md5) of a JSON text built from the given column expressions, in order. */
  rowHash(columnExprs: string[]): string;
  /** An expression building a JSON object text from name → expression pairs. */
  jsonObject(pairs: [string, string][]): string;
  /** Fully qualified name of a state table, e.g. `"demo"."klaviyo_runner"."snapshot"`. */
  stateTable(schema: string, table: string): string;
  /**
   * Where the state's scratch rows (`stage`) go when the warehouse has a temporary table of the
   * session's own for them: `name` in statements, `createAs` in its `create temporary table`
   * (DuckDB takes a bare name there). Absent, they go to the state schema's `stage` table.
   */
  readonly sessionStage?: { name: string; createAs: string };
  /**
   * The current time in UTC as a timestamp without time zone, whatever the session's time zone:
   * state tables keep TIMESTAMP columns and the runner reads them as UTC.
   */
  readonly nowUtc: string;
  /**
   * Whole seconds from a TIMESTAMP column's value to `nowUtc`, computed by the warehouse, so an age
   * never depends on how a driver hands timestamps to JavaScript.
   */
  secondsSince(expr: string): string;
  /**
   * `expr` with every match of the regular expression `pattern` replaced by `replacement` (both
   * plain text, quoted here). DuckDB replaces the first match unless given the `g` option; Snowflake
   * replaces all by default and reads a fourth argument as the position to start at.
   */
  regexpReplaceAll(expr: string, pattern: string, replacement: string): string;
  /** Whether the whole of `expr` matches the regular expression `pattern` (plain text, quoted here). */
  regexpFullMatch(expr: string, pattern: string): string;
}

/** Something about the session the user should know, said by `sync` and `plan` (docs/value-rules.md). */
export interface WarehouseWarning {
  event: 'warehouse.time_zone' | 'warehouse.memory';
  message: string;
}

export interface Warehouse {
  readonly kind: 'duckdb' | 'snowflake';
  readonly dialect: SqlDialect;
  /** What the session could not be set up to do; absent or empty when it is as the runner needs. */
  readonly warnings?: readonly WarehouseWarning[];
  /** Run a statement that returns rows; small results only. */
  query(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Run a statement for its effect. */
  execute(sql: string, params?: unknown[]): Promise<void>;
  /** Stream a large result in chunks of at most `chunkSize` rows; never holds the whole result. */
  stream(sql: string, params?: unknown[], chunkSize?: number): AsyncIterable<Row[]>;
  /** Insert many rows into an existing table, in bulk (DuckDB: appended in memory, then one INSERT … SELECT; Snowflake: array binds). */
  insertRows(table: string, columns: string[], rows: unknown[][]): Promise<void>;
  /** Real column names and types of a relation (lower-cased names). */
  columns(relationName: string): Promise<{ name: string; type: string }[]>;
  /**
   * Runs `work` as one transaction: no other statement of the run comes between its `begin` and
   * its `commit` (serial.ts), and an error inside rolls it back and is thrown. `work` runs its
   * statements on `tx`: the run's other statements wait for the commit, so one sent on the run's
   * warehouse from inside would wait for its own transaction.
   */
  transaction<T>(work: (tx: Warehouse) => Promise<T>): Promise<T>;
  /**
   * DuckDB opened read-only (`plan`): DuckDB's memory budget made small until the function it
   * returns is called, for reads that need little memory after a statement that needed much
   * (state/diff.ts, a small change read by its keys). The smaller budget makes DuckDB let go of the
   * file's blocks it cached and cache fewer of those it reads next (duckdb-budget.ts). Absent
   * elsewhere: a sync's other statements run beside its reads and may need the whole budget.
   */
  readonly smallReads?: () => Promise<() => Promise<void>>;
  /**
   * DuckDB: raises its memory budget after a statement failed for lack of it (state/diff.ts), for
   * the rest of the run, and says so through the `warn` it was opened with; the new budget, or null
   * when it stays: one the user set, or DuckDB's own default reached (duckdb-budget.ts).
   */
  readonly moreMemory?: () => Promise<string | null>;
  /** Release the connection (DuckDB: the file lock, so the next `dbt build` can open it). */
  close(): Promise<void>;
}
