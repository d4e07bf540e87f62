/**
 * Phone numbers to E.164, the only form Klaviyo accepts for phone_number
 * (https://developers.klaviyo.com/en/reference/profiles_api_overview), with libphonenumber-js
 * (Google's libphonenumber metadata, maintained) rather than hand-written rules: national formats
 * are read with the row's country, else the sync's phone_region.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import type { Normalized } from './email.ts';

export function normalizePhone(raw: unknown, region: string): Normalized | null {
  if (raw === null || raw === undefined) return null;
  const text = String(raw).trim();
  if (text === '') return null;
  const parsed = parsePhoneNumberFromString(text, region.toUpperCase() as CountryCode);
  if (parsed === undefined || !parsed.isValid()) {
    return {
      ok: false,
      reason: `"${text}" is not a valid phone number${text.startsWith('+') ? '' : ` for region ${region}`}`,
    };
  }
  return { ok: true, value: parsed.number };
}
