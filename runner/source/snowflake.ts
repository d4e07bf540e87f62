/**
 * Snowflake, the production warehouse, through snowflake-sdk with the settings of the user's dbt
 * target. Results stream (`streamResult`) so a 50-million-row diff never sits in memory; the
 * dialect builds JSON with OBJECT_CONSTRUCT_KEEP_NULL so a null is part of the row hash.
 */
import snowflake from 'snowflake-sdk';
import { WarehouseError } from '../errors.ts';
import type { SnowflakeAuth, SnowflakeConnection } from '../config/snowflake-target.ts';
import { serialized } from './serial.ts';
import {
  utcTimestampText,
  type Row,
  type SqlDialect,
  type Warehouse,
  type WarehouseWarning,
} from './warehouse.ts';

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
const quoteLiteral = (value: string) => `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
const SIMPLE_NAME = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/**
 * Snowflake stores an unquoted identifier in upper case and matches a quoted one exactly
 * (https://docs.snowflake.com/en/sql-reference/identifiers-syntax), so `insert into t ("run_id")`
 * fails on a table created as `(run_id varchar)`. The runner's own names are therefore always
 * written upper-cased and quoted: the same object as the unquoted name, and safe for any word.
 */
export const snowflakeIdent = (name: string) =>
  quoteIdent(SIMPLE_NAME.test(name) ? name.toUpperCase() : name);

export function snowflakeDialect(database: string): SqlDialect {
  const dialect: SqlDialect = {
    ident: snowflakeIdent,
    column: (name) => (SIMPLE_NAME.test(name) ? name : quoteIdent(name)),
    literal: quoteLiteral,
    rowHash: (exprs) => `md5(${dialect.jsonObject(exprs.map((e, i) => [`c${i}`, e]))})`,
    jsonObject: (pairs) =>
      pairs.length === 0
        ? `'{}'`
        : `to_json(object_construct_keep_null(${pairs.map(([k, e]) => `${quoteLiteral(k)}, ${e}`).join(', ')}))`,
    stateTable: (schema, table) => [database, schema, table].map(snowflakeIdent).join('.'),
    // current_timestamp is in the session's time zone (America/Los_Angeles by default); sysdate() is UTC.
    // https://docs.snowflake.com/en/sql-reference/functions/sysdate
    nowUtc: 'sysdate()',
    // https://docs.snowflake.com/en/sql-reference/functions/datediff
    secondsSince: (expr) => `datediff(second, ${expr}, sysdate())`,
    // REGEXP_REPLACE(subject, pattern, replacement, position, occurrence, parameters): occurrence 0,
    // the default, replaces every match (https://docs.snowflake.com/en/sql-reference/functions/regexp_replace).
    regexpReplaceAll: (expr, pattern, replacement) =>
      `regexp_replace(${expr}, ${quoteLiteral(pattern)}, ${quoteLiteral(replacement)})`,
    // REGEXP_LIKE anchors its pattern at both ends (https://docs.snowflake.com/en/sql-reference/functions/regexp_like).
    regexpFullMatch: (expr, pattern) => `regexp_like(${expr}, ${quoteLiteral(pattern)})`,
  };
  return dialect;
}

/** The first line of a statement, short enough for an error message. */
export function statementSummary(sqlText: string): string {
  const flat = sqlText.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 157)}...` : flat;
}

function refused(sqlText: string, error: unknown): WarehouseError {
  const message = error instanceof Error ? error.message : String(error);
  return new WarehouseError(`Snowflake refused \`${statementSummary(sqlText)}\`: ${message}`);
}

/**
 * A bound value as text. The driver types each bound column from its first row (37 makes the
 * column FIXED, and 37.19 in a later row then fails), so every value goes as TEXT and Snowflake
 * casts it to the column's declared type on insert, the same for every row. Timestamps go as
 * UTC text without a zone, the form TIMESTAMP_NTZ columns store.
 */
export function bindText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (value instanceof Date) return utcTimestampText(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * A result row with lower-cased column names and timestamps as UTC text `YYYY-MM-DD HH:MM:SS.fff`
 * (the driver returns TIMESTAMP columns as Date objects; DuckDB returns text), so callers read one
 * form from either warehouse.
 */
export function normaliseRow(row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) out[k.toLowerCase()] = v instanceof Date ? bindText(v) : v;
  return out;
}

/**
 * Rows per array-bound INSERT: under the driver's CLIENT_STAGE_ARRAY_BINDING_THRESHOLD (65,280
 * bound values; https://docs.snowflake.com/en/sql-reference/parameters#client-stage-array-binding-threshold)
 * the values travel inline in one statement; above it the driver would first create a temporary
 * stage and PUT them there, which needs CREATE STAGE on the schema, a right a sync role may lack.
 */
export function rowsPerInsert(columns: number): number {
  return Math.max(1, Math.min(10_000, Math.floor(65_280 / Math.max(1, columns))));
}

type SfConnection = ReturnType<typeof snowflake.createConnection>;

function run(conn: SfConnection, sqlText: string, binds?: unknown[]): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    conn.execute({
      sqlText,
      binds: binds as snowflake.Binds,
      complete: (error, _stmt, rows) =>
        error ? reject(refused(sqlText, error)) : resolve(((rows ?? []) as Row[]).map(normaliseRow)),
    });
  });
}

/** The driver's options for each supported way to authenticate (snowflake-sdk's `authenticator`). */
export function authOptions(auth: SnowflakeAuth): Partial<snowflake.ConnectionOptions> {
  switch (auth.method) {
    case 'password':
      return { password: auth.password };
    case 'key_pair':
      return { authenticator: 'SNOWFLAKE_JWT', privateKey: auth.privateKeyPem };
    case 'oauth':
      return { authenticator: 'OAUTH', token: auth.token };
    case 'externalbrowser':
      return { authenticator: 'EXTERNALBROWSER' };
    case 'username_password_mfa':
      return { authenticator: 'USERNAME_PASSWORD_MFA', password: auth.password };
  }
}

/**
 * Sets the session's time zone to UTC. Snowflake shows a TIMESTAMP_LTZ value in the session's
 * TIMEZONE (https://docs.snowflake.com/en/sql-reference/parameters#timezone), the account's or the
 * user's unless the session sets it, and so writes it into a row's JSON text: without this, a row
 * holding one would hash differently, and be sent again, when the runner's user or account changed
 * zone. A session that does not take the setting (an emulator) is used as it is, and said.
 */
async function pinTimeZone(conn: SfConnection): Promise<WarehouseWarning[]> {
  try {
    await run(conn, "alter session set timezone = 'UTC'");
    return [];
  } catch (error) {
    return [
      {
        event: 'warehouse.time_zone',
        message: `${error instanceof Error ? error.message : String(error)}: TIMESTAMP_LTZ columns are read in the session's own time zone, and a row holding one is sent again if that zone changes.`,
      },
    ];
  }
}

export async function openSnowflake(connection: SnowflakeConnection): Promise<Warehouse> {
  snowflake.configure({ logLevel: 'ERROR' });
  let conn: SfConnection;
  try {
    conn = snowflake.createConnection({
      account: connection.account,
      username: connection.user,
      ...authOptions(connection.auth),
      role: connection.role,
      warehouse: connection.warehouse,
      database: connection.database,
      schema: connection.schema,
      queryTag: connection.queryTag,
      accessUrl: process.env.KLAVIYO_RUNNER_SNOWFLAKE_URL ?? connection.accessUrl,
    });
  } catch (error) {
    throw new WarehouseError(
      `Snowflake: the connection settings were refused (${error instanceof Error ? error.message : String(error)}).`,
    );
  }
  const connecting = (resolve: () => void, reject: (e: Error) => void) => (error: unknown) =>
    error
      ? reject(
          new WarehouseError(
            `Snowflake: could not connect (${error instanceof Error ? error.message : String(error)}).`,
          ),
        )
      : resolve();
  await new Promise<void>((resolve, reject) => {
    if (connection.auth.method === 'externalbrowser')
      // Browser SSO needs the asynchronous connect (it waits for the browser's redirect).
      conn.connectAsync(connecting(resolve, reject)).catch(reject);
    else conn.connect(connecting(resolve, reject));
  });
  const warnings = await pinTimeZone(conn);
  return serialized({
    kind: 'snowflake',
    dialect: snowflakeDialect(connection.database),
    warnings,
    query: (sql, params) => run(conn, sql, params?.map(bindText)),
    execute: async (sql, params) => {
      await run(conn, sql, params?.map(bindText));
    },
    async *stream(sql, params, chunkSize = 5000) {
      let buffer: Row[] = [];
      try {
        const statement = conn.execute({
          sqlText: sql,
          binds: params?.map(bindText),
          streamResult: true,
        });
        for await (const row of statement.streamRows() as AsyncIterable<Row>) {
          buffer.push(normaliseRow(row));
          if (buffer.length >= chunkSize) {
            yield buffer;
            buffer = [];
          }
        }
      } catch (error) {
        // The driver raises its own OperationFailedError while streaming; it is a refusal like any other.
        throw refused(sql, error);
      }
      if (buffer.length > 0) yield buffer;
    },
    insertRows: async (table, columns, rows) => {
      const perInsert = rowsPerInsert(columns.length);
      const sql = `insert into ${table} (${columns.map(snowflakeIdent).join(', ')}) values (${columns.map(() => '?').join(', ')})`;
      for (let i = 0; i < rows.length; i += perInsert) {
        const batch = rows.slice(i, i + perInsert).map((row) => {
          if (row.length !== columns.length)
            throw new WarehouseError(
              `insertRows(${table}): a row has ${row.length} values for ${columns.length} columns.`,
            );
          return row.map(bindText);
        });
        await run(conn, sql, batch);
      }
    },
    columns: async (relationName) => {
      const rows = await run(conn, `describe table ${relationName}`);
      return rows.map((r) => ({ name: String(r.name).toLowerCase(), type: String(r.type) }));
    },
    close: () => new Promise((resolve) => conn.destroy(() => resolve())),
  });
}
