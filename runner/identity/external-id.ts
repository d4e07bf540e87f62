/**
 * external_id: the id of the person in the user's own system. Klaviyo takes any string and does
 * not merge profiles on it (docs/klaviyo-api.md#profile-attributes), so the runner only trims it and refuses values that
 * would silently change: a JSON number beyond 2^53 has already lost digits (a BIGINT key should be
 * cast to text in the model), and a fractional number is not an id.
 */
import { beyondSafeDigits, type Normalized } from './result.ts';

export function normalizeExternalId(raw: unknown): Normalized | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'number') {
    if (!Number.isSafeInteger(raw))
      return {
        ok: false,
        reason: Number.isInteger(raw)
          ? `${beyondSafeDigits(raw)}; cast the column to text in the model`
          : `${JSON.stringify(String(raw))} is not a whole number; an external_id must be text or an integer`,
      };
    return { ok: true, value: String(raw) };
  }
  if (typeof raw === 'bigint') return { ok: true, value: raw.toString() };
  if (typeof raw === 'object')
    return { ok: false, reason: 'is an object or array; an external_id must be text' };
  const value = String(raw).trim();
  return value === '' ? null : { ok: true, value };
}
