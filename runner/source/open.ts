/**
 * Opens the warehouse a dbt target points at. Each driver is loaded only for a target of its
 * type: @duckdb/node-api and snowflake-sdk are large, and a run needs one of them.
 */
import type { Connection } from '../config/profiles.ts';
import type { Warehouse } from './warehouse.ts';

export async function openWarehouse(connection: Connection): Promise<Warehouse> {
  if (connection.type === 'duckdb') {
    const { openDuckDb } = await import('./duckdb.ts');
    return openDuckDb(connection.path);
  }
  const { openSnowflake } = await import('./snowflake.ts');
  return openSnowflake(connection);
}
