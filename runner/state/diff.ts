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
 * Rows outside `scope` (suppressed, unsubscribed, never consented) and rows of an `after` sync
 * whose key the first sync has not confirmed are left out of the model side and counted.
 */
import { syncColumns, type SyncSpec } from '../manifest/spec.ts';
import type { Row } from '../source/warehouse.ts';
import type { DiffCounts, RowChange } from './changes.ts';
import type { State } from './schema.ts';

export type DiffKind =
  'create' | 'update' | 'unchanged' | 'remove' | 'duplicate' | 'rejected' | 'changed_event';

export interface PlanCounts extends DiffCounts {
  changedEvents: number;
  previouslyRejected: number;
}

function scopeCondition(spec: SyncSpec, state: State, alias: string): string | null {
  const scope = spec.config.scope;
  const email = spec.config.identity.email;
  if (scope === undefined || spec.suppressionsRelation === undefined || email === undefined) return null;
  const d = state.wh.dialect;
  const parts: string[] = [];
  if (scope.exclude.includes('suppressed')) parts.push('s.is_suppressed');
  if (scope.exclude.includes('unsubscribed')) parts.push(`upper(s.email_consent) = 'UNSUBSCRIBED'`);
  if (scope.exclude.includes('never_consented')) parts.push(`upper(s.email_consent) = 'NEVER_SUBSCRIBED'`);
  return `exists (select 1 from ${spec.suppressionsRelation} as s where lower(trim(s.email)) = lower(trim(${alias}.${d.column(email)})) and (${parts.join(' or ')}))`;
}

/** The classified diff of one sync, as a select with columns kind, key, hash, row_json, prev_json, profile_id, dup_count. */
export function diffSql(state: State, spec: SyncSpec): { sql: string; outOfScope: string; waiting: string } {
  const d = state.wh.dialect;
  const columns = syncColumns(spec.config);
  const rowJson = d.jsonObject(columns.map((c) => [c, `m.${d.column(c)}`]));
  const key = `cast(m.${d.column(spec.config.key)} as varchar)`;
  const name = d.literal(spec.name);
  const inScope = scopeCondition(spec, state, 'm');
  const after = spec.config.after;
  const filters = [inScope === null ? null : `not ${inScope}`].filter((f): f is string => f !== null);
  const afterJoin =
    after === undefined
      ? ''
      : `inner join ${state.table('snapshot')} as a on a.sync = ${d.literal(after)} and a.key = ${key}`;
  const model = `
    select ${key} as k, ${rowJson} as row_json, ${after === undefined ? 'cast(null as varchar)' : 'a.klaviyo_profile_id'} as after_profile_id
    from ${spec.model.relationName} as m
    ${afterJoin}
    ${filters.length > 0 ? `where ${filters.join(' and ')}` : ''}`;
  const isEvent = spec.config.object === 'event';
  const sql = `
    with model as (${model}),
    hashed as (
      select k, row_json, md5(row_json) as h, after_profile_id, count(*) over (partition by k) as dup_count
      from model
    ),
    snap as (
      select key, row_hash, row_json as prev_json, klaviyo_profile_id
      from ${state.table('snapshot')} where sync = ${name}
    ),
    rej as (
      select distinct key, row_hash from ${state.table('rejected')} where sync = ${name} and row_hash is not null
    ),
    joined as (
      select
        coalesce(h.k, s.key) as key,
        h.h as hash,
        h.row_json,
        s.prev_json,
        coalesce(s.klaviyo_profile_id, h.after_profile_id) as profile_id,
        coalesce(h.dup_count, 1) as dup_count,
        case
          when h.k is not null and h.dup_count > 1 then 'duplicate'
          when h.k is null then 'remove'
          when s.key is null and r.key is not null then 'rejected'
          when s.key is null then 'create'
          when s.row_hash = h.h then 'unchanged'
          when r.key is not null then 'rejected'
          ${isEvent ? `else 'changed_event'` : `else 'update'`}
        end as kind
      from hashed as h
      full outer join snap as s on s.key = h.k
      left join rej as r on r.key = h.k and r.row_hash = h.h
    )
    select * from joined`;
  const outOfScope =
    inScope === null
      ? 'select 0 as n'
      : `select count(*) as n from ${spec.model.relationName} as m where ${inScope}`;
  const waiting =
    after === undefined
      ? 'select 0 as n'
      : `select count(*) as n from ${spec.model.relationName} as m where not exists (select 1 from ${state.table('snapshot')} as a where a.sync = ${d.literal(after)} and a.key = ${key})${inScope === null ? '' : ` and not ${inScope}`}`;
  return { sql, outOfScope, waiting };
}

const num = (rows: Row[]) => Number(rows[0]?.n ?? 0);

export async function diffCounts(state: State, spec: SyncSpec): Promise<PlanCounts> {
  const { sql, outOfScope, waiting } = diffSql(state, spec);
  const rows = await state.wh.query(`select kind, count(*) as n from (${sql}) as diff group by kind`);
  const by = new Map(rows.map((r) => [String(r.kind), Number(r.n)]));
  return {
    create: by.get('create') ?? 0,
    update: by.get('update') ?? 0,
    unchanged: by.get('unchanged') ?? 0,
    remove: by.get('remove') ?? 0,
    // count(*) counts every duplicate row; report keys.
    duplicateKeys: num(
      await state.wh.query(`select count(distinct key) as n from (${sql}) as diff where kind = 'duplicate'`),
    ),
    changedEvents: by.get('changed_event') ?? 0,
    previouslyRejected: by.get('rejected') ?? 0,
    skippedByScope: num(await state.wh.query(outOfScope)),
    waitingOnAfter: num(await state.wh.query(waiting)),
  };
}

function parseJson(text: unknown): Row | null {
  if (text === null || text === undefined) return null;
  return typeof text === 'string' ? (JSON.parse(text) as Row) : (text as Row);
}

export interface StreamedChange extends RowChange {
  diffKind: DiffKind;
}

/** Streams the rows that need work (or a report): everything but `unchanged` and `rejected`. */
export async function* streamChanges(
  state: State,
  spec: SyncSpec,
  chunkSize = 5000,
): AsyncIterable<StreamedChange[]> {
  const { sql } = diffSql(state, spec);
  const stream = state.wh.stream(
    `select * from (${sql}) as diff where kind not in ('unchanged', 'rejected') order by kind, key`,
    [],
    chunkSize,
  );
  const seenDuplicates = new Set<string>();
  for await (const rows of stream) {
    const out: StreamedChange[] = [];
    for (const r of rows) {
      const diffKind = String(r.kind) as DiffKind;
      const key = String(r.key);
      if (diffKind === 'duplicate') {
        if (seenDuplicates.has(key)) continue;
        seenDuplicates.add(key);
      }
      out.push({
        diffKind,
        kind: diffKind === 'remove' ? 'remove' : diffKind === 'create' ? 'create' : 'update',
        key,
        hash: r.hash === null || r.hash === undefined ? null : String(r.hash),
        row: parseJson(r.row_json),
        previous: parseJson(r.prev_json),
        profileId: r.profile_id === null || r.profile_id === undefined ? null : String(r.profile_id),
      });
    }
    if (out.length > 0) yield out;
  }
}
