/**
 * Phone numbers to E.164, the only form Klaviyo accepts for phone_number
 * (https://developers.klaviyo.com/en/reference/profiles_api_overview), with libphonenumber-js
 * (Google's libphonenumber metadata, maintained) rather than hand-written rules. A number written
 * in national form ("020 7946 0958") is read in the row's country (attributes.country), else the
 * sync's phone_region (default US, schema/klaviyo-sync.schema.json); one starting with + or an
 * international prefix ("0044 …" in GB) carries its own country. Validity uses the full ("max")
 * metadata, so numbers no numbering plan assigns (+1 555 …) are refused rather than sent.
 * An extension ("ext. 12") is dropped: E.164 has no place for it.
 */
import {
  isSupportedCountry,
  parsePhoneNumberFromString,
  validatePhoneNumberLength,
  type CountryCode,
} from 'libphonenumber-js/max';
import type { Normalized } from './result.ts';

const ALPHA2 = /^[A-Za-z]{2}$/;
/** "UK" is the ISO 3166 exceptionally reserved code for GB, common in shop exports. */
const ALIASES: Record<string, string> = { UK: 'GB' };

/**
 * The region to read national numbers in: the row's country when it is an ISO 3166-1 alpha-2 code
 * libphonenumber knows, else the sync's fallback.
 */
export function phoneRegion(country: unknown, fallback: string): CountryCode {
  if (typeof country === 'string') {
    const code = country.trim();
    if (ALPHA2.test(code)) {
      const upper = code.toUpperCase();
      const region = ALIASES[upper] ?? upper;
      if (isSupportedCountry(region)) return region;
    }
  }
  return fallback.toUpperCase() as CountryCode;
}

const LENGTH_PROBLEMS: Record<string, string> = {
  NOT_A_NUMBER: 'it has no digits',
  INVALID_COUNTRY: 'its country calling code does not exist',
  TOO_SHORT: 'it is too short',
  TOO_LONG: 'it is too long',
  INVALID_LENGTH: 'it has a length no number in that country has',
};

/**
 * The number in E.164, or why not. Null when there is no number (null, undefined or blank).
 * `region` reads national numbers, e.g. "US" or "GB".
 */
export function normalizePhone(raw: unknown, region: string): Normalized | null {
  if (raw === null || raw === undefined) return null;
  const text = String(raw).trim();
  if (text === '') return null;
  const country = region.toUpperCase() as CountryCode;
  const parsed = parsePhoneNumberFromString(text, country);
  if (parsed !== undefined && parsed.isValid()) return { ok: true, value: parsed.number };
  const international = text.startsWith('+');
  const where = international ? '' : ` read as a ${country} number`;
  const length = validatePhoneNumberLength(text, country);
  const detail =
    parsed === undefined || length !== undefined
      ? (LENGTH_PROBLEMS[length ?? 'NOT_A_NUMBER'] ?? 'it cannot be read as a phone number')
      : `no number ${parsed.number} exists in the numbering plan of ${parsed.country ?? `+${parsed.countryCallingCode}`}`;
  return { ok: false, reason: `"${text}" is not a valid phone number${where}: ${detail}` };
}
