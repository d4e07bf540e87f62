/**
 * The diff, as SQL the warehouse runs: each model row is hashed over the sync's columns (in a
 * fixed order), joined with the sync's snapshot, and classified. Only changed rows are streamed
 * back; unchanged rows never leave the warehouse, so a 50-million-row model costs the runner the
 * size of its change, not its size. Nothing here writes.
 *
 * Classification (`kind`):
 *   create / update / unchanged / remove   by key and hash against the snapshot
 *   duplicate        the key appears more than once in the model: an error for that key
 *   rejected         the same row (key and hash) was rejected permanently before: not resent
 *   changed_event    an event row whose content changed after Klaviyo stored it; events are
 *                    immutable in Klaviyo, so it is reported, not sent
 *   changed_event_reported  the same, already reported by a sync under this very hash (the
 *                    `changed_events` state table): counted with them, never read out again, so
 *                    the orders that changed after sending (refunds, status) cost no run a row
 *   An update or changed_event whose columns changed type and not value has another text, and so
 *   another hash, for what Klaviyo would receive as before: the runner compares such rows as sent
 *   (objects/as-sent.ts), which is why prev_json rides with every changed row.
 *   null_key         the key column is NULL, empty or blank (source/row-key.ts): the row cannot be
 *                    tracked, so it is rejected. A NULL
 *                    key matches no snapshot row in the join
 *                    (https://duckdb.org/docs/sql/expressions/comparison_operators), and the row is
 *                    told from a removal by its hash
 *   retry            a row `rejected` before, sent again because the run asked (`--retry-rejected`)
 *   resend           an `unchanged` row sent again by `--full-refresh`
 * Rows outside `scope` (suppressed, unsubscribed, never consented) and rows of an `after` sync
 * whose key the first sync has not confirmed are left out of the model side and counted.
 */
import { normalizedEmailSql } from '../identity/email.ts';
import { modelColumn } from '../source/model-columns.ts';
import { IMMUTABLE_OBJECTS, syncColumns, type SyncSpec } from '../manifest/spec.ts';
import { rowKeySql } from '../source/row-key.ts';
import { EMAIL_CONSENT_FIELD } from './changes.ts';
import type { State } from './schema.ts';

export type DiffKind =
  | 'create'
  | 'update'
  | 'unchanged'
  | 'remove'
  | 'duplicate'
  | 'rejected'
  | 'changed_event'
  | 'changed_event_reported'
  | 'null_key'
  | 'retry'
  | 'resend';

/**
 * How a run treats what the state remembers. `retryRejected` sends rows held back after an earlier
 * rejection again (after a fix outside the model: an account setting, a Klaviyo outage);
 * `fullRefresh` resends every row as if the sync had never run, held-back rows included, while
 * removals are still computed against the snapshot so nothing Klaviyo holds is forgotten.
 */
export interface DiffMode {
  retryRejected?: boolean;
  fullRefresh?: boolean;
}

/**
 * Whether a model row's email is one the suppressions model leaves out. Both sides are read as
 * the runner sends an email (`normalizedEmailSql`), so a row is left out exactly when the profile
 * it would write is the suppressed one.
 */
export function scopeCondition(spec: SyncSpec, state: State, alias: string): string | null {
  const scope = spec.config.scope;
  const email = spec.config.identity.email;
  if (scope === undefined || spec.suppressionsRelation === undefined || email === undefined) return null;
  const d = state.wh.dialect;
  const parts: string[] = [];
  if (scope.exclude.includes('suppressed')) parts.push('s.is_suppressed');
  if (scope.exclude.includes('unsubscribed')) parts.push(`upper(s.email_consent) = 'UNSUBSCRIBED'`);
  if (scope.exclude.includes('never_consented')) parts.push(`upper(s.email_consent) = 'NEVER_SUBSCRIBED'`);
  return `exists (select 1 from ${spec.suppressionsRelation} as s where ${normalizedEmailSql('s.email')} = ${normalizedEmailSql(`${alias}.${modelColumn(spec, d, email)}`)} and (${parts.join(' or ')}))`;
}

/**
 * For a sync that subscribes, with a suppressions model: each email's consent there (SUBSCRIBED,
 * UNSUBSCRIBED, NEVER_SUBSCRIBED), as a relation to join on `email_key`, so an unsubscription in
 * that model is a change of the row (and, when scope leaves the row out for it, the reason it
 * left). A join rather than a correlated subquery, which Snowflake allows in few places
 * (https://docs.snowflake.com/en/user-guide/querying-subqueries).
 */
function suppressionConsents(spec: SyncSpec): string | null {
  const email = spec.config.identity.email;
  if (spec.config.subscribe === undefined || spec.suppressionsRelation === undefined || email === undefined)
    return null;
  const emailKey = normalizedEmailSql('email');
  return `(select ${emailKey} as email_key, max(upper(email_consent)) as email_consent from ${spec.suppressionsRelation} group by ${emailKey})`;
}

/**
 * The classified diff of one sync, as a select with columns key, hash, row_json, prev_json,
 * profile_id, dup_count, change_kind, kind, email_withdrawn_at and sms_withdrawn_at (when this
 * sync last withdrew the person's consent on each channel) and left_unsubscribed (a removed row whose model row scope left out because
 * the suppressions model says UNSUBSCRIBED); beside it, one row per model row `scope` leaves out
 * (`outOfScope`) and per row waiting for the `after` sync (`waiting`), null when the sync has none.
 * With `previous` 'left out', prev_json is NULL and the snapshot's JSON stays out of the join's
 * hash table (diff-statements.ts, `PreviousRows`).
 *
 * `onlyKeys`, a query of one text column `key`, narrows the diff to those keys and to the
 * model's rows without a key: every row of the diff is classified by the rows of its own key alone
 * (model, snapshot, rejections, withdrawals), so for those keys it is the same as the whole diff's,
 * and only their rows are hashed (diff-statements.ts, `ChangedKeys`).
 */
export function diffSql(
  state: State,
  spec: SyncSpec,
  mode: DiffMode = {},
  previous: 'joined' | 'left out' = 'joined',
  onlyKeys?: string,
): { sql: string; outOfScope: string | null; waiting: string | null } {
  const d = state.wh.dialect;
  const columns = syncColumns(spec.config);
  const consents = suppressionConsents(spec);
  const emailOf = (alias: string) =>
    normalizedEmailSql(`${alias}.${modelColumn(spec, d, spec.config.identity.email ?? '')}`);
  const rowJson = d.jsonObject([
    ...columns.map((c): [string, string] => [c, `m.${modelColumn(spec, d, c)}`]),
    ...(consents === null ? [] : [[EMAIL_CONSENT_FIELD, 'sc.email_consent'] as [string, string]]),
  ]);
  const key = rowKeySql(`m.${modelColumn(spec, d, spec.config.key)}`);
  const name = d.literal(spec.name);
  const inScope = scopeCondition(spec, state, 'm');
  const after = spec.config.after;
  const filters = [inScope === null ? null : `not ${inScope}`].filter((f): f is string => f !== null);
  // A row without a key waits for nothing: it is kept (and rejected as null_key), not counted as waiting.
  const afterJoin =
    after === undefined
      ? ''
      : `left join ${state.table('snapshot')} as a on a.sync = ${d.literal(after)} and a.key = ${key}`;
  if (after !== undefined) filters.push(`(a.key is not null or ${key} is null)`);
  if (onlyKeys !== undefined) filters.push(`(${key} in (select key from changed_keys) or ${key} is null)`);
  const where = filters.length > 0 ? `where ${filters.join(' and ')}` : '';
  const model = `
    select ${key} as k, ${rowJson} as row_json, ${after === undefined ? 'cast(null as varchar)' : 'a.klaviyo_profile_id'} as after_profile_id
    from ${spec.model.relationName} as m
    ${afterJoin}
    ${consents === null ? '' : `left join ${consents} as sc on sc.email_key = ${emailOf('m')}`}
    ${where}`;
  // Keys found more than once, counted over the key column alone: a window over the whole model
  // row would sort every row's JSON text to find the few duplicates.
  const duplicateKeys = `
    select ${key} as k, count(*) as n
    from ${spec.model.relationName} as m
    ${afterJoin}
    ${where}
    group by ${key} having ${key} is not null and count(*) > 1`;
  // Narrowed to a few keys, the duplicates are counted over the narrowed rows themselves: counted
  // over the key column, the model was read a second time and each of its rows matched against the
  // keys again, half of the statement's time for 10,000 changed keys of 1,000,000 rows (0.53 s
  // against 0.27 s, DuckDB's profile). DuckDB keeps the narrowed rows once for both uses.
  const keyedDuplicates =
    'select k, count(*) as n from model group by k having k is not null and count(*) > 1';
  const immutable = IMMUTABLE_OBJECTS.has(spec.config.object);
  const subscribes = spec.config.subscribe !== undefined;
  // Keys of model rows whose email the suppressions model marks UNSUBSCRIBED, in scope or not.
  const unsubscribedKeys =
    consents === null
      ? `select key from ${state.table('snapshot')} where 1 = 0`
      : `select distinct ${rowKeySql(`m2.${modelColumn(spec, d, spec.config.key)}`)} as key
         from ${spec.model.relationName} as m2
         inner join ${consents} as sc2 on sc2.email_key = ${emailOf('m2')}
         where sc2.email_consent = 'UNSUBSCRIBED'`;
  const retry = mode.retryRejected === true || mode.fullRefresh === true;
  const unchanged = mode.fullRefresh === true ? 'resend' : 'unchanged';
  // The keys are read once and kept (DuckDB's MATERIALIZED), not once per use: 50,000 keys take
  // about 0.2 s to read from their JSON text.
  const keys = onlyKeys === undefined ? '' : `changed_keys as materialized (${onlyKeys}),`;
  const sql = `
    with ${keys} model as (${model}),
    dups as (${onlyKeys === undefined ? duplicateKeys : keyedDuplicates}),
    hashed as (
      select m.k, m.row_json, md5(m.row_json) as h, m.after_profile_id, coalesce(dd.n, 1) as dup_count
      from model as m left join dups as dd on dd.k = m.k
    ),
    snap as (
      select key, row_hash, ${previous === 'joined' ? 'row_json' : 'cast(null as varchar)'} as prev_json, klaviyo_profile_id
      from ${state.table('snapshot')} where sync = ${name}
        ${onlyKeys === undefined ? '' : 'and key in (select key from changed_keys)'}
    ),
    rej as (
      select distinct key, row_hash from ${state.table('rejected')} where sync = ${name} and row_hash is not null
    ),
    ${immutable ? `reported as (select key, row_hash from ${state.table('changed_events')} where sync = ${name}),` : ''}
    unsubscribed as (${unsubscribedKeys}),
    withdrawn as (
      ${
        subscribes
          ? `select key,
               cast(max(case when channel = 'email' then withdrawn_at end) as varchar) as email_withdrawn_at,
               cast(max(case when channel = 'sms' then withdrawn_at end) as varchar) as sms_withdrawn_at
             from ${state.table('withdrawals')} where sync = ${name} group by key`
          : `select key, cast(null as varchar) as email_withdrawn_at, cast(null as varchar) as sms_withdrawn_at
             from ${state.table('snapshot')} where 1 = 0`
      }
    ),
    joined as (
      select
        coalesce(h.k, s.key) as key,
        h.h as hash,
        h.row_json,
        s.prev_json,
        coalesce(s.klaviyo_profile_id, h.after_profile_id) as profile_id,
        coalesce(h.dup_count, 1) as dup_count,
        case when h.h is null then 'remove' when s.key is null then 'create' else 'update' end as change_kind,
        w.email_withdrawn_at,
        w.sms_withdrawn_at,
        case when u.key is not null then 1 else 0 end as left_unsubscribed,
        case
          when h.k is not null and h.dup_count > 1 then 'duplicate'
          when h.h is null then 'remove'
          when h.k is null then 'null_key'
          when s.key is null and r.key is not null then 'rejected'
          when s.key is null then 'create'
          when s.row_hash = h.h then 'unchanged'
          when r.key is not null then 'rejected'
          ${immutable ? `when ce.key is not null then 'changed_event_reported' else 'changed_event'` : `else 'update'`}
        end as kind
      -- A model row without a key matches no snapshot row (NULL equals nothing) and is told from a
      -- removal by its hash, which every model row has: one pass over the model, where a branch
      -- of its own made DuckDB materialise every hashed row to read them twice.
      from hashed as h
      full outer join snap as s on s.key = h.k
      left join rej as r on r.key = h.k and r.row_hash = h.h
      ${immutable ? 'left join reported as ce on ce.key = h.k and ce.row_hash = h.h' : ''}
      left join withdrawn as w on w.key = coalesce(h.k, s.key)
      left join unsubscribed as u on h.h is null and u.key = s.key
    ),
    classified as (
      select key, hash, row_json, prev_json, profile_id, dup_count, change_kind, email_withdrawn_at, sms_withdrawn_at, left_unsubscribed,
        case
          when kind = 'rejected' then ${retry ? `'retry'` : `'rejected'`}
          when kind = 'unchanged' then '${unchanged}'
          else kind
        end as kind
      from joined
    )
    select * from classified`;
  const outOfScope =
    inScope === null ? null : `select 1 as one from ${spec.model.relationName} as m where ${inScope}`;
  const waiting =
    after === undefined
      ? null
      : `select 1 as one from ${spec.model.relationName} as m where ${key} is not null and not exists (select 1 from ${state.table('snapshot')} as a where a.sync = ${d.literal(after)} and a.key = ${key})${inScope === null ? '' : ` and not ${inScope}`}`;
  return { sql, outOfScope, waiting };
}
