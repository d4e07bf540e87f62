/**
 * A custom property value as Klaviyo stores it well. Values keep the type the warehouse's JSON gave
 * them (numbers stay numbers, text stays text: a zip such as "02134" must not become 2134, so text
 * is never guessed into a number). Timestamps become ISO 8601 UTC, which Klaviyo recognises as
 * dates: warehouse text "YYYY-MM-DD HH:MM:SS" (read as UTC, see coerce.ts) and Date objects.
 * A non-finite number cannot be sent (JSON would turn it into null) and is refused. So is a whole
 * number beyond ±2^53: a row's JSON number is read as a double, which holds no more digits, so a
 * BIGINT such as 9007199254740993 arrives as 9007199254740992, an id silently changed; as text
 * (cast in the model) it keeps every digit, as an external_id must (identity/external-id.ts).
 * The same holds for a number anywhere inside a VARIANT, OBJECT or ARRAY column or a properties_json
 * object: Snowflake's TO_JSON writes its digits whole
 * (https://docs.snowflake.com/en/sql-reference/functions/to_json), the parsed row holds a double.
 * A FLOAT or DOUBLE value past 2^53 (1e300) is a double already and is sent as it is, when the
 * row's text (`rowText`, the warehouse's JSON of the row) shows its digits came through whole
 * (number-text.ts).
 */
import { beyondSafeDigits } from '../identity/result.ts';
import type { Coerced } from './coerced.ts';
import { writtenExactly } from './number-text.ts';
import { isoUtc, toIsoTime } from './timestamp.ts';

const TIMESTAMP_TEXT = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}/;

/**
 * Whether a property column holds nothing to send: null, or text that is empty or blank (what
 * JavaScript's `trim` removes), which the value rules read as missing for every field
 * (docs/value-rules.md). Sent, `""` would be a value in Klaviyo: a segment on "is set" would
 * count the profile. A profile leaves such a property out, and clears it when Klaviyo holds a
 * value from before; an event leaves it out.
 */
export function missingProperty(raw: unknown): boolean {
  return raw === null || raw === undefined || (typeof raw === 'string' && raw.trim() === '');
}

/** A DATE column's text in a row's JSON, sent as it is (Klaviyo reads it as a date). */
const DATE_TEXT = /^\d{4}-\d{2}-\d{2}$/;

/**
 * `dated`: the column is a DATE or TIMESTAMP in the model (SyncSpec.dateColumns), so its text must
 * be a date: DuckDB writes an infinite one as "infinity", one before year 1 with " (BC)" and one
 * past 9999 with five digits, which Klaviyo would keep as text, and a segment on the date would
 * not see.
 */
export function propertyValue(value: unknown, rowText?: string, dated = false): Coerced<unknown> {
  switch (typeof value) {
    case 'string':
      if (TIMESTAMP_TEXT.test(value)) {
        const iso = toIsoTime(value);
        if (iso?.ok === true) return iso;
      }
      if (dated && !DATE_TEXT.test(value))
        return {
          ok: false,
          reason: `${JSON.stringify(value)} is a date Klaviyo cannot hold (infinity, a date BC or a year past 9999); make it null or a date in the model`,
        };
      return { ok: true, value };
    case 'number': {
      const problem = numberProblem(value, rowText);
      return problem === null
        ? { ok: true, value }
        : { ok: false, reason: `${problem}; cast the column to text in the model` };
    }
    case 'bigint':
      return Number.isSafeInteger(Number(value))
        ? { ok: true, value: Number(value) }
        : { ok: true, value: value.toString() };
    case 'object': {
      if (value instanceof Date)
        return Number.isNaN(value.getTime())
          ? { ok: false, reason: 'is an invalid date' }
          : { ok: true, value: isoUtc(value.getTime()) };
      const nested = value === null ? null : nestedNumberProblem(value, rowText);
      return nested === null ? { ok: true, value } : { ok: false, reason: nested };
    }
    default:
      return { ok: true, value };
  }
}

/** Why a number cannot be sent as it is, or null. */
function numberProblem(value: number, rowText: string | undefined): string | null {
  if (!Number.isFinite(value)) return `${value} is not a finite number`;
  if (Number.isInteger(value) && !Number.isSafeInteger(value) && !writtenExactly(rowText, value))
    return beyondSafeDigits(value);
  return null;
}

/**
 * The first number inside a JSON object or array that cannot be sent as it is (`numberProblem`),
 * named by its path (`erp.ids[1]`), or null. A non-finite number reaches here only from a row
 * whose text held a bare NaN or Infinity (state/row-json.ts); JSON would send it as null.
 */
export function nestedNumberProblem(value: object, rowText?: string): string | null {
  const found = firstBadNumber(value, rowText);
  if (found === null) return null;
  const at = found.at.startsWith('.') ? found.at.slice(1) : found.at;
  return `${at} ${found.problem}; write it as text in the model`;
}

/**
 * The walk behind `nestedNumberProblem`. The path (`.erp.ids[1]`) is put together on the way back
 * from a bad number only: every event's properties (its `Items`) are walked, and naming each
 * member on the way down cost several times the walk.
 */
function firstBadNumber(value: unknown, rowText: string | undefined): { at: string; problem: string } | null {
  if (typeof value === 'number') {
    const problem = numberProblem(value, rowText);
    return problem === null ? null : { at: '', problem };
  }
  if (typeof value !== 'object' || value === null || value instanceof Date) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const found = firstBadNumber(value[i], rowText);
      if (found !== null) return { at: `[${i}]${found.at}`, problem: found.problem };
    }
    return null;
  }
  for (const key of Object.keys(value)) {
    const found = firstBadNumber((value as Record<string, unknown>)[key], rowText);
    if (found !== null) return { at: `.${key}${found.at}`, problem: found.problem };
  }
  return null;
}
