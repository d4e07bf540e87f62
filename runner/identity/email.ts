/**
 * Email as Klaviyo keys profiles by it: trimmed, lower-cased, one @, a dotted domain, no spaces,
 * at most 100 characters (https://developers.klaviyo.com/en/reference/profiles_api_overview).
 * The same rule as the dbt macro klaviyo__is_valid_email, so SQL and runner agree.
 */
const LOCAL = "[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*";
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const EMAIL = new RegExp(`^${LOCAL}@${LABEL}(?:\\.${LABEL})+$`);

export type Normalized = { ok: true; value: string } | { ok: false; reason: string };

export function normalizeEmail(raw: unknown): Normalized | null {
  if (raw === null || raw === undefined) return null;
  const value = String(raw).trim().toLowerCase();
  if (value === '') return null;
  if (value.length > 100)
    return { ok: false, reason: `email is ${value.length} characters; Klaviyo allows 100` };
  if (!EMAIL.test(value)) return { ok: false, reason: `"${value}" is not a valid email address` };
  return { ok: true, value };
}
