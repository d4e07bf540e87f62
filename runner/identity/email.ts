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
 * The characters `String.prototype.trim` removes, ECMAScript's WhiteSpace and LineTerminator
 * (https://tc39.es/ecma262/#sec-white-space, #sec-line-terminators), as code points: the SQL form
 * below removes exactly these. A warehouse's one-argument `trim` removes fewer (Snowflake blanks
 * only; DuckDB spaces but not a tab or a newline), so a model's `'ann@example.com\t'` would match
 * no suppression while the runner sends it as ann@example.com.
 */
export const TRIMMED_CODE_POINTS: readonly number[] = [
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
  0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff,
];

/**
 * `normalizeEmail`'s value as a SQL expression over `expr`: what the runner would send as the
 * email, or NULL when it sends none, for joins that must find the same person the runner writes
 * (a sync's `scope` and consent against its suppressions model, docs/dbt.md#scope). Invalid
 * addresses are not refused here: they match no valid suppression and the runner rejects the row.
 *
 * DuckDB and Snowflake read it alike: `trim(text, characters)` removes any of the characters from
 * both ends, `chr` turns a Unicode code point into its character, `left`/`right` take the first or
 * last character, text compares in code point order without a collation, and `regexp_replace`
 * with `^` replaces the prefix only
 * (https://duckdb.org/docs/stable/sql/functions/text, https://docs.snowflake.com/en/sql-reference/functions/trim,
 * https://docs.snowflake.com/en/sql-reference/functions/chr), so it is one expression, not one per dialect.
 */
export function normalizedEmailSql(expr: string): string {
  const spaces = TRIMMED_CODE_POINTS.map((c) => `chr(${c})`).join(' || ');
  const text = `cast(${expr} as varchar)`;
  // An address that starts and ends with a printable ASCII character, as nearly all do, has none
  // of those characters at either end, and skips the trim: trimming by a list of characters cost
  // DuckDB about 4 µs a row, four times the rest of the expression (100,000 emails: 0.35–0.6 s
  // against 0.08–0.16 s), and the diff and the shared-email check read every row's email.
  const printable = (end: string) => `${end}(${text}, 1) between '!' and '~'`;
  const trimmed = `case when ${printable('left')} and ${printable('right')} then ${text} else trim(${text}, ${spaces}) end`;
  return `nullif(regexp_replace(lower(${trimmed}), '^mailto:', ''), '')`;
}

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
  if (nonAscii !== null) {
    const char = JSON.stringify(nonAscii[0]);
    // A domain has an ASCII form (IDNA's xn--); the part before the @ has none.
    return nonAscii.index < value.indexOf('@')
      ? `the part before the @ contains ${char}, which is not an ASCII character (Klaviyo takes an address written in ASCII)`
      : `the domain contains ${char}, which is not an ASCII character (write the domain in its xn-- form)`;
  }
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
