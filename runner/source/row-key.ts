/**
 * A model row's key as the state compares it: the key column as text, and no key (NULL) when that
 * text is empty or only spaces. A key of blanks tracks nothing: every order whose id came through
 * blank would share it, and an event keyed so went to Klaviyo with the unique_id of an empty text,
 * so the next such order was taken for the same event changed. It is rejected as a NULL key is
 * (state/diff-sql.ts, `null_key`). Other keys are kept as they are, spaces included: `O1` and
 * `O1 ` stay two keys, as they were in every snapshot so far. One-argument `trim` removes spaces
 * in both warehouses (https://duckdb.org/docs/stable/sql/functions/text#trimstring,
 * https://docs.snowflake.com/en/sql-reference/functions/trim).
 */
/** `column`: the key column as SQL, qualified (`m."ID"`, source/model-columns.ts). */
export function rowKeySql(column: string): string {
  const text = `cast(${column} as varchar)`;
  return `case when trim(${text}) = '' then null else ${text} end`;
}
