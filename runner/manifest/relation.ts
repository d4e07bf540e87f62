/**
 * A model's `relation_name` from manifest.json, checked before it reaches SQL. dbt writes it as
 * one to three identifiers joined by dots (database.schema.identifier), each plain or
 * double-quoted as the adapter's quoting config says
 * (https://docs.getdbt.com/reference/resource-properties/quoting). Anything else (a subquery, a
 * function call, a comment) is refused, and an accepted name is rebuilt from its parts: a quoted
 * part re-quoted with its inner quotes doubled, a plain part kept plain so the warehouse folds its
 * case as it did when dbt built the model. DuckDB and Snowflake both quote identifiers with
 * double quotes (https://duckdb.org/docs/stable/sql/dialect/keywords_and_identifiers,
 * https://docs.snowflake.com/en/sql-reference/identifiers-syntax).
 */

/** A plain identifier as both warehouses read one unquoted. */
const PLAIN = /^[A-Za-z_][A-Za-z0-9_$]*/;

export type RelationCheck = { ok: true; sql: string } | { ok: false; problem: string };

export function checkRelationName(raw: string): RelationCheck {
  const parts: string[] = [];
  let at = 0;
  const refuse = (why: string): RelationCheck => ({
    ok: false,
    problem: `${JSON.stringify(raw)} is not a relation name (${why}); dbt writes database.schema.identifier, each part a plain or double-quoted identifier`,
  });
  for (;;) {
    if (raw[at] === '"') {
      let name = '';
      let i = at + 1;
      for (;;) {
        if (i >= raw.length) return refuse('a quoted identifier is not closed');
        if (raw[i] === '"') {
          if (raw[i + 1] === '"') {
            name += '"';
            i += 2;
            continue;
          }
          break;
        }
        name += raw[i];
        i += 1;
      }
      // eslint-disable-next-line no-control-regex
      if (name === '' || /[\u0000-\u001f\u007f]/.test(name))
        return refuse('a quoted identifier is empty or holds control characters');
      parts.push(`"${name.replaceAll('"', '""')}"`);
      at = i + 1;
    } else {
      const plain = PLAIN.exec(raw.slice(at))?.[0];
      if (plain === undefined) return refuse(`unexpected ${JSON.stringify(raw.slice(at, at + 20))}`);
      parts.push(plain);
      at += plain.length;
    }
    if (at === raw.length) break;
    if (raw[at] !== '.') return refuse(`unexpected ${JSON.stringify(raw.slice(at, at + 20))}`);
    at += 1;
  }
  if (parts.length > 3) return refuse('more than three parts');
  return { ok: true, sql: parts.join('.') };
}
