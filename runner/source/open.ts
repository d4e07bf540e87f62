/** Opens the warehouse a dbt target points at. */
import type { Connection } from '../config/profiles.ts';
import { openDuckDb } from './duckdb.ts';
import type { Warehouse } from './warehouse.ts';

export async function openWarehouse(connection: Connection): Promise<Warehouse> {
  if (connection.type === 'duckdb') return openDuckDb(connection.path);
  // Loaded on demand: snowflake-sdk is large and DuckDB users never need it.
  const { openSnowflake } = await import('./snowflake.ts');
  return openSnowflake(connection);
}
