/**
 * A model row's JSON text as the warehouse wrote it, kept beside the row parsed from it, so the
 * state stores that text (snapshot, job rows) rather than serialising the row a second time: one
 * JSON.stringify less per confirmed row. The text is also the one the row's hash was computed from
 * (diff-sql.ts), digits past 2^53 included.
 *
 * The text names the row it was parsed into, and is used only for that very object: a change
 * whose row is replaced (an erased person's row stored as null, objects/deletion.ts) can never
 * store the old text by mistake. (A WeakMap from row to text did the same and cost 0.6 µs a row,
 * more than the serialisation it saves in a plan of a million rows.)
 */
import type { Row } from '../source/warehouse.ts';

export interface RowText {
  row: Row;
  json: string;
}

/** Parses a row's JSON text (`null` for none), with the text for `rowJson`. */
export function parseRow(json: string): { row: Row | null; text?: RowText } {
  if (json === 'null') return { row: null };
  const row = JSON.parse(json) as Row | null;
  return row === null ? { row } : { row, text: { row, json } };
}

/** The JSON text to store for a row: the warehouse's own when `text` is that row's. */
export function rowJson(row: Row | null, text?: RowText): string | null {
  if (row === null) return null;
  return text !== undefined && text.row === row ? text.json : JSON.stringify(row);
}
