/** DuckDB files for tests: read the way a test checks what dbt built, or made new for the runner. */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { openDuckDb } from '../../runner/source/duckdb.ts';
import type { Warehouse } from '../../runner/source/warehouse.ts';
import { ensureStateSchema, stateOf, type State } from '../../runner/state/schema.ts';

/** A new DuckDB file in a scratch folder, open as the runner opens it, with an empty state schema. */
export async function emptyState(prefix: string): Promise<{ wh: Warehouse; state: State }> {
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), `kr-${prefix}-`)), 'w.duckdb');
  (await DuckDBInstance.create(file)).closeSync();
  const wh = await openDuckDb(file);
  const state = stateOf(wh, 'klaviyo_runner');
  await ensureStateSchema(state);
  return { wh, state };
}

/** Reads a DuckDB file the way a test checks what dbt built, releasing it at once for the runner. */
export async function queryDuckDb(
  file: string,
  sql: string,
  options: { readOnly?: boolean } = {},
): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(
    file,
    options.readOnly === true ? { access_mode: 'READ_ONLY' } : undefined,
  );
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJson();
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
