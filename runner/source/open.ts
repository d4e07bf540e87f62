/**
 * Opens the warehouse a dbt target points at. Each driver is loaded only for a target of its
 * type: @duckdb/node-api and snowflake-sdk are large, and a run needs one of them.
 */
import type { Connection } from '../config/profiles.ts';
import type { Warehouse, WarehouseWarning } from './warehouse.ts';

export interface OpenOptions {
  /** Open for reading only where the adapter can enforce it (DuckDB's READ_ONLY access mode). */
  readOnly?: boolean;
  /** Told what the user should know that happens once open (DuckDB's budget raised). */
  warn?: (warning: WarehouseWarning) => void;
}

export async function openWarehouse(connection: Connection, options: OpenOptions = {}): Promise<Warehouse> {
  if (connection.type === 'duckdb') {
    const { openDuckDb } = await import('./duckdb.ts');
    return openDuckDb(connection.path, options.readOnly === true, connection.attach, options.warn);
  }
  const { openSnowflake } = await import('./snowflake.ts');
  return openSnowflake(connection);
}
