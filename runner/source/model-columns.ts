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
 *
 * On both warehouses the description also says which custom property columns hold dates: a row's
 * JSON writes a DuckDB DATE or TIMESTAMP of infinity as the text "infinity", one before year 1 as
 * "0044-03-15 (BC)" and one past 9999 with five digits, none of which Klaviyo can hold as a date,
 * and which only the column's type tells apart from a text column holding those words
 * (transform/properties.ts).
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

/** A model column as the warehouse describes it. */
export interface StoredColumn {
  name: string;
  type: string;
}

/**
 * DuckDB's DATE, TIMESTAMP, TIMESTAMP WITH TIME ZONE and TIMESTAMP_S/MS/NS; Snowflake's DATE and
 * TIMESTAMP_NTZ/LTZ/TZ (DATETIME is TIMESTAMP_NTZ), as `describe` names them.
 */
const DATE_TYPE = /^(DATE|TIMESTAMP)/i;

/**
 * The custom property columns (of the sync, or of the profile an event carries) that `stored`
 * holds as dates or timestamps: matched by name as written, else ignoring case, as DuckDB
 * matches an identifier and Snowflake a column found by `snowflakeColumnSql`.
 */
export function dateColumnsOf(spec: SyncSpec, stored: StoredColumn[]): string[] {
  const typeOf = (name: string) =>
    (stored.find((c) => c.name === name) ?? stored.find((c) => c.name.toLowerCase() === name.toLowerCase()))
      ?.type;
  return propertyColumns(spec).filter((name) => DATE_TYPE.test(typeOf(name) ?? ''));
}

/** The custom property columns a sync sends: its own, and those of the profile an event carries. */
const propertyColumns = (spec: SyncSpec) => [
  ...new Set([...(spec.config.properties ?? []), ...(spec.config.profile?.properties ?? [])]),
];

/**
 * The model's columns as the warehouse stores them (Snowflake's names in their stored case, which
 * `Warehouse.columns` lower-cases). On DuckDB, null for a sync without custom properties, and for
 * a model DuckDB cannot describe (not built, or in an attachment the runner does not open): the
 * diff's own statement then says what is wrong, as it did before anything was described.
 */
async function storedColumns(wh: Warehouse, spec: SyncSpec): Promise<StoredColumn[] | null> {
  if (wh.kind === 'snowflake') {
    const described = await wh.query(`describe table ${spec.model.relationName}`);
    return described.map((r) => ({ name: String(r.name), type: String(r.type) }));
  }
  // DuckDB needs the description only for date properties: a sync without custom properties
  // asks nothing at start-up.
  if (propertyColumns(spec).length === 0) return null;
  try {
    // Names lower-cased, as DuckDB matches them.
    return await wh.columns(spec.model.relationName);
  } catch {
    return null;
  }
}

/**
 * `spec` with what the runner reads of its model's columns: the SQL naming them on Snowflake
 * (`columnSql`), and the custom properties stored as dates (`dateColumns`).
 */
export async function withModelColumns(wh: Warehouse, spec: SyncSpec): Promise<SyncSpec> {
  const stored = await storedColumns(wh, spec);
  if (stored === null) return spec;
  const out: SyncSpec = { ...spec };
  if (wh.kind === 'snowflake') {
    const columnSql = snowflakeColumnSql(
      syncColumns(spec.config),
      stored.map((c) => c.name),
    );
    if (Object.keys(columnSql).length > 0) out.columnSql = columnSql;
  }
  const dateColumns = dateColumnsOf(spec, stored);
  if (dateColumns.length > 0) out.dateColumns = dateColumns;
  return out.columnSql === undefined && out.dateColumns === undefined ? spec : out;
}

/** A column of the sync's model, as its SQL names it. */
export function modelColumn(spec: SyncSpec, d: SqlDialect, name: string): string {
  return spec.columnSql?.[name] ?? d.column(name);
}
