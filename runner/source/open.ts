/** Opens the warehouse a dbt target points at. */
import type { Connection } from '../config/profiles.ts';
import { openDuckDb } from './duckdb.ts';
import { openSnowflake } from './snowflake.ts';
import type { Warehouse } from './warehouse.ts';

export function openWarehouse(connection: Connection): Promise<Warehouse> {
  return connection.type === 'duckdb' ? openDuckDb(connection.path) : openSnowflake(connection);
}
