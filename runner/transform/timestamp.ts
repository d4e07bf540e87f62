/**
 * The timestamp rule (docs/value-rules.md), shared with the macro klaviyo__parse_timestamp and
 * pinned by the case table test/dbt/seeds/klaviyo_value_cases.csv:
 * - ISO 8601 text, "YYYY-MM-DD[(T| )HH:MM[:SS[.fff…]]][ zone]", the zone Z, UTC or ±HH[[:]MM];
 *   without a zone it is UTC (dbt-duckdb TIMESTAMP and Snowflake TIMESTAMP_NTZ conventionally
 *   hold UTC; convert local times in the model). A date alone is midnight UTC.
 * - "DD/MM/YYYY" or "MM/DD/YYYY" (slashes or dots), optionally with " HH:MM[:SS]": read in the
 *   source's date order when known; otherwise only when both readings give the same day or only
 *   one reading is a date; two different days are refused as ambiguous.
 * - Epoch numbers: seconds below 1e11, milliseconds from 1e11; as text, 9–10 digits are seconds
 *   and 12–13 digits milliseconds (BIGINT columns arrive as text).
 * - Calendar fields are checked (2025-02-30 is refused, never rolled into March).
 * Output is UTC, "YYYY-MM-DDTHH:MM:SSZ", with milliseconds only when not zero; digits below the
 * millisecond are dropped (Klaviyo keeps event times to the second:
 * https://developers.klaviyo.com/en/reference/create_event).
 */
import type { Coerced } from './coerced.ts';

export type DateOrder = 'dmy' | 'mdy';

export interface TimestampOptions {
  dateOrder?: DateOrder | undefined;
}

const ISO =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})([T ]([0-9]{2}):([0-9]{2})(:([0-9]{2})([.,]([0-9]+))?)?)? ?(Z|z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)?$/;
const SLASHED = /^([0-9]{1,2})[/.]([0-9]{1,2})[/.]([0-9]{4})( ([0-9]{2}):([0-9]{2})(:([0-9]{2}))?)?$/;
const EPOCH_TEXT = /^([0-9]{9,10}|[0-9]{12,13})$/;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : (DAYS[month - 1] ?? 0);
}

interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millis: number;
  offsetMinutes: number;
}

function validFields(f: Fields): boolean {
  if (f.year < 1 || f.month < 1 || f.month > 12 || f.day < 1 || f.day > daysIn(f.year, f.month)) return false;
  return f.hour <= 23 && f.minute <= 59 && f.second <= 59;
}

/** Milliseconds since the epoch, or undefined when a calendar or clock field is out of range. */
function toEpoch(f: Fields): number | undefined {
  if (!validFields(f)) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(f.year, f.month - 1, f.day);
  date.setUTCHours(f.hour, f.minute, f.second, f.millis);
  return date.getTime() - f.offsetMinutes * 60_000;
}

function offsetOf(zone: string | undefined): number | undefined {
  if (zone === undefined || zone === 'Z' || zone === 'z' || zone === 'UTC') return 0;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (hours > 18 || minutes > 59) return undefined;
  return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}

/** `iso`: the output text itself, when the input already was UTC and in range (no Date needed). */
type Read =
  { ms: number } | { iso: string } | { code: 'invalid_date' | 'ambiguous_date_order' | 'not_a_timestamp' };

function readIso(m: RegExpExecArray): Read {
  const offset = offsetOf(m[11]);
  if (offset === undefined) return { code: 'invalid_date' };
  const fraction = (m[10] ?? '').slice(0, 3).padEnd(3, '0');
  const fields: Fields = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[5] ?? 0),
    minute: Number(m[6] ?? 0),
    second: Number(m[8] ?? 0),
    millis: Number(fraction),
    offsetMinutes: offset,
  };
  if (offset === 0) {
    // Already UTC: the output is the input's own digits (the form isoUtc writes for years 1–9999),
    // once the calendar and clock are checked as toEpoch checks them.
    if (!validFields(fields)) return { code: 'invalid_date' };
    const time = `${m[5] ?? '00'}:${m[6] ?? '00'}:${m[8] ?? '00'}`;
    return { iso: `${m[1]}-${m[2]}-${m[3]}T${time}${fields.millis === 0 ? '' : `.${fraction}`}Z` };
  }
  const ms = toEpoch(fields);
  return ms === undefined ? { code: 'invalid_date' } : { ms };
}

function readSlashed(m: RegExpExecArray, order: DateOrder | undefined): Read {
  const at = (first: string | undefined, second: string | undefined) =>
    toEpoch({
      year: Number(m[3]),
      month: Number(first),
      day: Number(second),
      hour: Number(m[5] ?? 0),
      minute: Number(m[6] ?? 0),
      second: Number(m[8] ?? 0),
      millis: 0,
      offsetMinutes: 0,
    });
  const dmy = at(m[2], m[1]);
  const mdy = at(m[1], m[2]);
  const chosen = order === 'dmy' ? dmy : order === 'mdy' ? mdy : undefined;
  if (order !== undefined) return chosen === undefined ? { code: 'invalid_date' } : { ms: chosen };
  if (dmy !== undefined && mdy !== undefined && dmy !== mdy) return { code: 'ambiguous_date_order' };
  const ms = dmy ?? mdy;
  return ms === undefined ? { code: 'invalid_date' } : { ms };
}

function fromEpoch(n: number): number {
  return Math.abs(n) < 1e11 ? n * 1000 : n;
}

/** ISO 8601 in UTC: seconds always, milliseconds only when not zero. */
export function isoUtc(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

const MESSAGES = {
  invalid_date: 'has a date or time that does not exist',
  ambiguous_date_order:
    "reads as two different days (day or month first?); set the source's date order (docs/value-rules.md)",
  not_a_timestamp:
    'is not a timestamp; use ISO 8601 (2025-01-02T03:04:05Z), YYYY-MM-DD HH:MM:SS (read as UTC), a date, or epoch seconds',
} as const;

/** "YYYY-MM-DD HH:MM:SS" or with a T, exactly: tested without captures (readPlain). */
const PLAIN = /^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}$/;

/**
 * "YYYY-MM-DD HH:MM:SS" (or with a T), the text a warehouse's TIMESTAMP becomes in the row's JSON:
 * the one form most timestamps take, read without the ISO expression's captures. The result is
 * the same as readIso's; null when the text is not exactly that form.
 */
function readPlain(text: string): Read | null {
  if (!PLAIN.test(text)) return null;
  const fields: Fields = {
    year: Number(text.slice(0, 4)),
    month: Number(text.slice(5, 7)),
    day: Number(text.slice(8, 10)),
    hour: Number(text.slice(11, 13)),
    minute: Number(text.slice(14, 16)),
    second: Number(text.slice(17, 19)),
    millis: 0,
    offsetMinutes: 0,
  };
  if (!validFields(fields)) return { code: 'invalid_date' };
  return { iso: `${text.slice(0, 10)}T${text.slice(11)}Z` };
}

function readText(text: string, options: TimestampOptions): Read {
  const plain = readPlain(text);
  if (plain !== null) return plain;
  if (EPOCH_TEXT.test(text)) return { ms: fromEpoch(Number(text)) };
  const iso = ISO.exec(text);
  if (iso !== null) return readIso(iso);
  const slashed = SLASHED.exec(text);
  if (slashed !== null) return readSlashed(slashed, options.dateOrder);
  return { code: 'not_a_timestamp' };
}

/** A timestamp as ISO 8601 UTC by the rule above; null when missing. */
export function toIsoTime(raw: unknown, options: TimestampOptions = {}): Coerced<string> | null {
  if (raw === null || raw === undefined) return null;
  let read: Read;
  let shown: string;
  if (raw instanceof Date) {
    read = Number.isNaN(raw.getTime()) ? { code: 'not_a_timestamp' } : { ms: raw.getTime() };
    shown = 'an invalid Date';
  } else if (typeof raw === 'number' || typeof raw === 'bigint') {
    const n = Number(raw);
    read = Number.isFinite(n) ? { ms: fromEpoch(n) } : { code: 'not_a_timestamp' };
    shown = String(raw);
  } else {
    let text: string | undefined;
    if (typeof raw === 'string') text = raw;
    else if (typeof raw === 'object' && raw.toString !== Object.prototype.toString && !Array.isArray(raw))
      text = String(raw);
    if (text === undefined)
      return {
        ok: false,
        code: 'not_a_timestamp',
        reason: `${JSON.stringify(raw)} ${MESSAGES.not_a_timestamp}`,
      };
    text = text.trim();
    if (text === '') return null;
    shown = `"${text}"`;
    read = readText(text, options);
  }
  if ('iso' in read) return { ok: true, value: read.iso };
  if ('ms' in read && Number.isFinite(read.ms) && Math.abs(read.ms) <= 8.64e15)
    return { ok: true, value: isoUtc(read.ms) };
  const code = 'code' in read ? read.code : 'not_a_timestamp';
  return { ok: false, code, reason: `${shown} ${MESSAGES[code]}` };
}
