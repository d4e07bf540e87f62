/**
 * Email as Klaviyo keys profiles by it: trimmed, lower-cased, at most 100 characters
 * (https://developers.klaviyo.com/en/reference/profiles_api_overview), and matching the same
 * pattern as the dbt macro `klaviyo__is_valid_email` (macros/klaviyo__email.sql), so the SQL
 * models and the runner agree on which rows are valid.
 *
 * The pattern is the RFC 5322 "dot-atom" form with ASCII letters only: a local part of letters,
 * digits and !#$%&'*+/=?^_`{|}~- in dot-separated runs, an @, and a domain of two or more
 * DNS labels (letters, digits, inner hyphens, at most 63 characters each). Quoted local parts,
 * IP-literal domains and non-ASCII addresses are refused: Klaviyo's own forms do not take them
 * and a refusal with a reason is better than an address that bounces.
 *
 * A leading "mailto:" (any case) is dropped: it is how links store addresses and names no other
 * address. The rule is written out in docs/value-rules.md and pinned by the case table
 * test/dbt/seeds/klaviyo_value_cases.csv (refusals: `too_long`, `invalid_email`).
 *
 * The pattern is compiled once, here; only a failing address pays for the checks that explain why.
 */
import type { Normalized } from './result.ts';

export type { Normalized } from './result.ts';

/** Klaviyo: an email is at most 100 characters (docs/klaviyo-api.md#profile-attributes). */
export const EMAIL_MAX_LENGTH = 100;

const LOCAL = "[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*";
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const EMAIL = new RegExp(`^${LOCAL}@${LABEL}(?:\\.${LABEL})+$`);
const LOCAL_ONLY = new RegExp(`^${LOCAL}$`);
const DOMAIN_ONLY = new RegExp(`^${LABEL}(?:\\.${LABEL})+$`);
const NON_ASCII = /[^\x20-\x7e]/;
const SPACE = /\s/;
const MAILTO = /^mailto:/;

/**
 * Trimmed and lower-cased email, or the reason Klaviyo would refuse it. Null when there is no
 * email at all (null, undefined or blank).
 */
export function normalizeEmail(raw: unknown): Normalized | null {
  if (raw === null || raw === undefined) return null;
  const value = String(raw).trim().toLowerCase().replace(MAILTO, '');
  if (value === '') return null;
  if (value.length > EMAIL_MAX_LENGTH)
    return {
      ok: false,
      code: 'too_long',
      reason: `email is ${value.length} characters long; Klaviyo accepts at most ${EMAIL_MAX_LENGTH}`,
    };
  if (EMAIL.test(value)) return { ok: true, value };
  return {
    ok: false,
    code: 'invalid_email',
    reason: `${JSON.stringify(value)} is not a valid email address: ${emailProblem(value)}`,
  };
}

/** Why an address failed the pattern, in words a person fixing the data can act on. */
function emailProblem(value: string): string {
  const at = value.split('@').length - 1;
  if (at === 0) return 'it has no @';
  if (at > 1) return 'it has more than one @ (one address per row)';
  if (SPACE.test(value)) return 'it contains a space';
  const nonAscii = NON_ASCII.exec(value);
  if (nonAscii !== null)
    return `it contains ${JSON.stringify(nonAscii[0])}, which is not an ASCII character (write the domain in its xn-- form)`;
  const [local = '', domain = ''] = value.split('@');
  if (local === '') return 'nothing comes before the @';
  if (domain === '') return 'nothing comes after the @';
  if (!LOCAL_ONLY.test(local))
    return local.startsWith('.') || local.endsWith('.') || local.includes('..')
      ? 'the part before the @ starts or ends with a dot, or has two dots in a row'
      : 'the part before the @ contains a character email addresses cannot have';
  if (!domain.includes('.')) return `the domain ${JSON.stringify(domain)} has no dot`;
  if (!DOMAIN_ONLY.test(domain)) return `the domain ${JSON.stringify(domain)} is not a valid host name`;
  return 'it does not have the form name@domain.tld';
}
