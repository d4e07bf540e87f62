/**
 * The statements that read a sync's diff (diff-sql.ts, `diffSql`) out of the warehouse: its counts
 * and its changed rows, as two statements on DuckDB and one on Snowflake (docs/architecture.md,
 * "One diff, two statements"). `state/diff.ts` (`openDiff`) runs them and reads what they give.
 */
import type { SyncSpec } from '../manifest/spec.ts';
import { changeLineSql } from './change-line.ts';
import { diffSql, type DiffMode } from './diff-sql.ts';
import type { State } from './schema.ts';

/** Kinds the diff keeps in the warehouse: counted, never streamed. */
export const KEPT_KINDS = ['unchanged', 'rejected', 'changed_event_reported'] as const;

/** Counts the statement adds beside the per-kind ones: the snapshot's rows, and rows left out of the model side. */
export const EXTRA_COUNTS = ['synced', 'out_of_scope', 'waiting'] as const;

/**
 * On DuckDB a sync's diff is read with two statements over the same tables: the counts
 * (`countsStatement`), which the mass-removal guard, the progress bar and the log need before
 * anything is sent, then the rows that need work (`rowsStatement`), streamed as the warehouse
 * produces them.
 *
 * Two statements, not one: any single statement that puts the counts before the rows must hold
 * every changed row until the last is counted. One aggregate with two grouping sets (by kind; by
 * kind, key and row) did that, and its hash table of every changed row's text did not spill: a
 * first sync's diff of 100,000 rows needed more than 64MB of DuckDB's memory, one of 1,000,000
 * more than 128MB, and two of them side by side ran out of memory at 256MB. The counts alone carry
 * no row text and the unordered rows hold nothing: each ran in 32MB and 64MB at 1,000,000 rows,
 * and both together in less time than the aggregate (0.8 s and 1.3 s against 2.6 s;
 * docs/architecture.md, "One diff, two statements";
 * https://duckdb.org/docs/stable/guides/performance/how_to_tune_workloads). Snowflake, which
 * bills by the time it computes and spills to remote storage, reads one (`oneStatement`).
 */

/**
 * One count's text, `{"count": kind, "n": rows, "keys": distinct keys}`, over an aggregate's output
 * columns `kind`, `n` and `keys`. JSON is built over the aggregate's output, not inside it: the
 * Snowflake emulator cannot bind an aggregate inside object_construct_keep_null.
 */
function countText(state: State, changed = false): string {
  return state.wh.dialect.jsonObject([
    ['count', 'kind'],
    ['n', 'n'],
    ['keys', 'keys'],
    ...(changed ? [['changed', 'changed'] as [string, string]] : []),
  ]);
}

/**
 * How many changed keys a count may list (`countsStatement`'s `changedKeys`): when no kind has
 * more, the rows are read by those keys alone (`rowsStatement`), which hashes only their rows.
 * A 1% change of 5,000,000 rows (50,000 keys) is read that way in 5.3 s, where a second whole
 * diff took 11.4 s. The list is gathered before the counts say whether it will be used, so a
 * first sync of more rows than this gathers this many keys for nothing: at 100,000 the sync
 * benchmark's first sync peaked 20-30 MB higher than at 20,000.
 */
export const CHANGED_KEYS_LIMIT = 50_000;

/**
 * Keys longer than this are never listed, so a kind that has one is read whole: the lists' memory
 * in the warehouse and their text in the rows statement stay bounded (50,000 keys of 128
 * characters, about 6.5 MB a kind) whatever a model's keys hold. Ids, UUIDs, emails and SHA-256
 * hex digests fit.
 */
const LISTED_KEY_LENGTH = 128;

/**
 * A kind's keys when it has no more than `n` rows and every one has a key short enough to list;
 * else NULL, so a list that cannot be used is never carried back to the runner.
 */
const changedList = (n: number) =>
  `case when count(*) <= ${n} and count(changed_key) = count(*) then min(changed_key, ${n}) end`;

/**
 * The counts beside the per-kind ones (EXTRA_COUNTS), as rows of their own kind after the diff's
 * own rows in a `union all`; `rest` fills the statement's other columns.
 */
function extraCounts(
  state: State,
  spec: SyncSpec,
  diff: { outOfScope: string | null; waiting: string | null },
  rest: string,
): string {
  const d = state.wh.dialect;
  const sources: [(typeof EXTRA_COUNTS)[number], string | null][] = [
    ['synced', `select 1 as one from ${state.table('snapshot')} where sync = ${d.literal(spec.name)}`],
    ['out_of_scope', diff.outOfScope],
    ['waiting', diff.waiting],
  ];
  return sources
    .filter((source): source is [(typeof EXTRA_COUNTS)[number], string] => source[1] !== null)
    .map(([name, rows]) => `union all select ${d.literal(name)}, ${rest} from (${rows}) as x`)
    .join('\n');
}

/**
 * The counts of one sync's diff, one row per kind, each one text `{"count": kind, "n": rows,
 * "keys": distinct keys}`, and one per EXTRA_COUNTS. Distinct duplicate keys are counted in the
 * same pass: each of a key's `dup_count` rows adds 1/dup_count, so the sum over a kind is its
 * number of keys, without a `count(distinct)`.
 *
 * With `changedKeys` (DuckDB; CHANGED_KEYS_LIMIT in a run), each kind that needs work also lists
 * the keys of its rows when it has no more than that many (`"changed"`, `changedList`; DuckDB's
 * `min(key, n)` keeps no more), so `openDiff` can read a small change's rows by their keys
 * (`ChangedKeys`).
 */
export function countsStatement(state: State, spec: SyncSpec, mode: DiffMode, changedKeys?: number): string {
  const listed = changedKeys !== undefined && changedKeys > 0;
  const diff = diffSql(state, spec, mode, 'left out');
  const kept = KEPT_KINDS.map((k) => state.wh.dialect.literal(k)).join(', ');
  return `
    with diff as (${diff.sql}),
    lean as (
      select kind, dup_count${
        listed
          ? `, case when kind not in (${kept}) and length(key) <= ${LISTED_KEY_LENGTH} then key end as changed_key`
          : ''
      }
      from diff
      ${extraCounts(state, spec, diff, listed ? '1, cast(null as varchar)' : '1')}
    ),
    grouped as (
      select kind, count(*) as n, cast(round(sum(1.0 / dup_count)) as integer) as keys
        ${listed ? `, ${changedList(Math.floor(changedKeys))} as changed` : ''}
      from lean group by kind
    )
    select ${countText(state, listed)} as j from grouped`;
}

/**
 * The keys a small change's rows are read by (`rowsStatement`): every key of every kind that needs
 * work, when each such kind listed all of its rows' keys (`countsStatement`'s `changedKeys`); a
 * row without a key is read whatever the keys.
 */
export type ChangedKeys = readonly string[];

/**
 * DuckDB: `keys` as a query of one text column `key`, from one JSON text, so any number of keys
 * of any text is one literal (https://duckdb.org/docs/stable/data/json/json_functions).
 */
function keysQuery(state: State, keys: ChangedKeys): string {
  return `select unnest(from_json(${state.wh.dialect.literal(JSON.stringify(keys))}, '["VARCHAR"]')) as key`;
}

/** In no order (what a sync and a plan read), or by kind and key (what a file written from them needs). */
export type RowOrder = 'none' | 'by kind and key';

/**
 * How each changed row gets the snapshot's row of its key (what Klaviyo last had): not at all when
 * the sync's snapshot is empty; carried through the diff's join with the snapshot, whose hash
 * table then holds every confirmed row's JSON; or joined after the rows are classified, for the
 * changed keys alone (the changed rows are held once to pick them). `openDiff` picks from the
 * counts, which the warehouse's optimizer cannot know before it runs the diff: by changed key when
 * they are fewer than the snapshot's rows. For 10,000 updates against 1,000,000 confirmed rows a
 * plan took 2.2 s that way and 3.1 s carried; for 910,000 of them, 11.9 s and 11.3 s. Joining the
 * whole snapshot after classifying ran out of memory at 256MB there, so it is never done.
 */
export type PreviousRows = 'none' | 'carried' | 'changed keys';

/**
 * The rows of one sync's diff that need work (or a report), in no order unless asked: one text
 * each (change-line.ts).
 *
 * `previous` says how the snapshot's row is read. Unordered, the warehouse holds no row to hand it
 * over: what needs an order (a plan's examples) picks it in the runner. Ordered, the warehouse
 * sorts every row first, which a 1,000,000-row model of one sync alone does in 256MB.
 *
 * With `keys` (DuckDB), only the rows of those keys and the model's rows without a key are
 * classified (diff-sql.ts, `onlyKeys`): the rows of a small change without hashing the model's
 * other rows a second time.
 */
export function rowsStatement(
  state: State,
  spec: SyncSpec,
  mode: DiffMode,
  order: RowOrder = 'none',
  previous: PreviousRows = 'carried',
  keys?: ChangedKeys,
): string {
  const d = state.wh.dialect;
  const { sql } = diffSql(
    state,
    spec,
    mode,
    previous === 'carried' ? 'joined' : 'left out',
    keys === undefined ? undefined : keysQuery(state, keys),
  );
  const kept = KEPT_KINDS.map((k) => d.literal(k)).join(', ');
  const line = changeLineSql(
    state,
    { none: `'null'`, carried: 'prev_json', 'changed keys': 'p.prev_row' }[previous],
  );
  return `
    with diff as (${sql}),
    changed as (select * from diff where kind not in (${kept}))
    select ${line} as j from changed
    ${
      previous === 'changed keys'
        ? `left join (
             select key as prev_key, row_json as prev_row from ${state.table('snapshot')}
             where sync = ${d.literal(spec.name)}
               and key in (select key from changed where change_kind <> 'create')
           ) as p on p.prev_key = changed.key`
        : ''
    }
    ${order === 'none' ? '' : 'order by kind, key, hash'}`;
}

/**
 * Counts and rows as one statement, for a warehouse that bills by the time it computes (Snowflake):
 * the diff is computed once rather than twice. Each result row is one text, `<n> <json>`, counts
 * first (as `countsStatement`'s, `n` the rows), then the rows that need work by kind and key
 * (change-line.ts, `n` the identical model rows it stands for). Counts and rows come from one
 * aggregate over the classified diff with two grouping sets: by kind, and by kind, key and row
 * (unchanged and held-back rows, whose key and row are left NULL, fall into one group per kind;
 * https://docs.snowflake.com/en/sql-reference/constructs/group-by-grouping-sets). It holds every
 * changed row until the last is counted, which a warehouse that spills to remote storage does and
 * DuckDB, within the runner's memory, does not (docs/architecture.md, "One diff, two statements").
 */
export function oneStatement(state: State, spec: SyncSpec, mode: DiffMode): string {
  const d = state.wh.dialect;
  const diff = diffSql(state, spec, mode);
  const kept = KEPT_KINDS.map((k) => d.literal(k)).join(', ');
  const line = (n: string, json: string) => `cast(${n} as varchar) || ' ' || ${json}`;
  const counted = line('n', countText(state));
  return `
    with diff as (${diff.sql}),
    lean as (
      select kind, dup_count,
        -- A duplicate key's rows, and rows without a key, are ordered by their hash too.
        case
          when kind in (${kept}) then null
          when kind = 'null_key' then hash
          when kind = 'duplicate' then key || hash
          else key
        end as key,
        case when kind in (${kept}) then null else ${changeLineSql(state, 'prev_json')} end as body
      from diff
      ${extraCounts(state, spec, diff, '1, cast(null as varchar), cast(null as varchar)')}
    ),
    grouped as (
      select grouping(key, body) as g, kind, key, body,
        count(*) as n, cast(round(sum(1.0 / dup_count)) as integer) as keys
      from lean group by grouping sets ((kind), (kind, key, body))
      having grouping(key, body) <> 0 or body is not null
    ),
    out as (
      select case when g = 0 then 1 else 0 end as part, kind, key,
        case when g = 0 then ${line('n', 'body')} else ${counted} end as line
      from grouped
    )
    select line as j from out order by part, kind, key`;
}
