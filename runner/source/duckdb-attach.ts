/**
 * The databases a dbt-duckdb profile attaches, attached to the runner's DuckDB under the same
 * names, so a model dbt built into one (`"mart"."main"."customers"`) reads as dbt wrote it
 * (https://duckdb.org/docs/stable/sql/statements/attach). The runner's state stays in the
 * target's own file; it only reads models here, so every attachment is READ_ONLY, whatever the
 * profile says: `plan` then writes nothing anywhere, and `sync` can never change a database dbt
 * owns (DECISIONLOG, "Attached DuckDB databases are read only").
 */
import { existsSync } from 'node:fs';
import type { DuckDbAttachment } from '../config/duckdb-target.ts';
import { WarehouseError } from '../errors.ts';

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
const quoteLiteral = (value: string) => `'${value.replaceAll("'", "''")}'`;

/**
 * `ATTACH IF NOT EXISTS`, as dbt-duckdb attaches: a second entry of the same name is left out by
 * both. Options keep the profile's meaning: `true` names the option, `false` leaves it out, text
 * is a literal, a number as it is (the forms dbt-duckdb's README gives for `options`).
 */
export function attachSql(a: DuckDbAttachment): string {
  const options = ['READ_ONLY'];
  for (const [key, value] of Object.entries(a.options)) {
    if (value === false) continue;
    const name = key.toUpperCase();
    options.push(
      value === true
        ? name
        : typeof value === 'number'
          ? `${name} ${value}`
          : `${name} ${quoteLiteral(value)}`,
    );
  }
  return `attach if not exists ${quoteLiteral(a.path)} as ${quoteIdent(a.alias)} (${options.join(', ')})`;
}

/**
 * The attachments the runner can open, checked first: DuckDB would refuse a missing file only
 * as "database does not exist", without the profile entry it came from.
 */
export function attachable(attach: DuckDbAttachment[]): DuckDbAttachment[] {
  const ready = attach.filter((a) => a.unsupported === undefined);
  for (const a of ready) {
    if (!existsSync(a.path))
      throw new WarehouseError(
        `No DuckDB file at ${a.path}, which ${a.where} attaches. Run \`dbt build\` first (dbt-duckdb creates it).`,
      );
  }
  return ready;
}

/**
 * A statement naming a catalog DuckDB does not know: the model lives in a database the profile
 * attaches but the runner could not, or in none the profile names. Undefined for other errors.
 */
export function missingCatalog(message: string, attach: DuckDbAttachment[]): string | undefined {
  const name = /Catalog "([^"]+)" does not exist/.exec(message)?.[1];
  if (name === undefined) return undefined;
  const entry = attach.find((a) => a.alias.toLowerCase() === name.toLowerCase());
  if (entry?.unsupported !== undefined)
    return `The model reads from the database \`${name}\` of ${entry.where}, and ${entry.unsupported}. Build the synced models into the target's DuckDB file or an attached DuckDB file (database: in the model's config).`;
  return `The model reads from the database \`${name}\`, which is neither the target's DuckDB file nor one its \`attach:\` list names. Rebuild with the profile dbt used, or add the database to \`attach:\`.`;
}
