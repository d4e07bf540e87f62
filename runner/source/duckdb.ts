/**
 * DuckDB, the embedded default warehouse, through @duckdb/node-api. The file dbt-duckdb builds is
 * opened directly; `close()` releases it so the next `dbt build` can open it again (DuckDB allows
 * one writing process per file). Reads stream in chunks; values come back JSON-friendly
 * (DECIMAL and BIGINT as exact strings or numbers, timestamps as text).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { DuckDbAttachment } from '../config/duckdb-target.ts';
import { WarehouseError } from '../errors.ts';
import { attachSql, attachable, missingCatalog } from './duckdb-attach.ts';
import { runBudget, sizeInBytes, smallReadBudget } from './duckdb-budget.ts';
import { textChunk, type DuckDbModules } from './duckdb-text-chunk.ts';
import { readAhead } from './read-ahead.ts';
import { serialized } from './serial.ts';
import type { Row, SqlDialect, Warehouse, WarehouseWarning } from './warehouse.ts';

/** Rows per chunk handed to DuckDB's appender: its vector size (https://duckdb.org/docs/stable/clients/c/data_chunk). */
const ROWS_PER_CHUNK = 2048;

/**
 * Rows appended to temporary tables (the stage, the insert mirrors) after which the rows deleted
 * from them are reclaimed with `checkpoint temp`. DuckDB keeps a table's deleted rows until its
 * catalog is checkpointed, and the file's automatic checkpoints leave `temp` alone: a first sync of
 * 100,000 profiles and 100,000 events held about 70MB of rows staged and deleted long before, at its
 * peak (`IN_MEMORY_TABLE` in `duckdb_memory()`). Reclaiming them takes about a millisecond
 * (https://duckdb.org/docs/stable/sql/statements/checkpoint).
 */
const TEMP_ROWS_BEFORE_RECLAIM = 20_000;

/** The temporary table that holds the state's scratch rows (SqlDialect.sessionStage). */
const STAGE = 'klaviyo_runner_stage';

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
const quoteLiteral = (value: string) => `'${value.replaceAll("'", "''")}'`;
const STAGE_TABLE = `temp.main.${quoteIdent(STAGE)}`;

export const duckdbDialect: SqlDialect = {
  ident: quoteIdent,
  column: quoteIdent,
  literal: quoteLiteral,
  rowHash: (exprs) => `md5(${duckdbDialect.jsonObject(exprs.map((e, i) => [`c${i}`, e]))})`,
  jsonObject: (pairs) =>
    pairs.length === 0
      ? `'{}'`
      : `cast(json_object(${pairs.map(([k, e]) => `${quoteLiteral(k)}, ${e}`).join(', ')}) as varchar)`,
  stateTable: (schema, table) => `${quoteIdent(schema)}.${quoteIdent(table)}`,
  // Scratch rows are written, read and deleted within one call of the runner's: a temporary table
  // keeps them in memory (spilling if need be) and out of the file and its write-ahead log, where
  // a stage in the state schema wrote every confirmed row's JSON twice
  // (https://duckdb.org/docs/stable/sql/statements/create_table#temporary-tables).
  sessionStage: { name: STAGE_TABLE, createAs: quoteIdent(STAGE) },
  // current_timestamp cast to TIMESTAMP takes the machine's time zone; epoch microseconds do not.
  nowUtc: 'make_timestamp(epoch_us(current_timestamp))',
  secondsSince: (expr) => `date_diff('second', ${expr}, make_timestamp(epoch_us(current_timestamp)))`,
  // https://duckdb.org/docs/stable/sql/functions/regular_expressions: the `g` option replaces all.
  regexpReplaceAll: (expr, pattern, replacement) =>
    `regexp_replace(${expr}, ${quoteLiteral(pattern)}, ${quoteLiteral(replacement)}, 'g')`,
  regexpFullMatch: (expr, pattern) => `regexp_full_match(${expr}, ${quoteLiteral(pattern)})`,
};

function describe(error: unknown, path: string, attach: DuckDbAttachment[] = []): WarehouseError {
  const message = error instanceof Error ? error.message : String(error);
  const catalog = missingCatalog(message, attach);
  if (catalog !== undefined) return new WarehouseError(`DuckDB (${path}): ${catalog} Details: ${message}`);
  if (/Could not set lock|Conflicting lock/i.test(message)) {
    return new WarehouseError(
      `The DuckDB file ${path} is in use by another process (a running dbt build or klaviyo-runner). Wait for it to finish and run again.`,
    );
  }
  if (/storage version|newer version|serialization/i.test(message)) {
    return new WarehouseError(
      `The DuckDB file ${path} was written by a newer DuckDB than this runner reads (1.5). Keep dbt-duckdb on duckdb<2 (requirements.txt). Details: ${message}`,
    );
  }
  return new WarehouseError(`DuckDB (${path}): ${message}`);
}

/**
 * How DuckDB's allocator hands freed memory back, unless the user set it. On Linux DuckDB allocates
 * through the jemalloc it links in, configured by the DUCKDB_JE_MALLOC_CONF environment variable,
 * read once as the library loads (https://duckdb.org/docs/stable/internals/jemalloc). DuckDB's
 * build purges a freed page after a second, first as "muzzy" (`madvise(MADV_FREE)`: the kernel
 * takes it back only when memory runs short, so it stays in the process's RSS) and a second later
 * for good (https://jemalloc.net/jemalloc.3.html#opt.muzzy_decay_ms). With no muzzy stage the
 * page leaves at once: a first sync of 100,000 profiles and 100,000 events (`npm run bench:sync`)
 * peaked 20–35 MB lower for the same CPU. Returning pages at once (`dirty_decay_ms:0` too) saved
 * a little more and cost a second of system CPU. Set only while the library loads, so dbt and
 * other processes the runner starts keep their own.
 */
export const DUCKDB_ALLOCATOR_CONF = 'muzzy_decay_ms:0';

export function withAllocatorSettings<T>(load: () => T, env: NodeJS.ProcessEnv = process.env): T {
  if (env.DUCKDB_JE_MALLOC_CONF !== undefined) return load();
  env.DUCKDB_JE_MALLOC_CONF = DUCKDB_ALLOCATOR_CONF;
  try {
    return load();
  } finally {
    delete env.DUCKDB_JE_MALLOC_CONF;
  }
}

// @duckdb/node-api is CommonJS. An ESM `import` of it makes Node scan the source of each of its
// re-exported files for export names (cjs-module-lexer), about 200 ms of CPU on every run that
// opens DuckDB; require() reads the exports object directly
// (https://nodejs.org/docs/latest-v20.x/api/esm.html#commonjs-namespaces).
// node-bindings, the C API beneath it, is the module node-api itself loads (duckdb-text-chunk.ts).
const modules: DuckDbModules = withAllocatorSettings(() => {
  const require = createRequire(import.meta.url);
  return {
    api: require('@duckdb/node-api') as typeof import('@duckdb/node-api'),
    bindings: require('@duckdb/node-bindings') as typeof import('@duckdb/node-bindings'),
  };
});
const duckdb = modules.api;

/**
 * DuckDB's own memory and thread budget for the runner. DuckDB takes 80% of the machine's memory and
 * every core by default; the runner only streams a diff out and writes small batches in, so it
 * caps both, and a query that needs more spills to the temporary directory (`<file>.tmp`) rather
 * than growing (https://duckdb.org/docs/stable/configuration/overview, `memory_limit` and
 * `threads`; https://duckdb.org/docs/stable/guides/performance/how_to_tune_workloads).
 * 256MB runs the diff of a 1,000,000-row model, spilling; much less, and the hash join with the
 * snapshot or the grouping of a first plan's rows fails (docs/architecture.md, "DuckDB's memory").
 * KLAVIYO_RUNNER_DUCKDB_MEMORY_LIMIT (e.g. `1GB`, faster where memory allows) and
 * KLAVIYO_RUNNER_DUCKDB_THREADS override them.
 */
export function duckdbSettings(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const memory = env.KLAVIYO_RUNNER_DUCKDB_MEMORY_LIMIT?.trim() || '256MB';
  const threads = env.KLAVIYO_RUNNER_DUCKDB_THREADS?.trim() || '2';
  if (sizeInBytes(memory) === null)
    throw new WarehouseError(
      `KLAVIYO_RUNNER_DUCKDB_MEMORY_LIMIT is ${JSON.stringify(memory)}; give a size such as 512MB or 2GB.`,
    );
  if (!/^[1-9]\d*$/.test(threads))
    throw new WarehouseError(
      `KLAVIYO_RUNNER_DUCKDB_THREADS is ${JSON.stringify(threads)}; give a whole number of threads, 1 or more.`,
    );
  // A checkpoint writes what the write-ahead log holds into the file, and DuckDB runs one at the
  // commit that takes the log past `checkpoint_threshold` (16MB by default). A sync commits once per
  // confirmed batch (1,000 events), and checkpoints every 16MB cost more than the writes they
  // carried: confirming 100,000 rows of 1KB in batches of 1,000, closing included, took 2.0-2.5s of
  // CPU at 16MB, 1.6s at 64MB and 1.5s at 1GB (whose log then waits for the close to be written).
  // Until a checkpoint, the rows the log holds are also held in memory (`IN_MEMORY_TABLE` in
  // `duckdb_memory()`), up to 66MB at 64MB. 32MB: the first sync of 100,000 profiles and 100,000
  // events (`npm run bench:sync`) peaked near 460 MB against 500 MB at 64MB (three paired runs; 24MB
  // gave the same, for 1-3% more user CPU), and the log stays small for the next process to
  // replay after a kill (https://duckdb.org/docs/stable/configuration/overview,
  // `checkpoint_threshold`; https://duckdb.org/docs/stable/sql/statements/checkpoint).
  return { memory_limit: memory, threads, checkpoint_threshold: '32MB' };
}

/**
 * Opens the file; `readOnly` uses DuckDB's READ_ONLY access mode, which refuses every write and
 * leaves the file untouched (https://duckdb.org/docs/stable/configuration/overview). `attach` are
 * the databases the profile attaches (duckdb-attach.ts).
 */
export async function openDuckDb(
  path: string,
  readOnly = false,
  attach: DuckDbAttachment[] = [],
  warn?: (warning: WarehouseWarning) => void,
): Promise<Warehouse> {
  if (!existsSync(path)) {
    throw new WarehouseError(
      `No DuckDB file at ${path}. Run \`dbt build\` first (the path comes from profiles.yml).`,
    );
  }
  const attaching = attachable(attach);
  const settings = duckdbSettings();
  const small = smallReadBudget(settings.memory_limit!);
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;
  try {
    instance = await duckdb.DuckDBInstance.create(
      path,
      readOnly ? { ...settings, access_mode: 'READ_ONLY' } : settings,
    );
    conn = await instance.connect();
    // A TIMESTAMPTZ column reads as text in the time zone DuckDB takes from the machine: the same
    // instant was "2025-03-04 13:06:07+09" in Tokyo and "04:06:07+00" in UTC, so a row's JSON and
    // hash changed with the machine that ran the sync, and every such row was sent again. Read in
    // UTC, by every connection of the file (GLOBAL), they are the same everywhere
    // (https://duckdb.org/docs/stable/sql/data_types/timestamp#time-zone-support). Set once open:
    // the time zone is the ICU extension's setting, which is not loaded yet when the file opens.
    await conn.run("set global TimeZone = 'UTC'");
  } catch (error) {
    throw describe(error, path);
  }
  // Attached to the instance, so every connection of it (each stream's) sees them. A refusal
  // (another process holds the file) names the attached file and closes the runner's.
  for (const a of attaching) {
    try {
      await conn.run(attachSql(a));
    } catch (error) {
      conn.closeSync();
      instance.closeSync();
      const cause = describe(error, a.path);
      throw new WarehouseError(`${cause.message} (${a.where})`);
    }
  }
  const wrap = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw describe(error, path, attach);
    }
  };
  const budget = runBudget(
    settings.memory_limit!,
    Boolean(process.env.KLAVIYO_RUNNER_DUCKDB_MEMORY_LIMIT?.trim()),
    async (size) => void (await wrap(() => conn.run(`set memory_limit = ${quoteLiteral(size)}`))),
    warn,
  );
  const bind = (params?: unknown[]) =>
    params === undefined || params.length === 0 ? undefined : (params as never);
  // Whether a table is exactly the given text columns, asked of DuckDB once per table and columns
  // rather than before every insert (a sync inserts per batch). A statement of this session that
  // may change a table's columns forgets every answer; the file is this process's alone.
  const textTables = new Map<string, boolean>();
  const tableKey = (table: string, columns: string[]) => `${table}(${columns.join(',')})`;
  const forgetOnDdl = (sql: string) => {
    if (/^\s*(create|alter|drop)\b/i.test(sql)) textTables.clear();
  };
  const isTextTable = async (table: string, columns: string[]): Promise<boolean> => {
    const key = tableKey(table, columns);
    let known = textTables.get(key);
    if (known === undefined) {
      const described = (await conn.runAndReadAll(`describe ${table}`)).getRowObjectsJson();
      known =
        described.length === columns.length &&
        described.every(
          (c, i) => String(c.column_name) === columns[i] && String(c.column_type) === 'VARCHAR',
        );
      textTables.set(key, known);
    }
    return known;
  };

  // Rows for a table of text columns go through DuckDB's appender into a temporary table, in
  // chunks of vectors built from the JavaScript strings, and then into the table with one
  // INSERT … SELECT (https://duckdb.org/docs/stable/clients/c/appender). Binding them as one JSON
  // text escaped every row's JSON a second time and had DuckDB parse it back: about three times
  // the CPU. The appender never writes the file itself: its flush is synchronous, and a flush
  // committing to disk held the event loop (and every sync beside this one). Between chunks the
  // event loop runs.
  const mirrors = new Map<string, string>();
  const mirrorOf = async (table: string, columns: string[]): Promise<string> => {
    const key = tableKey(table, columns);
    let name = mirrors.get(key);
    if (name === undefined) {
      name = `klaviyo_runner_insert_${mirrors.size}`;
      mirrors.set(key, name);
    }
    // Every time: a transaction rolled back since may have taken the table away with it.
    await conn.run(
      `create temporary table if not exists ${quoteIdent(name)} (${columns.map((c) => `${quoteIdent(c)} varchar`).join(', ')})`,
    );
    return name;
  };
  // Outside a transaction only: a checkpoint cannot run inside one.
  let inTransaction = false;
  let tempRows = 0;
  const noteTransaction = (sql: string) => {
    if (/^\s*begin\b/i.test(sql)) inTransaction = true;
    else if (/^\s*(commit|rollback|abort|end)\b/i.test(sql)) inTransaction = false;
  };
  const reclaimTemp = async () => {
    if (inTransaction || tempRows < TEMP_ROWS_BEFORE_RECLAIM) return;
    tempRows = 0;
    await conn.run('checkpoint temp');
  };
  const append = async (name: string, columns: string[], rows: unknown[][]) => {
    tempRows += rows.length;
    const appender = await conn.createAppender(name, 'main', 'temp');
    try {
      for (let i = 0; i < rows.length; i += ROWS_PER_CHUNK) {
        const count = Math.min(ROWS_PER_CHUNK, rows.length - i);
        appender.appendDataChunk(textChunk(modules, rows, i, count, columns.length));
        if (i + ROWS_PER_CHUNK < rows.length) await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      appender.closeSync();
    }
  };
  const appendText = async (table: string, columns: string[], rows: unknown[][]) => {
    if (table === STAGE_TABLE) return append(STAGE, columns, rows);
    const mirror = await mirrorOf(table, columns);
    try {
      await append(mirror, columns, rows);
      await conn.run(`insert into ${table} select * from temp.main.${quoteIdent(mirror)}`);
    } finally {
      await conn.run(`delete from temp.main.${quoteIdent(mirror)}`);
    }
  };

  return serialized({
    kind: 'duckdb',
    dialect: duckdbDialect,
    query: (sql, params) =>
      wrap(async () => {
        forgetOnDdl(sql);
        return (await conn.runAndReadAll(sql, bind(params))).getRowObjectsJson();
      }),
    execute: (sql, params) =>
      wrap(async () => {
        forgetOnDdl(sql);
        noteTransaction(sql);
        await conn.run(sql, bind(params));
        await reclaimTemp();
      }),
    // Each stream on a connection of its own, so the run's statements (snapshot writes among them)
    // and other syncs' streams go on while a diff is read.
    async *stream(sql, params, chunkSize = 5000) {
      const streamConn = await wrap(() => instance.connect());
      let buffer: Row[] = [];
      try {
        const result = await wrap(() => streamConn.stream(sql, bind(params)));
        const chunks = result.yieldRowObjectJson()[Symbol.asyncIterator]();
        const fetch = async () => {
          const next = await chunks.next();
          return next.done === true ? null : next.value;
        };
        // DuckDB computes a streamed result's next chunk while the runner shapes this one (read-ahead.ts).
        for await (const rows of readAhead(fetch, (chunk) => chunk.length, 2 * chunkSize)) {
          for (const row of rows) buffer.push(row);
          if (buffer.length >= chunkSize) {
            yield buffer;
            buffer = [];
          }
        }
      } catch (error) {
        throw error instanceof WarehouseError ? error : describe(error, path, attach);
      } finally {
        streamConn.closeSync();
      }
      if (buffer.length > 0) yield buffer;
    },
    insertRows: (table, columns, rows) =>
      wrap(async () => {
        if (rows.length === 0) return;
        for (const row of rows) {
          if (row.length !== columns.length)
            throw new Error(
              `insertRows(${table}): a row has ${row.length} values for ${columns.length} columns`,
            );
        }
        if (await isTextTable(table, columns)) {
          await appendText(table, columns, rows);
          return reclaimTemp();
        }
        const perStatement = Math.max(1, Math.floor(1000 / columns.length));
        const tuple = `(${columns.map(() => '?').join(', ')})`;
        for (let i = 0; i < rows.length; i += perStatement) {
          const batch = rows.slice(i, i + perStatement);
          await conn.run(
            `insert into ${table} (${columns.map(quoteIdent).join(', ')}) values ${batch.map(() => tuple).join(', ')}`,
            batch
              .flat()
              .map((v) =>
                v === undefined ? null : typeof v === 'object' && v !== null ? JSON.stringify(v) : v,
              ) as never,
          );
        }
      }),
    columns: (relationName) =>
      wrap(async () => {
        const rows = (await conn.runAndReadAll(`describe select * from ${relationName}`)).getRowObjectsJson();
        return rows.map((r) => ({ name: String(r.column_name).toLowerCase(), type: String(r.column_type) }));
      }),
    moreMemory: budget.raise,
    ...(readOnly && small !== null
      ? {
          smallReads: () =>
            wrap(async () => {
              await conn.run(`set memory_limit = ${quoteLiteral(small)}`);
              return () =>
                wrap(async () => {
                  await conn.run(`set memory_limit = ${quoteLiteral(budget.current())}`);
                });
            }),
        }
      : {}),
    close: () => {
      conn.closeSync();
      instance.closeSync();
      return Promise.resolve();
    },
  });
}
