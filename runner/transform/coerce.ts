/**
 * Explicit rules for reading model values that may arrive as text. Warehouse drivers hand DECIMAL
 * and BIGINT over as strings, timestamps as strings or driver objects, and OMS exports keep prices
 * as formatted text. Every reader returns `null` for a missing value (null, undefined, blank text),
 * a value, or a reason: a value that cannot be read by these rules is an error for its row, never
 * a silent 0 or NaN. Every pattern is compiled once, at module load.
 *
 * ## Numbers (`toNumber`)
 * - A JS number must be finite (NaN and ±Infinity are refused); a bigint must fit in 2^53.
 * - Text is trimmed; one currency marker is dropped, before or after the amount, with or without a
 *   space: a symbol ($ £ € ¥ ₹, US$ C$ A$ NZ$ HK$) or an upper-case ISO 4217 code ("USD 12",
 *   "12.00 EUR"; after the amount only with a space, so "12abc" is not read as 12). A sign may stand before or after a leading marker ("-$5", "$-5").
 * - The decimal point is ".". A comma is read only as a thousands separator, in groups of three
 *   after a first group of 1–3 digits that does not start with 0: "1,234.50" and "1,234" are
 *   1234.5 and 1234. Any other comma ("12,50", "€12,50", "1.234,56", "1,23") is refused as a
 *   decimal comma, since guessing the locale could multiply a price by 100.
 * - Exponents are read ("1e3" is 1000). Refused, each with its own reason: words ("N/A", "NaN",
 *   "Infinity", "null", "-"), percentages ("12%"), accounting negatives ("(12.50)"), spaces or
 *   apostrophes as thousands separators, and anything whose value is not finite ("1e400").
 *
 * ## Booleans (`toBoolean`)
 * true/false, 1/0, and the text true/false, t/f, yes/no, y/n, 1/0 in any case; anything else is
 * refused (a consent column reading "maybe" must not subscribe anyone).
 *
 * ## Timestamps (`toIsoTime`)
 * Accepted: a JS Date; driver timestamp objects (DuckDB's, read through their text); ISO 8601 text
 * with a zone ("2025-01-02T03:04:05Z", "+02:00", "+0200", "+02"); warehouse text without a zone,
 * "YYYY-MM-DD HH:MM[:SS[.fff…]]", read as **UTC** (dbt-duckdb TIMESTAMP and Snowflake
 * TIMESTAMP_NTZ conventionally hold UTC; convert local times in the model); a date alone, read as
 * midnight UTC; epoch numbers, in seconds below 1e11 and in milliseconds from 1e11 (1e11 seconds is
 * the year 5138, 1e11 ms is 1973), also as digit-only text of 9–10 (seconds) or 12–13 (ms) digits
 * since BIGINT columns arrive as text. Calendar fields are checked ("2025-02-30" is refused, not
 * rolled into March). Output is UTC, "YYYY-MM-DDTHH:MM:SSZ", with milliseconds only when not zero;
 * digits below the millisecond are dropped (Klaviyo keeps seconds, docs/klaviyo-api.md#events).
 *
 * ## JSON (`toJsonObject`)
 * A JSON object as text (DuckDB JSON or VARCHAR) or already parsed (Snowflake VARIANT); arrays and
 * scalars are refused where an object is expected.
 */
export type Coerced<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Coerced<T> => ({ ok: true, value });
const fail = <T>(reason: string): Coerced<T> => ({ ok: false, reason });

/** Driver value objects (DuckDB DECIMAL, TIMESTAMP …) have their own toString; plain objects do not. */
function driverText(raw: object): string | undefined {
  if (raw.toString === Object.prototype.toString || Array.isArray(raw)) return undefined;
  return String(raw);
}

// ---------------------------------------------------------------- numbers

const SYMBOL = '[$£€¥₹]|US\\$|C\\$|A\\$|NZ\\$|HK\\$';
const LEADING = new RegExp(`^([+-]?)(?:${SYMBOL}|[A-Z]{3})\\s*`);
const TRAILING = new RegExp(`(?:\\s*(?:${SYMBOL})|\\s+[A-Z]{3})$`);
const PLAIN = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const GROUPED = /^[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?$/;
const WORD = /^[+-]?[A-Za-z/]+$/;

/** Why a text amount cannot be read, checked only after it failed (no cost on good rows). */
function numberProblem(raw: string, body: string): string {
  const quoted = `"${raw}"`;
  if (body === '' || WORD.test(body) || body === '-')
    return `${quoted} is not a number; write NULL in the model where there is no value`;
  if (body.endsWith('%')) return `${quoted} is a percentage; write it as a plain number in the model`;
  if (body.startsWith('(') && body.endsWith(')'))
    return `${quoted} is an accounting negative; write it as -${body.slice(1, -1)} in the model`;
  if (body.includes(','))
    return `${quoted} has a comma that is not a thousands separator (a decimal comma?); only "." is read as the decimal point, so convert the value in the model`;
  if (/\d[\s'’]\d/.test(body))
    return `${quoted} uses spaces or apostrophes between digits; remove them in the model`;
  return `${quoted} is not a number`;
}

/** A finite number read by the rules above; null when missing. */
export function toNumber(raw: unknown): Coerced<number> | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return fail(`${raw} is not a finite number`);
    return ok(raw === 0 ? 0 : raw);
  }
  if (typeof raw === 'bigint') {
    const n = Number(raw);
    return Number.isSafeInteger(n) ? ok(n) : fail(`${raw} is too large to be kept exactly as a number`);
  }
  let text: string;
  if (typeof raw === 'string') text = raw;
  else if (typeof raw === 'object') {
    const t = driverText(raw);
    if (t === undefined) return fail(`${JSON.stringify(raw)} is not a number`);
    text = t;
  } else return fail(`${String(raw)} is not a number`);
  text = text.trim();
  if (text === '') return null;
  let body = text;
  const lead = LEADING.exec(body);
  if (lead !== null) body = (lead[1] ?? '') + body.slice(lead[0].length);
  else body = body.replace(TRAILING, '');
  if (GROUPED.test(body)) body = body.replaceAll(',', '');
  else if (!PLAIN.test(body)) return fail(numberProblem(text, body));
  const value = Number(body);
  if (!Number.isFinite(value)) return fail(`"${text}" is not a finite number`);
  return ok(value === 0 ? 0 : value);
}

// ---------------------------------------------------------------- booleans

const TRUE = new Set(['true', 't', 'yes', 'y', '1']);
const FALSE = new Set(['false', 'f', 'no', 'n', '0']);

/** true or false by the rules above; null when missing. */
export function toBoolean(raw: unknown): Coerced<boolean> | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'boolean') return ok(raw);
  if (raw === 1 || raw === 0 || raw === 1n || raw === 0n) return ok(raw === 1 || raw === 1n);
  if (typeof raw === 'string') {
    const text = raw.trim().toLowerCase();
    if (text === '') return null;
    if (TRUE.has(text)) return ok(true);
    if (FALSE.has(text)) return ok(false);
  }
  return fail(
    `${JSON.stringify(typeof raw === 'bigint' ? raw.toString() : raw)} is not true or false (accepted: true/false, yes/no, y/n, t/f, 1/0)`,
  );
}

// ---------------------------------------------------------------- timestamps

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$/;
const EPOCH_SECONDS = /^\d{9,10}$/;
const EPOCH_MILLIS = /^\d{12,13}$/;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : (DAYS[month - 1] ?? 0);
}

/** Milliseconds since the epoch for ISO/SQL text, or undefined when the text is no such timestamp. */
function parseTimestamp(text: string): number | undefined {
  const m = TIMESTAMP.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offset = 0;
  if (zone !== undefined && zone !== 'Z' && zone !== 'z' && zone !== 'UTC') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (oh > 18 || om > 59) return undefined;
    offset = sign * (oh * 60 + om);
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, Number(frac.slice(0, 3).padEnd(3, '0')));
  return date.getTime() - offset * 60_000;
}

function fromEpoch(n: number): number {
  return Math.abs(n) < 1e11 ? n * 1000 : n;
}

/** ISO 8601 in UTC: seconds always, milliseconds only when not zero. */
export function isoUtc(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

const TIME_FORMS =
  'use ISO 8601 (2025-01-02T03:04:05Z), YYYY-MM-DD HH:MM:SS (read as UTC), a date, or epoch seconds';

/** A timestamp as ISO 8601 UTC by the rules above; null when missing. */
export function toIsoTime(raw: unknown): Coerced<string> | null {
  if (raw === null || raw === undefined) return null;
  let ms: number | undefined;
  let shown: string;
  if (raw instanceof Date) {
    ms = raw.getTime();
    shown = 'an invalid Date';
  } else if (typeof raw === 'number' || typeof raw === 'bigint') {
    const n = Number(raw);
    ms = Number.isFinite(n) ? fromEpoch(n) : undefined;
    shown = String(raw);
  } else {
    let text: string | undefined;
    if (typeof raw === 'string') text = raw;
    else if (typeof raw === 'object') text = driverText(raw);
    if (text === undefined) return fail(`${JSON.stringify(raw)} is not a timestamp; ${TIME_FORMS}`);
    text = text.trim();
    if (text === '') return null;
    shown = `"${text}"`;
    if (EPOCH_SECONDS.test(text) || EPOCH_MILLIS.test(text)) ms = fromEpoch(Number(text));
    else ms = parseTimestamp(text);
  }
  if (ms === undefined || !Number.isFinite(ms) || Math.abs(ms) > 8.64e15)
    return fail(`${shown} is not a timestamp; ${TIME_FORMS}`);
  return ok(isoUtc(ms));
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
