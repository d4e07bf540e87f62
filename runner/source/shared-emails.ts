/**
 * Keys of one sync that are one person to Klaviyo: rows whose emails are the same once normalised
 * as the runner sends them. Klaviyo keeps one profile per email
 * (https://developers.klaviyo.com/en/reference/profiles_api_overview), so two customer records of
 * one person are imported onto the same profile, each overwriting the other's values in whatever
 * order a job applies them, and a list member taken off for one key is off for the other too.
 * The runner cannot pick the right record; it says which keys they are, so the model can.
 * Read-only: `sync` and `validate` call this.
 */
import { normalizedEmailSql } from '../identity/email.ts';
import type { SyncSpec } from '../manifest/spec.ts';
import { modelColumn } from './model-columns.ts';
import { rowKeySql } from './row-key.ts';
import type { Warehouse } from './warehouse.ts';

export interface SharedEmails {
  /** Emails that more than one key of the model has. */
  emails: number;
  /** The keys that have them. */
  keys: number;
  /** A few of them: the first two keys of each of the first emails, by key (never the email). */
  examples: [string, string][];
}

/**
 * Objects whose rows Klaviyo merges by an identifier (an email here, a phone number in
 * shared-phones.ts): a profile and a list member are one per person.
 */
export const MERGED_BY_IDENTIFIER = new Set(['profile', 'list_membership']);

export async function sharedEmails(
  wh: Warehouse,
  spec: SyncSpec,
  examples = 3,
): Promise<SharedEmails | null> {
  const email = spec.config.identity.email;
  if (email === undefined || !MERGED_BY_IDENTIFIER.has(spec.config.object)) return null;
  const d = wh.dialect;
  const shared = `select e, count(distinct k) as n, min(k) as first_key, max(k) as last_key
    from (select ${normalizedEmailSql(`rows_in.${modelColumn(spec, d, email)}`)} as e, ${rowKeySql(`rows_in.${modelColumn(spec, d, spec.config.key)}`)} as k
          from ${spec.model.relationName} as rows_in) as rows
    where e is not null and k is not null
    group by e having count(distinct k) > 1`;
  // The totals ride on each example row (window aggregates run before the limit), so the model is
  // read once: a second statement for the examples read and grouped every row again.
  const rows = await wh.query(
    `select count(*) over () as emails, sum(n) over () as keys, first_key, last_key
     from (${shared}) as s order by first_key limit ${Math.max(1, examples)}`,
  );
  const [first] = rows;
  if (first === undefined) return { emails: 0, keys: 0, examples: [] };
  return {
    emails: Number(first.emails),
    keys: Number(first.keys),
    examples: rows.slice(0, examples).map((r) => [String(r.first_key), String(r.last_key)]),
  };
}

/** The sentence `sync` and `validate` say of them. */
export function sharedEmailsMessage(spec: SyncSpec, shared: SharedEmails): string {
  const pairs = shared.examples.map(([a, b]) => `${a} and ${b}`).join('; ');
  const effect =
    spec.config.object === 'list_membership'
      ? 'Klaviyo holds one profile for each, so taking one key off the list takes the person off'
      : 'Klaviyo holds one profile for each, and their values overwrite each other';
  return `${spec.name}: ${shared.keys} keys of model \`${spec.model.name}\` share ${shared.emails} email${shared.emails === 1 ? '' : 's'} (e.g. keys ${pairs}); ${effect}. Keep one row per person in the model.`;
}
