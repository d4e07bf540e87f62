/**
 * The runner's state, kept in the warehouse beside the data (docs/architecture.md#where-state-lives), created
 * on first use. Every table is keyed by sync (the exposure name), so syncs never share rows.
 *
 *   snapshot   what Klaviyo last confirmed per row: key, row hash, the row's synced values (for
 *              field-level diffs and clearing properties), the Klaviyo profile id when known
 *   runs       one row per runner invocation, with its status and counts
 *   jobs       profile import jobs as soon as Klaviyo accepts them, so a crashed run resumes them
 *   job_rows   the rows of each job (key, hash, values), confirmed when the job completes
 *   rejected   rows refused (by the runner or by Klaviyo) with the reason; not resent until changed
 *   changed_events  events whose model row changed after Klaviyo stored them, with the hash they were
 *              reported under: reported once, and not read out of the warehouse again until that
 *              row changes again (Klaviyo keeps an event as first stored)
 *   locks      one holder per sync, so two runs never send the same sync at once
 *   syncs      per sync, when its first full load finished (until then events go as backfill)
 *   withdrawals  per sync, key and channel, when the runner sent Klaviyo a withdrawal of consent;
 *              a later subscription needs consent dated after it
 *   configs    per sync, the `config.meta.klaviyo` block the snapshot was confirmed under, so a
 *              plan can explain what an exposure change does before it ships
 *   deletions  per deletion sync and row, each identifier of a person to erase (as a SHA-256, never
 *              the value), whether its deletion was requested and whether the person's rows were
 *              removed from the other syncs' state (docs/privacy-deletions.md)
 *   stage      scratch rows for bulk upserts; on DuckDB a temporary table of the session
 *              (`SqlDialect.sessionStage`), so they never reach the file
 */
import type { Warehouse } from '../source/warehouse.ts';

export type StateTable =
  | 'snapshot'
  | 'runs'
  | 'jobs'
  | 'job_rows'
  | 'rejected'
  | 'changed_events'
  | 'locks'
  | 'syncs'
  | 'withdrawals'
  | 'configs'
  | 'deletions'
  | 'stage';

export interface State {
  wh: Warehouse;
  schema: string;
  table(name: StateTable): string;
}

/**
 * The state in `schema`, in the connection's database, or in `database` when the snapshot lives in
 * another one (production's state read from a pull request's CI database).
 */
/**
 * Runs `work` as one transaction of the state's warehouse (warehouse.ts, `transaction`), handing
 * it the state as seen from inside that transaction: every statement of the work goes on `tx`.
 */
export function inTransaction<T>(state: State, work: (tx: State) => Promise<T>): Promise<T> {
  return state.wh.transaction((wh) => work({ ...state, wh }));
}

export function stateOf(wh: Warehouse, schema: string, database: string | null = null): State {
  return { wh, schema, table: (name) => stateTableName(wh, schema, database, name) };
}

function stateTableName(wh: Warehouse, schema: string, database: string | null, name: string): string {
  const d = wh.dialect;
  if (name === 'stage' && d.sessionStage !== undefined) return d.sessionStage.name;
  return database === null
    ? d.stateTable(schema, name)
    : `${d.ident(database)}.${d.ident(schema)}.${d.ident(name)}`;
}

const TEXT = 'varchar';
const TIME = 'timestamp';
const REQUIRED = ' not null';

/** Column name → type of each state table; the DDL is written from it by the warehouse's dialect. */
const COLUMNS: Record<StateTable, [string, string][]> = {
  snapshot: [
    ['sync', TEXT + REQUIRED],
    ['key', TEXT + REQUIRED],
    ['row_hash', TEXT + REQUIRED],
    ['row_json', TEXT],
    ['klaviyo_profile_id', TEXT],
    ['confirmed_at', TIME + REQUIRED],
    ['run_id', TEXT + REQUIRED],
  ],
  runs: [
    ['run_id', TEXT + REQUIRED],
    ['command', TEXT + REQUIRED],
    ['started_at', TIME + REQUIRED],
    ['finished_at', TIME],
    ['status', TEXT + REQUIRED],
    ['summary_json', TEXT],
  ],
  jobs: [
    ['run_id', TEXT + REQUIRED],
    ['sync', TEXT + REQUIRED],
    ['job_id', TEXT + REQUIRED],
    ['kind', TEXT + REQUIRED],
    ['submitted_at', TIME + REQUIRED],
    ['status', TEXT + REQUIRED],
    ['finished_at', TIME],
  ],
  job_rows: [
    ['job_id', TEXT + REQUIRED],
    ['sync', TEXT + REQUIRED],
    ['key', TEXT + REQUIRED],
    ['row_hash', TEXT + REQUIRED],
    ['row_json', TEXT],
  ],
  rejected: [
    ['sync', TEXT + REQUIRED],
    ['key', TEXT + REQUIRED],
    ['row_hash', TEXT],
    ['column_name', TEXT],
    ['reason', TEXT + REQUIRED],
    ['source', TEXT + REQUIRED],
    ['run_id', TEXT + REQUIRED],
    ['rejected_at', TIME + REQUIRED],
  ],
  changed_events: [
    ['sync', TEXT + REQUIRED],
    ['key', TEXT + REQUIRED],
    ['row_hash', TEXT + REQUIRED],
    ['run_id', TEXT + REQUIRED],
    ['reported_at', TIME + REQUIRED],
  ],
  locks: [
    ['sync', TEXT + REQUIRED],
    ['run_id', TEXT + REQUIRED],
    ['holder', TEXT],
    ['acquired_at', TIME + REQUIRED],
    ['heartbeat_at', TIME + REQUIRED],
  ],
  syncs: [
    ['sync', TEXT + REQUIRED],
    ['first_load_done_at', TIME],
  ],
  withdrawals: [
    ['sync', TEXT + REQUIRED],
    ['key', TEXT + REQUIRED],
    ['channel', TEXT + REQUIRED],
    ['withdrawn_at', TIME + REQUIRED],
    ['run_id', TEXT + REQUIRED],
  ],
  configs: [
    ['sync', TEXT + REQUIRED],
    ['model', TEXT + REQUIRED],
    ['config_json', TEXT + REQUIRED],
    ['run_id', TEXT + REQUIRED],
    ['recorded_at', TIME + REQUIRED],
  ],
  deletions: [
    ['sync', TEXT + REQUIRED],
    ['key', TEXT + REQUIRED],
    ['identifier', TEXT + REQUIRED],
    ['value_hash', TEXT + REQUIRED],
    ['status', TEXT + REQUIRED],
    ['run_id', TEXT + REQUIRED],
    ['recorded_at', TIME + REQUIRED],
    ['forgotten_at', TIME],
  ],
  stage: [
    ['batch_id', TEXT + REQUIRED],
    ['key', TEXT + REQUIRED],
    ['row_hash', TEXT],
    ['row_json', TEXT],
    ['klaviyo_profile_id', TEXT],
  ],
};

/** `create table if not exists` for a table of the runner's, every name quoted by the dialect. */
export function createTableSql(
  wh: Warehouse,
  table: string,
  columns: [string, string][],
  temporary = false,
): string {
  return `create ${temporary ? 'temporary ' : ''}table if not exists ${table} (${columns.map(([name, type]) => `${wh.dialect.ident(name)} ${type}`).join(', ')})`;
}

export async function ensureStateSchema(state: State): Promise<void> {
  const { wh } = state;
  await wh.execute(`create schema if not exists ${wh.dialect.ident(state.schema)}`);
  for (const [name, columns] of Object.entries(COLUMNS)) {
    const sessionStage = name === 'stage' ? wh.dialect.sessionStage : undefined;
    await wh.execute(
      sessionStage === undefined
        ? createTableSql(wh, state.table(name as StateTable), columns)
        : createTableSql(wh, sessionStage.createAs, columns, true),
    );
  }
}

/** A relation with a state table's columns and no rows, for a table that does not exist yet. */
export function emptyStateTable(wh: Warehouse, name: StateTable): string {
  const columns = COLUMNS[name].map(
    ([column, type]) => `cast(null as ${type.replace(REQUIRED, '')}) as ${wh.dialect.ident(column)}`,
  );
  return `(select ${columns.join(', ')} where 1 = 0)`;
}

/** Errors a warehouse gives for a relation that is not there (or that this role cannot see). */
const MISSING = /does not exist|not authorized|not found|Catalog Error/i;

/**
 * The state for a run that must write nothing (`plan` in a pull request, with a read-only role):
 * tables are probed with a select, never created; one that is missing (a state schema no sync has
 * created yet) reads as empty. `missing` lists them, so the plan can say it planned against an
 * empty snapshot.
 */
export async function readOnlyStateOf(
  wh: Warehouse,
  schema: string,
  database: string | null = null,
): Promise<{ state: State; missing: StateTable[] }> {
  const missing: StateTable[] = [];
  for (const name of Object.keys(COLUMNS) as StateTable[]) {
    try {
      await wh.query(`select 1 as n from ${stateTableName(wh, schema, database, name)} where 1 = 0`);
    } catch (error) {
      if (!MISSING.test(error instanceof Error ? error.message : String(error))) throw error;
      missing.push(name);
    }
  }
  const state: State = {
    wh,
    schema,
    table: (name) =>
      missing.includes(name) ? emptyStateTable(wh, name) : stateTableName(wh, schema, database, name),
  };
  return { state, missing };
}

/**
 * The same state without one sync's snapshot rows: that sync plans as if it started over, while
 * an `after` join still sees what the other syncs confirmed.
 */
export function withoutSnapshotOf(state: State, sync: string): State {
  return {
    ...state,
    table: (name) =>
      name === 'snapshot'
        ? `(select * from ${state.table('snapshot')} where sync <> ${state.wh.dialect.literal(sync)})`
        : state.table(name),
  };
}
