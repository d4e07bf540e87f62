/**
 * Explicit rules for values that arrive as text from an OMS export. A value that cannot be read by
 * these rules is an error for its row, never a silent 0 or NaN.
 *
 * Numbers: trim; one leading currency symbol or ISO code ($ £ € USD GBP EUR CAD ...) is dropped;
 * commas are thousands separators only when every group after the first has three digits
 * ("1,234.50"); a comma followed by exactly two digits and no dot ("12,50") is refused as
 * ambiguous rather than guessed; exponents ("1e3") are accepted; "", "N/A", "NaN", "Infinity" are not.
 */
export type Coerced<T> = { ok: true; value: T } | { ok: false; reason: string };

const CURRENCY = /^(?:[$£€¥]|USD|GBP|EUR|CAD|AUD|JPY)\s*/i;
const PLAIN = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;
const GROUPED = /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/;

export function toNumber(raw: unknown): Coerced<number> | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'number') {
    return Number.isFinite(raw)
      ? { ok: true, value: raw }
      : { ok: false, reason: `${raw} is not a finite number` };
  }
  if (typeof raw === 'bigint') return { ok: true, value: Number(raw) };
  if (typeof raw !== 'string') return { ok: false, reason: `${JSON.stringify(raw)} is not a number` };
  const text = raw.trim();
  if (text === '') return null;
  let body = text.replace(CURRENCY, '');
  if (GROUPED.test(body)) body = body.replaceAll(',', '');
  if (!PLAIN.test(body)) return { ok: false, reason: `"${raw}" is not a number` };
  const value = Number(body);
  return Number.isFinite(value)
    ? { ok: true, value }
    : { ok: false, reason: `"${raw}" is not a finite number` };
}

const SQL_TS = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}(?::?\d{2})?)?$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A timestamp as ISO 8601 UTC. Warehouse timestamps without a zone ("2025-01-02 03:04:05") are
 * read as UTC, as dbt-duckdb and Snowflake TIMESTAMP_NTZ conventionally hold UTC.
 */
export function toIsoTime(raw: unknown): Coerced<string> | null {
  if (raw === null || raw === undefined || raw === '') return null;
  let date: Date | undefined;
  if (raw instanceof Date) date = raw;
  else if (typeof raw === 'number') date = new Date(raw < 1e11 ? raw * 1000 : raw);
  else if (typeof raw === 'string') {
    const text = raw.trim();
    const m = SQL_TS.exec(text);
    if (m) date = new Date(`${m[1]}T${m[2]}${m[3] === undefined ? 'Z' : m[3]}`);
    else if (DATE_ONLY.test(text)) date = new Date(`${text}T00:00:00Z`);
  }
  if (date === undefined || Number.isNaN(date.getTime()))
    return { ok: false, reason: `${JSON.stringify(raw)} is not a timestamp` };
  return { ok: true, value: date.toISOString().replace('.000Z', 'Z') };
}

/** JSON that arrives as text (DuckDB JSON/VARCHAR) or already parsed (Snowflake VARIANT). */
export function toJsonObject(raw: unknown): Coerced<Record<string, unknown>> | null {
  if (raw === null || raw === undefined || raw === '') return null;
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw) as unknown;
    } catch {
      return { ok: false, reason: 'is not valid JSON' };
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, reason: 'is not a JSON object' };
  return { ok: true, value: value as Record<string, unknown> };
}

export function toText(raw: unknown): string | undefined {
  if (raw === null || raw === undefined) return undefined;
  const text =
    typeof raw === 'string' ? raw.trim() : typeof raw === 'object' ? JSON.stringify(raw) : String(raw);
  return text === '' ? undefined : text;
}
