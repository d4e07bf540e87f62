/**
 * The phone rule (docs/value-rules.md): a number becomes E.164, the only form Klaviyo accepts for
 * phone_number (https://developers.klaviyo.com/en/reference/profiles_api_overview), in two steps.
 *
 * 1. Syntax, the same in the SQL macro klaviyo__phone_e164: an extension ("ext. 12", "x12", "#12")
 *    is dropped (E.164 has no place for it); letters, a second number or other characters are
 *    refused; "(0)" is dropped ("+44 (0)20 …"); a number starting with + is international, and so
 *    is one starting with the region's international prefix ("011" in NANP, "0011" in AU) or
 *    "00"; any other number is national, read in the row's country (the country rule, so "UK"
 *    and "united kingdom" work) or else the sync's phone_region, with its national prefix
 *    dropped ("020 …" in GB, "1 415 …" in US). 7 to 15 digits remain.
 * 2. Numbering plans, which only the runner checks, with libphonenumber-js's full metadata: a
 *    number no plan assigns ("+1 555 …") or a premium-rate number is refused (plan-verdict.ts).
 *
 * Both steps' refusals carry a reason code; the case table test/dbt/seeds/klaviyo_value_cases.csv
 * pins them, with the numbering-plan cases marked as checked by the runner only.
 */
import { normalizeCountry } from './country.ts';
import { NUMBERING_PLANS } from './numbering-plan.ts';
import { planVerdict, type PlanVerdict } from './plan-verdict.ts';
import type { Normalized } from './result.ts';

const SPACES = /[\u00a0\u202f\u2009]/g;
const EXTENSION = /\s*(ext\.?|extension|x|#)\s*[0-9]{1,6}$/i;
const LETTER = /[a-z]/i;
const ALLOWED = /^\+?[0-9 ()\-./]+$/;
const NON_DIGIT = /[^0-9]/g;
/** A number already in E.164: what step 1 makes of it is the text itself. */
const E164 = /^\+[1-9][0-9]{6,14}$/;

function refuse(text: string, code: string, detail: string): Normalized {
  return { ok: false, code, reason: `${JSON.stringify(text)} is not a valid phone number: ${detail}` };
}

/**
 * The region to read national numbers in: the row's country by the country rule when it has one,
 * else the sync's fallback; a refusal when the row's country is not a country.
 */
export function phoneRegion(
  country: unknown,
  fallback: string,
): { region: string } | { code: string; reason: string } {
  const read = normalizeCountry(country);
  if (read === null) return { region: fallback.toUpperCase() };
  if (!read.ok) return { code: read.code ?? 'unknown_country', reason: read.reason };
  return { region: read.value };
}

/** Step 1: the number's E.164 form by syntax alone, or why there is none; null when missing. */
export function phoneSyntax(raw: unknown, country: unknown, fallback = 'US'): Normalized | null {
  if (raw === null || raw === undefined) return null;
  // Most numbers a warehouse holds for Klaviyo already are E.164: none of the steps below changes one.
  if (typeof raw === 'string' && E164.test(raw)) return { ok: true, value: raw };
  const text = String(raw).replace(SPACES, ' ').trim();
  if (text === '') return null;
  const bare = text.replace(EXTENSION, '');
  if (LETTER.test(bare)) return refuse(text, 'letters', 'it has letters');
  if (!ALLOWED.test(bare)) return refuse(text, 'not_a_phone', 'it has characters a phone number cannot have');
  let digits = bare.replaceAll('(0)', '').replace(NON_DIGIT, '');
  if (!bare.startsWith('+')) {
    const where = phoneRegion(country, fallback);
    if ('code' in where)
      return refuse(text, where.code, `a national number is read in its country, and ${where.reason}`);
    const plan = NUMBERING_PLANS.get(where.region);
    if (plan === undefined)
      return refuse(text, 'unknown_country', `${where.region} has no telephone numbering plan`);
    if (plan.iddPrefix !== null && digits.startsWith(plan.iddPrefix))
      digits = digits.slice(plan.iddPrefix.length);
    else if (digits.startsWith('00')) digits = digits.slice(2);
    else {
      if (plan.nationalPrefix !== null && digits.startsWith(plan.nationalPrefix))
        digits = digits.slice(plan.nationalPrefix.length);
      digits = plan.callingCode + digits;
    }
  }
  if (digits.length < 7) return refuse(text, 'too_short', 'it is too short');
  if (digits.length > 15) return refuse(text, 'too_long', 'it has more than the 15 digits E.164 allows');
  if (digits.startsWith('0')) return refuse(text, 'not_a_phone', 'no country calling code starts with 0');
  return { ok: true, value: `+${digits}` };
}

/**
 * Step 2's verdicts by E.164 number, so a number met again (a shared household phone, the same
 * person in several syncs) is not parsed again. Bounded: emptied when full, so memory stays flat
 * whatever the model's size.
 */
const verdicts = new Map<string, PlanVerdict>();
const MAX_VERDICTS = 20_000;

/**
 * The number in E.164 by both steps, or why not; null when missing. `country` is the row's
 * country (any form the country rule reads), `fallback` the sync's phone_region.
 */
export function normalizePhone(raw: unknown, country: unknown, fallback = 'US'): Normalized | null {
  const syntax = phoneSyntax(raw, country, fallback);
  if (syntax === null || !syntax.ok) return syntax;
  let verdict = verdicts.get(syntax.value);
  if (verdict === undefined) {
    verdict = planVerdict(syntax.value);
    if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
    verdicts.set(syntax.value, verdict);
  }
  return 'number' in verdict
    ? { ok: true, value: verdict.number }
    : refuse(String(raw).trim(), verdict.code, verdict.detail);
}
