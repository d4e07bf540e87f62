/**
 * A model row's JSON text as the warehouse wrote it, kept beside the row parsed from it, so the
 * state stores that text (snapshot, job rows) rather than serialising the row a second time: one
 * JSON.stringify less per confirmed row. The text is also the one the row's hash was computed from
 * (diff-sql.ts).
 *
 * The text is found by the row object itself, not carried in a field: a change whose row is
 * replaced (an erased person's row stored as null, objects/deletion.ts) can then never store the
 * old text by mistake. Rows are never modified after parsing; a row built elsewhere has no text
 * and is serialised.
 */
import type { Row } from '../source/warehouse.ts';

const texts = new WeakMap<Row, string>();

/** Parses a row's JSON text (`null` for none), remembering the text for `rowJson`. */
export function parseRow(text: string): Row | null {
  if (text === 'null') return null;
  const row = JSON.parse(text) as Row | null;
  if (row !== null) texts.set(row, text);
  return row;
}

/** The JSON text to store for a row: the warehouse's own when it was parsed from one. */
export function rowJson(row: Row | null): string | null {
  return row === null ? null : (texts.get(row) ?? JSON.stringify(row));
}
