/**
 * Reading model values that may arrive as text. Warehouse drivers hand DECIMAL and BIGINT over as
 * strings, timestamps as strings or driver objects, and exports keep prices as formatted text.
 * Every reader returns `null` for a missing value (null, undefined, blank text), a value, or a
 * reason: a value that cannot be read is an error for its row, never a silent 0 or NaN.
 *
 * The rules for money and integers (number.ts), booleans (boolean.ts) and timestamps
 * (timestamp.ts) are written out in docs/value-rules.md; the dbt macros implement the same rules
 * and both are tested against one table of cases, test/dbt/seeds/klaviyo_value_cases.csv.
 *
 * JSON (`toJsonObject`): a JSON object as text (DuckDB JSON or VARCHAR) or already parsed
 * (Snowflake VARIANT); arrays and scalars are refused where an object is expected.
 */
import type { Coerced } from './coerced.ts';
import { isoUtc } from './timestamp.ts';

export type { Coerced } from './coerced.ts';
export { isoUtc } from './timestamp.ts';

const ok = <T>(value: T): Coerced<T> => ({ ok: true, value });
const fail = <T>(reason: string): Coerced<T> => ({ ok: false, reason });

/** Driver value objects (DuckDB DECIMAL, TIMESTAMP …) have their own toString; plain objects do not. */
function driverText(raw: object): string | undefined {
  if (raw.toString === Object.prototype.toString || Array.isArray(raw)) return undefined;
  return String(raw);
}

// ---------------------------------------------------------------- JSON and text

/** A JSON object, from text or already parsed; null when missing. */
export function toJsonObject(raw: unknown): Coerced<Record<string, unknown>> | null {
  if (raw === null || raw === undefined) return null;
  let value: unknown = raw;
  if (typeof raw === 'string') {
    if (raw.trim() === '') return null;
    try {
      value = JSON.parse(raw) as unknown;
    } catch (error) {
      return fail(`is not valid JSON (${(error as Error).message})`);
    }
    if (value === null) return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return fail(
      `is ${Array.isArray(value) ? 'a JSON array' : `the JSON ${typeof value}`}, not a JSON object`,
    );
  return ok(value as Record<string, unknown>);
}

/** Trimmed text of a scalar (objects as JSON, Dates as ISO); undefined when missing or blank. */
export function toText(raw: unknown): string | undefined {
  if (raw === null || raw === undefined) return undefined;
  let text: string;
  if (typeof raw === 'string') text = raw.trim();
  else if (raw instanceof Date) text = Number.isNaN(raw.getTime()) ? '' : isoUtc(raw.getTime());
  else if (typeof raw === 'object') text = driverText(raw) ?? JSON.stringify(raw);
  else text = String(raw);
  return text === '' ? undefined : text;
}
