/**
 * Keys of one sync that are one person to Klaviyo by phone: rows whose phones are the same number
 * once normalised to E.164 as the runner sends them (identity/phone.ts). phone_number is one of
 * the identifiers that uniquely identify a Klaviyo profile, as email is
 * (https://developers.klaviyo.com/en/docs/update_profile_properties_via_api,
 * https://developers.klaviyo.com/en/reference/profiles_api_overview), so Klaviyo takes two keys
 * with one number for one person. The runner says which keys they are, never the number.
 * Read-only: `sync` and `validate` call this, as they call shared-emails.ts.
 *
 * The E.164 form needs the runner (the country rule and libphonenumber's numbering plans), so the
 * warehouse only narrows the rows down, and must keep every row that shares its number with
 * another key. The phone rule changes only the start of a number's digits: it drops an
 * international or national prefix and puts a calling code in front, and libphonenumber drops a
 * national prefix written after the calling code (`+49 0 89 1234`). So the digits a number keeps
 * end both its text and its E.164 form:
 *
 * - the warehouse takes each phone's digits as phone.ts reads them (an extension and "(0)"
 *   removed) and keeps the rows whose last 7 digits some other key's phone also ends with;
 * - a row that may keep fewer than 7 digits (fewer than 7 after a national prefix, `089 1234` in
 *   DE, or after a calling code and national prefix, `+49 0 89 1234`) is compared by its last 4
 *   digits instead, which every form keeps (E.164 has at least 7 digits, at most 3 of them the
 *   calling code), with every row that ends so;
 * - the runner normalises only those rows with `normalizePhone`, the payload's own call, and groups
 *   them by the number they send, bucket by bucket, so memory holds one bucket's rows at a time.
 *
 * Not kept: a number of fewer than 7 national digits written with a carrier code libphonenumber
 * drops after its calling code (Korea's `08x`, Luxembourg's `15xxx`); such a row is compared only
 * with the phones that end with its last 7 digits.
 *
 * A phone that does not normalise is sent as no phone, and shares nothing.
 */
import type { SyncSpec } from '../manifest/spec.ts';
import { normalizePhone } from '../identity/phone.ts';
import { NUMBERING_PLANS } from '../identity/numbering-plan.ts';
import { modelColumn } from './model-columns.ts';
import { rowKeySql } from './row-key.ts';
import type { Row, SqlDialect, Warehouse } from './warehouse.ts';

export interface SharedPhones {
  /** Phone numbers (E.164) that more than one key of the model has. */
  phones: number;
  /** The keys that have them, counted once per number. */
  keys: number;
  /** A few of them: the first and last key of each of the first numbers, by key (never the number). */
  examples: [string, string][];
}

/** Objects whose rows Klaviyo merges by identifier: a profile and a list member are one per person. */
const MERGED_BY_PHONE = new Set(['profile', 'list_membership']);

/**
 * phone.ts's extension rule, as a pattern over the lower-cased text that removes at least what
 * phone.ts removes: from the first `ext`, `extension`, `x` or `#` to the end when 1 to 6 digits
 * follow it. A number phone.ts accepts has no letter or `#` before its extension, and its other
 * characters are not digits, so the digits left are phone.ts's. No backslash: Snowflake reads one
 * in a string literal as an escape.
 */
const EXTENSION = '(ext[.]?|extension|x|#)[^0-9]*[0-9]{1,6}[^0-9]*$';

/** Trailing digits compared: enough to split a million numbers into small groups. */
const TAIL = 7;
/** Trailing digits every form of a number keeps: 7 in E.164 less a calling code of up to 3. */
const SHORT_TAIL = 4;

/** The digits of the phone `expr` as phone.ts reads them, with the extension and "(0)" removed. */
export function phoneDigitsSql(d: SqlDialect, expr: string): string {
  const text = d.regexpReplaceAll(`lower(cast(${expr} as varchar))`, EXTENSION, '');
  return d.regexpReplaceAll(`replace(${text}, '(0)', '')`, '[^0-9]', '');
}

/**
 * The leading digits after which a number may keep fewer than TAIL of its own: a national prefix
 * (`0`, `1`, `8`, `06`, …) that a national number drops, and a calling code with its region's
 * national prefix, bare or after any international prefix (`490` in `+49 0 89 1234`, `00490`),
 * which libphonenumber drops after the calling code. From libphonenumber's plans of every region
 * (numbering-plan.ts): the row's region is not known here, so every region's are taken.
 */
function shorteningPrefixes(): string[] {
  const idd = new Set(['', '00']);
  for (const plan of NUMBERING_PLANS.values()) if (plan.iddPrefix !== null) idd.add(plan.iddPrefix);
  const prefixes = new Set<string>();
  for (const { callingCode, nationalPrefix } of NUMBERING_PLANS.values()) {
    if (nationalPrefix === null) continue;
    prefixes.add(nationalPrefix);
    for (const i of idd) prefixes.add(`${i}${callingCode}${nationalPrefix}`);
  }
  return [...prefixes].sort();
}

/**
 * Whether the digits `p` may keep fewer than TAIL of them in E.164: fewer than TAIL digits, or
 * fewer than TAIL after one of `shorteningPrefixes` they start with. A row whose region would not
 * drop that prefix is taken too: it costs only a read.
 */
function mayShortenSql(d: SqlDialect, p: string): string {
  const byLength = new Map<number, string[]>();
  for (const prefix of shorteningPrefixes())
    byLength.set(prefix.length, [...(byLength.get(prefix.length) ?? []), d.literal(prefix)]);
  const prefixed = [...byLength.entries()]
    .sort(([a], [b]) => a - b)
    .map(([n, list]) => `(length(${p}) < ${TAIL + n} and substr(${p}, 1, ${n}) in (${list.join(', ')}))`);
  return [`length(${p}) < ${TAIL}`, ...prefixed].join(' or ');
}

/**
 * The candidate rows, one per key, phone and country, ordered by bucket: first the buckets of
 * rows that may keep fewer than TAIL digits (`kind` 0, by their last SHORT_TAIL digits, only those
 * holding such a row), then every other bucket (`kind` 1, by the last TAIL digits). Either kind of
 * bucket is kept only when more than one key is in it: its least and greatest key differ.
 */
function candidatesSql(spec: SyncSpec, d: SqlDialect, phone: string, country: string | undefined): string {
  const col = (name: string) => `m.${modelColumn(spec, d, name)}`;
  const value = d.jsonObject([
    ['phone', col(phone)],
    ...(country === undefined ? [] : [['country', col(country)] as [string, string]]),
  ]);
  const rows = `select ${rowKeySql(col(spec.config.key))} as k, ${phoneDigitsSql(d, col(phone))} as p, ${value} as v
    from ${spec.model.relationName} as m where ${col(phone)} is not null`;
  const phones = `select k, p, v, case when ${mayShortenSql(d, 'p')} then 1 else 0 end as short_form
    from (${rows}) as r where k is not null and length(p) >= ${SHORT_TAIL}`;
  const tail = (n: number, p = 'p') => `right(${p}, ${n})`;
  return `with phones as (${phones}),
    short_buckets as (
      select ${tail(SHORT_TAIL)} as bucket from phones group by ${tail(SHORT_TAIL)}
      having min(k) < max(k) and max(short_form) = 1),
    long_buckets as (
      select ${tail(TAIL)} as bucket from phones where length(p) >= ${TAIL} group by ${tail(TAIL)}
      having min(k) < max(k))
    select distinct 0 as kind, b.bucket, ph.k, ph.v, ph.short_form
    from phones as ph join short_buckets as b on ${tail(SHORT_TAIL, 'ph.p')} = b.bucket
    union all
    select distinct 1 as kind, b.bucket, ph.k, ph.v, ph.short_form
    from phones as ph join long_buckets as b on ${tail(TAIL, 'ph.p')} = b.bucket
    order by kind, bucket`;
}

/**
 * The phone and country as the payload reads them: from the same JSON text of the model row
 * (state/diff-sql.ts). A float column's NaN or infinity is no JSON and no phone either.
 */
function readValues(json: string): Row {
  try {
    return (JSON.parse(json) as Row | null) ?? {};
  } catch {
    return {};
  }
}

/** The keys of each number in one bucket, and whether a row of the number may have kept fewer digits. */
type Bucket = Map<string, { keys: Set<string>; short: boolean }>;

export async function sharedPhones(
  wh: Warehouse,
  spec: SyncSpec,
  examples = 3,
): Promise<SharedPhones | null> {
  const phone = spec.config.identity.phone_number;
  if (phone === undefined || !MERGED_BY_PHONE.has(spec.config.object)) return null;
  const country = spec.config.attributes?.country;
  // The schema's default (schema/klaviyo-sync.schema.json, phone_region), as transform/identity.ts.
  const region = spec.config.phone_region ?? 'US';
  const out: SharedPhones = { phones: 0, keys: 0, examples: [] };
  // The numbers a short bucket settled: every row of such a number is in that one bucket (all its
  // forms end with the same SHORT_TAIL digits), not always in its long bucket, so that one is not
  // asked again.
  const settled = new Set<string>();
  let bucket: Bucket = new Map();
  let current: string | null = null;
  const close = (kind: number) => {
    for (const [number, { keys, short }] of bucket) {
      if (kind === 0) {
        if (!short) continue;
        settled.add(number);
      } else if (settled.has(number)) continue;
      if (keys.size < 2) continue;
      const sorted = [...keys].sort();
      out.phones += 1;
      out.keys += keys.size;
      out.examples.push([sorted[0]!, sorted[sorted.length - 1]!]);
      out.examples.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      out.examples.length = Math.min(out.examples.length, Math.max(1, examples));
    }
    bucket = new Map();
  };
  let kind = 0;
  for await (const chunk of wh.stream(candidatesSql(spec, wh.dialect, phone, country))) {
    for (const r of chunk) {
      const at = `${Number(r.kind)}:${String(r.bucket)}`;
      if (at !== current) {
        close(kind);
        current = at;
        kind = Number(r.kind);
      }
      const row = readValues(String(r.v));
      const normalized = normalizePhone(row.phone, row.country, region);
      if (normalized === null || !normalized.ok) continue;
      const entry = bucket.get(normalized.value) ?? { keys: new Set<string>(), short: false };
      entry.keys.add(String(r.k));
      if (Number(r.short_form) === 1) entry.short = true;
      bucket.set(normalized.value, entry);
    }
  }
  close(kind);
  out.examples.length = Math.min(out.examples.length, examples);
  return out;
}

/** The sentence `sync` and `validate` say of them. */
export function sharedPhonesMessage(spec: SyncSpec, shared: SharedPhones): string {
  const pairs = shared.examples.map(([a, b]) => `${a} and ${b}`).join('; ');
  const n = shared.phones;
  return `${spec.name}: ${shared.keys} keys of model \`${spec.model.name}\` share ${n} phone number${n === 1 ? '' : 's'} once normalised (e.g. keys ${pairs}); a phone number identifies one Klaviyo profile, so Klaviyo takes each number's keys for one person. Keep one row per person in the model, or the phone on one row only.`;
}
