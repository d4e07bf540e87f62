/**
 * The country rule (docs/value-rules.md): a country written as an ISO 3166-1 alpha-2 or alpha-3
 * code, or an English name or common alias, in any case and with surrounding spaces, becomes its
 * alpha-2 code ("United Kingdom", "uk", "GBR" → "GB"). Names come from i18n-iso-countries (the
 * maintained ISO 3166-1 list with English names and aliases, https://www.iso.org/iso-3166-country-codes.html);
 * a name two countries share ("Congo") is refused as ambiguous, and names in other languages are
 * not guessed. The package's SQL reads countries through the same table, generated from this
 * module into models/intermediate/int_klaviyo__country_keys.sql.
 */
import { createRequire } from 'node:module';
import countries from 'i18n-iso-countries';
import type { Normalized } from './result.ts';

const require = createRequire(import.meta.url);
countries.registerLocale(require('i18n-iso-countries/langs/en.json') as countries.LocaleData);

/** Parts of the United Kingdom and a common name of the Netherlands that the English list lacks. */
const EXTRA_ALIASES: Record<string, string> = {
  england: 'GB',
  scotland: 'GB',
  wales: 'GB',
  'northern ireland': 'GB',
  holland: 'NL',
};

/** The lookup key of a country text: lower case, trimmed, inner spaces collapsed. */
export function countryKey(text: string): string {
  return text.trim().replace(/\s+/g, ' ').toLowerCase();
}

function buildKeys(): Map<string, string | null> {
  const keys = new Map<string, string | null>();
  const add = (text: string, code: string) => {
    const key = countryKey(text);
    const known = keys.get(key);
    keys.set(key, known === undefined || known === code ? code : null);
  };
  for (const [alpha2, alpha3] of Object.entries(countries.getAlpha2Codes()).map(
    ([a2]) => [a2, countries.alpha2ToAlpha3(a2)] as const,
  )) {
    add(alpha2, alpha2);
    if (alpha3 !== undefined) add(alpha3, alpha2);
  }
  for (const [alpha2, names] of Object.entries(countries.getNames('en', { select: 'all' })))
    for (const name of names) add(name, alpha2);
  for (const [alias, alpha2] of Object.entries(EXTRA_ALIASES)) add(alias, alpha2);
  return keys;
}

/** Every lookup key and its alpha-2 code; null for a key that names two countries. */
export const COUNTRY_KEYS: ReadonlyMap<string, string | null> = buildKeys();

/** The ISO 3166-1 alpha-2 code of a country text; null when missing. */
export function normalizeCountry(raw: unknown): Normalized | null {
  if (raw === null || raw === undefined) return null;
  const text = String(raw).trim();
  if (text === '') return null;
  const code = COUNTRY_KEYS.get(countryKey(text));
  if (code === undefined)
    return {
      ok: false,
      code: 'unknown_country',
      reason: `${JSON.stringify(text)} is not a country: use an ISO 3166-1 code (GB, GBR) or an English name`,
    };
  if (code === null)
    return {
      ok: false,
      code: 'ambiguous_country',
      reason: `${JSON.stringify(text)} names more than one country; use its ISO 3166-1 code`,
    };
  return { ok: true, value: code };
}
