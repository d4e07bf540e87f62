/**
 * Snowflake, the production warehouse, through snowflake-sdk with the settings of the user's dbt
 * target. Results stream (`streamResult`) so a 50-million-row diff never sits in memory; the
 * dialect builds JSON with OBJECT_CONSTRUCT_KEEP_NULL so a null is part of the row hash.
 */
import { readFileSync } from 'node:fs';
import snowflake from 'snowflake-sdk';
import { WarehouseError } from '../errors.ts';
import type { Connection } from '../config/profiles.ts';
import type { Row, SqlDialect, Warehouse } from './warehouse.ts';

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
const quoteLiteral = (value: string) => `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

export function snowflakeDialect(database: string): SqlDialect {
  const dialect: SqlDialect = {
    ident: quoteIdent,
    column: (name) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : quoteIdent(name)),
    literal: quoteLiteral,
    rowHash: (exprs) => `md5(${dialect.jsonObject(exprs.map((e, i) => [`c${i}`, e]))})`,
    jsonObject: (pairs) =>
      pairs.length === 0
        ? `'{}'`
        : `to_json(object_construct_keep_null(${pairs.map(([k, e]) => `${quoteLiteral(k)}, ${e}`).join(', ')}))`,
    stateTable: (schema, table) => `${quoteIdent(database)}.${quoteIdent(schema)}.${quoteIdent(table)}`,
    // current_timestamp is in the session's time zone (America/Los_Angeles by default); sysdate() is UTC.
    // https://docs.snowflake.com/en/sql-reference/functions/sysdate
    nowUtc: 'sysdate()',
  };
  return dialect;
}

type SfConnection = ReturnType<typeof snowflake.createConnection>;

function execute(conn: SfConnection, sqlText: string, binds?: unknown[]): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    conn.execute({
      sqlText,
      binds: binds as snowflake.Binds,
      complete: (error, _stmt, rows) =>
        error ? reject(new WarehouseError(`Snowflake: ${error.message}`)) : resolve((rows ?? []) as Row[]),
    });
  });
}

function lowerKeys(row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) out[k.toLowerCase()] = v;
  return out;
}

export async function openSnowflake(
  connection: Extract<Connection, { type: 'snowflake' }>,
): Promise<Warehouse> {
  snowflake.configure({ logLevel: 'ERROR' });
  const conn = snowflake.createConnection({
    account: connection.account,
    username: connection.user,
    password: connection.password,
    authenticator: connection.authenticator,
    privateKey:
      connection.privateKeyPath !== undefined ? readFileSync(connection.privateKeyPath, 'utf8') : undefined,
    role: connection.role,
    warehouse: connection.warehouse,
    database: connection.database,
    schema: connection.schema,
    accessUrl: process.env.KLAVIYO_RUNNER_SNOWFLAKE_URL,
  });
  await new Promise<void>((resolve, reject) =>
    conn.connect((error) =>
      error ? reject(new WarehouseError(`Snowflake: could not connect (${error.message}).`)) : resolve(),
    ),
  );
  return {
    kind: 'snowflake',
    dialect: snowflakeDialect(connection.database),
    query: async (sql, params) => (await execute(conn, sql, params)).map(lowerKeys),
    execute: async (sql, params) => {
      await execute(conn, sql, params);
    },
    async *stream(sql, params, chunkSize = 5000) {
      const statement = conn.execute({ sqlText: sql, binds: params as snowflake.Binds, streamResult: true });
      const rows = statement.streamRows();
      let buffer: Row[] = [];
      for await (const row of rows as AsyncIterable<Row>) {
        buffer.push(lowerKeys(row));
        if (buffer.length >= chunkSize) {
          yield buffer;
          buffer = [];
        }
      }
      if (buffer.length > 0) yield buffer;
    },
    insertRows: async (table, columns, rows) => {
      // Snowflake binds an array of rows to one INSERT (array binding).
      for (let i = 0; i < rows.length; i += 10_000) {
        const batch = rows.slice(i, i + 10_000);
        await execute(
          conn,
          `insert into ${table} (${columns.map(quoteIdent).join(', ')}) values (${columns.map(() => '?').join(', ')})`,
          batch,
        );
      }
    },
    columns: async (relationName) => {
      const rows = await execute(conn, `describe table ${relationName}`);
      return rows.map((r) => ({ name: String(r.name).toLowerCase(), type: String(r.type) }));
    },
    close: () => new Promise((resolve) => conn.destroy(() => resolve())),
  };
}
