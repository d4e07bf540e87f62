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
  const row = parseRowJson(json);
  return row === null ? { row } : { row, text: { row, json } };
}

/** The marker a non-finite number is read through: a string no warehouse writes unescaped. */
const MARK = '\u0000klaviyo-runner:';
const NON_FINITE: Record<string, number> = {
  [`${MARK}NaN`]: NaN,
  [`${MARK}Infinity`]: Infinity,
  [`${MARK}-Infinity`]: -Infinity,
};

/**
 * A row's JSON text as the warehouse wrote it, parsed. A FLOAT or DOUBLE column can hold NaN or
 * an infinity, and DuckDB's `json_object` writes them as bare `NaN`, `Infinity` and `-Infinity`,
 * which are not JSON (https://www.rfc-editor.org/rfc/rfc8259#section-6): such a row is read again
 * with those numbers as JavaScript's own, so the value rules refuse that one value (JSON cannot
 * carry it to Klaviyo) and the run goes on. Only a text that fails to parse pays for the second read.
 */
export function parseRowJson(json: string): Row | null {
  try {
    return JSON.parse(json) as Row | null;
  } catch (error) {
    const marked = markNonFinite(json);
    if (marked === null) throw error;
    return JSON.parse(marked, (_key, value: unknown) =>
      typeof value === 'string' && value.startsWith(MARK) ? (NON_FINITE[value] ?? value) : value,
    ) as Row | null;
  }
}

const TOKENS = ['NaN', 'Infinity', '-Infinity'] as const;

/**
 * The text with each bare `NaN`, `Infinity` and `-Infinity` outside its strings written as the
 * marker's JSON string; null when it holds none, or already holds the marker's text.
 */
function markNonFinite(json: string): string | null {
  if (json.includes('\\u0000klaviyo-runner:')) return null;
  let out = '';
  let from = 0;
  for (let i = 0; i < json.length; i++) {
    if (json[i] === '"') {
      // Past the string's closing quote, its escapes included.
      for (i++; i < json.length && json[i] !== '"'; i++) if (json[i] === '\\') i++;
      continue;
    }
    const token = TOKENS.find((t) => json.startsWith(t, i));
    if (token === undefined) continue;
    out += `${json.slice(from, i)}"\\u0000klaviyo-runner:${token}"`;
    i += token.length - 1;
    from = i + 1;
  }
  return from === 0 ? null : out + json.slice(from);
}

/** The JSON text to store for a row: the warehouse's own when `text` is that row's. */
export function rowJson(row: Row | null, text?: RowText): string | null {
  if (row === null) return null;
  return warehouseText(row, text) ?? JSON.stringify(row);
}

/** The warehouse's own text of `row`, when `text` is that very row's; undefined otherwise. */
export function warehouseText(row: Row | null, text?: RowText): string | undefined {
  return row !== null && text !== undefined && text.row === row ? text.json : undefined;
}

/**
 * A row for the state to store: the row (with the warehouse's text of it), or only the text once
 * the row itself has been let go (a sync's batches in flight keep the text alone, objects/object.ts).
 */
export type StoredRow = { row: Row | null; rowText?: RowText } | { json: string | null };

/** The JSON text to store for `stored` (`rowJson`). */
export function storedJson(stored: StoredRow): string | null {
  return 'json' in stored ? stored.json : rowJson(stored.row, stored.rowText);
}
