/**
 * How the diff's SQL names a model's columns. Snowflake folds an unquoted identifier to upper case
 * and matches a quoted one exactly (https://docs.snowflake.com/en/sql-reference/identifiers-syntax),
 * so a column a model created quoted in mixed or lower case (`select … as "firstName"`) is not
 * found by the unquoted `firstName` an exposure names: Snowflake reads FIRSTNAME and refuses the
 * statement. Before a sync's diff, the runner reads its model's column names (`describe table`)
 * and writes each column the exposure names as Snowflake stored it: unquoted when that is its
 * upper-case form, quoted as stored otherwise. A name matches its column exactly, else as
 * Snowflake would match it unquoted, else the one column equal to it ignoring case. DuckDB matches
 * identifiers ignoring case, quoted or not, and needs none of this.
 */
import type { SyncSpec } from '../manifest/spec.ts';
import { syncColumns } from '../manifest/spec.ts';
import type { SqlDialect, Warehouse } from './warehouse.ts';

const SIMPLE_NAME = /^[A-Za-z_][A-Za-z0-9_$]*$/;
const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * The SQL for each of `names` (the exposure's columns) that its unquoted form would not find among
 * `stored` (the model's column names as Snowflake keeps them); a name absent here is written as the
 * dialect writes any column.
 */
export function snowflakeColumnSql(names: string[], stored: string[]): Record<string, string> {
  const have = new Set(stored);
  const out: Record<string, string> = {};
  for (const name of names) {
    const folded = SIMPLE_NAME.test(name) ? name.toUpperCase() : name;
    if (have.has(name) && name !== folded) out[name] = quoted(name);
    if (have.has(name) || have.has(folded)) continue;
    const alike = stored.filter((c) => c.toLowerCase() === name.toLowerCase());
    if (alike.length === 1) out[name] = quoted(alike[0]!);
  }
  return out;
}

/** `spec` with the SQL of its model's columns (`columnSql`), read from Snowflake; as it is elsewhere. */
export async function withModelColumns(wh: Warehouse, spec: SyncSpec): Promise<SyncSpec> {
  if (wh.kind !== 'snowflake') return spec;
  const described = await wh.query(`describe table ${spec.model.relationName}`);
  const stored = described.map((r) => String(r.name));
  const columnSql = snowflakeColumnSql(syncColumns(spec.config), stored);
  return Object.keys(columnSql).length === 0 ? spec : { ...spec, columnSql };
}

/** A column of the sync's model, as its SQL names it. */
export function modelColumn(spec: SyncSpec, d: SqlDialect, name: string): string {
  return spec.columnSql?.[name] ?? d.column(name);
}
