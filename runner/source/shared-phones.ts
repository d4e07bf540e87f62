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
 *   DE, or after a calling code and national prefix, `+49 0 89 1234`, `0043 0 1 23456`) is
 *   compared by its last 4 digits instead, which every form keeps (E.164 has at least 7 digits, at
 *   most 3 of them the calling code), with every row that ends so. Which international prefixes
 *   count is read first: the distinct values of the country column, a small result;
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
import { normalizePhone, phoneRegion } from '../identity/phone.ts';
import { NUMBERING_PLANS } from '../identity/numbering-plan.ts';
import { modelColumn } from './model-columns.ts';
import { MERGED_BY_IDENTIFIER } from './shared-emails.ts';
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

/**
 * The phone `expr` as phone.ts reads it, reduced to its digits and a leading `+`: the extension
 * and "(0)" removed. A number phone.ts accepts has a `+` only before its first digit.
 */
function phoneTextSql(d: SqlDialect, expr: string): string {
  const text = d.regexpReplaceAll(`lower(cast(${expr} as varchar))`, EXTENSION, '');
  return d.regexpReplaceAll(`replace(${text}, '(0)', '')`, '[^0-9+]', '');
}

/** The digits of the phone `expr` as phone.ts reads them, with the extension and "(0)" removed. */
export function phoneDigitsSql(d: SqlDialect, expr: string): string {
  return `replace(${phoneTextSql(d, expr)}, '+', '')`;
}

/**
 * Whether the phone text `q` (phoneTextSql) may keep fewer than TAIL digits of its own in E.164:
 * when, after at most one leading prefix the phone rule drops, fewer than TAIL digits remain. The
 * prefixes: a national prefix (`0`, `1`, `8`, `06`, …) before a national number; and a calling
 * code with its region's national prefix, which libphonenumber drops after the calling code, after
 * `+` (`+49 0 89 1234`) or after an international prefix the row's region dials (`00`, and `011`
 * in the US: `idd`). From libphonenumber's plans of every region (numbering-plan.ts); a row whose
 * region would not drop the prefix is taken too, which costs only a read. One regular expression,
 * matched once per row.
 */
function mayShortenSql(d: SqlDialect, q: string, idd: Set<string>): string {
  const national = new Set<string>();
  const withCode = new Set<string>();
  for (const plan of NUMBERING_PLANS.values()) {
    if (plan.nationalPrefix === null) continue;
    national.add(plan.nationalPrefix);
    withCode.add(`${plan.callingCode}${plan.nationalPrefix}`);
  }
  const any = (set: Set<string>) => `(${[...set].sort().join('|')})`;
  // Plain groups and no empty alternative: Snowflake's regular expressions are POSIX extended ones.
  const prefix = `[+]${any(withCode)}|${any(idd)}${any(withCode)}|${any(national)}|[+]`;
  return d.regexpFullMatch(q, `(${prefix})?[0-9]{0,${TAIL - 1}}`);
}

/** Distinct countries read to learn the international prefixes in use; past this, all are taken. */
const MAX_COUNTRIES = 1000;

/**
 * The international prefixes the rows' regions dial: `00`, the sync's phone_region's, and those of
 * the countries in the country column, read by the country rule as the payload reads them.
 */
async function internationalPrefixes(
  wh: Warehouse,
  spec: SyncSpec,
  phone: string,
  country: string | undefined,
  region: string,
): Promise<Set<string>> {
  const idd = new Set(['00']);
  const add = (code: string) => {
    const prefix = NUMBERING_PLANS.get(code)?.iddPrefix;
    if (prefix !== null && prefix !== undefined) idd.add(prefix);
  };
  add(region.toUpperCase());
  if (country === undefined) return idd;
  const col = (name: string) => `m.${modelColumn(spec, wh.dialect, name)}`;
  const countries = await wh.query(
    `select distinct ${col(country)} as c from ${spec.model.relationName} as m
     where ${col(phone)} is not null limit ${MAX_COUNTRIES + 1}`,
  );
  if (countries.length > MAX_COUNTRIES) {
    for (const code of NUMBERING_PLANS.keys()) add(code);
    return idd;
  }
  for (const { c } of countries) {
    const where = phoneRegion(c, region);
    if ('region' in where) add(where.region);
  }
  return idd;
}

/**
 * The candidate rows, one per key, phone and country, ordered by bucket: first the buckets of
 * rows that may keep fewer than TAIL digits (`kind` 0, by their last SHORT_TAIL digits, only those
 * holding such a row), then every other bucket (`kind` 1, by the last TAIL digits). Either kind of
 * bucket is kept only when more than one key is in it: its least and greatest key differ.
 *
 * The model is read twice, once for the buckets (both kinds in one grouping) and once for their
 * rows, each row joined to its bucket of either kind. Not one common table read by both: DuckDB
 * materialises such a table, and it held every row's phone at once.
 */
function candidatesSql(
  spec: SyncSpec,
  d: SqlDialect,
  phone: string,
  country: string | undefined,
  idd: Set<string>,
): string {
  const col = (name: string) => `m.${modelColumn(spec, d, name)}`;
  const phones = (carried: string) =>
    `select k, replace(q, '+', '') as p, q${carried === '' ? '' : ', phone_value, country_value'} from (
       select ${rowKeySql(col(spec.config.key))} as k, ${phoneTextSql(d, col(phone))} as q${carried}
       from ${spec.model.relationName} as m where ${col(phone)} is not null) as r
     where k is not null and length(replace(q, '+', '')) >= ${SHORT_TAIL}`;
  const short = (q: string) => `case when ${mayShortenSql(d, q, idd)} then 1 else 0 end`;
  const tail = (p: string) => `case when length(${p}) >= ${TAIL} then right(${p}, ${TAIL}) end`;
  const buckets = `select grouping(short_tail) as kind, coalesce(short_tail, long_tail) as bucket
    from (select k, right(p, ${SHORT_TAIL}) as short_tail, ${tail('p')} as long_tail, ${short('q')} as short_form
          from (${phones('')}) as ph) as t
    group by grouping sets ((short_tail), (long_tail))
    having min(k) < max(k) and coalesce(short_tail, long_tail) is not null
      and (grouping(short_tail) = 1 or max(short_form) = 1)`;
  const carried = `, ${col(phone)} as phone_value, ${country === undefined ? 'null' : col(country)} as country_value`;
  const value = d.jsonObject([
    ['phone', 'ph.phone_value'],
    ...(country === undefined ? [] : [['country', 'ph.country_value'] as [string, string]]),
  ]);
  // Each row beside each kind of bucket, its bucket computed before the join, so that the join is
  // on two columns (a hash join), not on an expression of both sides.
  const rows = `select x.kind, case when x.kind = 0 then right(ph.p, ${SHORT_TAIL}) else ${tail('ph.p')} end as bucket,
      ph.k, ph.q, ph.phone_value, ph.country_value
    from (${phones(carried)}) as ph cross join (select 0 as kind union all select 1 as kind) as x`;
  return `with buckets as (${buckets})
    select distinct b.kind, b.bucket, ph.k, ${value} as v, ${short('ph.q')} as short_form
    from (${rows}) as ph
    join buckets as b on b.kind = ph.kind and b.bucket = ph.bucket
    order by b.kind, b.bucket`;
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
  if (phone === undefined || !MERGED_BY_IDENTIFIER.has(spec.config.object)) return null;
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
  const idd = await internationalPrefixes(wh, spec, phone, country, region);
  for await (const chunk of wh.stream(candidatesSql(spec, wh.dialect, phone, country, idd))) {
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
