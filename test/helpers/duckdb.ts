/** Reads a DuckDB file the way a test checks what dbt built, releasing it at once for the runner. */
import { DuckDBInstance } from '@duckdb/node-api';

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
