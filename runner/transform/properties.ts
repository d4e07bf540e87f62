/**
 * A custom property value as Klaviyo stores it well. Values keep the type the warehouse's JSON gave
 * them (numbers stay numbers, text stays text: a zip such as "02134" must not become 2134, so text
 * is never guessed into a number). Timestamps become ISO 8601 UTC, which Klaviyo recognises as
 * dates: warehouse text "YYYY-MM-DD HH:MM:SS" (read as UTC, see coerce.ts) and Date objects.
 * A non-finite number cannot be sent (JSON would turn it into null) and is refused. So is a whole
 * number beyond ±2^53: a row's JSON number is read as a double, which holds no more digits, so a
 * BIGINT such as 9007199254740993 arrives as 9007199254740992, an id silently changed; as text
 * (cast in the model) it keeps every digit, as an external_id must (identity/external-id.ts).
 */
import type { Coerced } from './coerced.ts';
import { isoUtc, toIsoTime } from './timestamp.ts';

const TIMESTAMP_TEXT = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}/;

export function propertyValue(value: unknown): Coerced<unknown> {
  switch (typeof value) {
    case 'string':
      if (TIMESTAMP_TEXT.test(value)) {
        const iso = toIsoTime(value);
        if (iso?.ok === true) return iso;
      }
      return { ok: true, value };
    case 'number':
      if (!Number.isFinite(value)) return { ok: false, reason: `${value} is not a finite number` };
      if (Number.isInteger(value) && !Number.isSafeInteger(value))
        return {
          ok: false,
          // Every double beyond ±2^53 is whole, so the value read says nothing of the model's:
          // a DECIMAL(38,10) with decimals arrives here whole too.
          reason: `${value} is beyond ±2^53, where a JSON number no longer keeps every digit (the model's value may have other last digits, or decimals); cast the column to text in the model`,
        };
      return { ok: true, value };
    case 'bigint':
      return Number.isSafeInteger(Number(value))
        ? { ok: true, value: Number(value) }
        : { ok: true, value: value.toString() };
    case 'object':
      if (value instanceof Date)
        return Number.isNaN(value.getTime())
          ? { ok: false, reason: 'is an invalid date' }
          : { ok: true, value: isoUtc(value.getTime()) };
      return { ok: true, value };
    default:
      return { ok: true, value };
  }
}
