/**
 * Writes to the state schema, each after Klaviyo confirmed something: a row enters the snapshot
 * only when Klaviyo confirmed it (docs/architecture.md#where-state-lives). Writes go through the `stage` table
 * so they are bulk on every warehouse (DuckDB: the appender, into a temporary stage; Snowflake: array binds).
 */
import { randomUUID } from 'node:crypto';
import type { SyncSpec } from '../manifest/spec.ts';
import { utcTimestampText } from '../source/warehouse.ts';
import type { Rejection } from './changes.ts';
import { storedJson, type StoredRow } from './row-json.ts';
import { inTransaction, type State } from './schema.ts';

/** A row Klaviyo confirmed, with what the snapshot stores of it (row-json.ts, `StoredRow`). */
export type ConfirmedRow = StoredRow & {
  key: string;
  hash: string;
  profileId: string | null;
  /** The diff found no snapshot row for the key (a create): there is nothing to replace or keep. */
  isNew?: boolean;
};

async function staged<T>(state: State, rows: unknown[][], work: (batch: string) => Promise<T>): Promise<T> {
  const batch = randomUUID();
  await state.wh.insertRows(
    state.table('stage'),
    ['batch_id', 'key', 'row_hash', 'row_json', 'klaviyo_profile_id'],
    rows.map((r) => [batch, ...r]),
  );
  try {
    return await work(batch);
  } finally {
    await state.wh.execute(
      `delete from ${state.table('stage')} where batch_id = ${state.wh.dialect.literal(batch)}`,
    );
  }
}

/**
 * Runs statements as one transaction, so a run killed between a delete and its insert cannot leave
 * a confirmed row out of the snapshot (it would be sent again).
 */
function atomically(state: State, work: (tx: State) => Promise<void>): Promise<void> {
  return inTransaction(state, work);
}

/**
 * Upserts confirmed rows into the sync's snapshot and clears their earlier rejections, at once.
 * The staged rows are read and removed inside the same transaction, so a batch costs one commit
 * after its staging, not one per statement.
 *
 * `jobs`: the import jobs the rows went in (state/jobs.ts). Each job's recorded rows hold the same
 * hash and JSON, so the snapshot takes them from there and only keys and profile ids are staged:
 * a job's rows cross from the runner to the warehouse once, not twice.
 */
export async function confirmRows(
  state: State,
  spec: SyncSpec,
  runId: string,
  rows: ConfirmedRow[],
  jobs: string[] = [],
): Promise<void> {
  if (rows.length === 0) return;
  const d = state.wh.dialect;
  const sync = d.literal(spec.name);
  const batch = randomUUID();
  const stage = state.table('stage');
  const ofBatch = `batch_id = ${d.literal(batch)}`;
  const fromJobs = jobs.length > 0;
  await state.wh.insertRows(
    stage,
    ['batch_id', 'key', 'row_hash', 'row_json', 'klaviyo_profile_id'],
    rows.map((r) =>
      fromJobs ? [batch, r.key, null, null, r.profileId] : [batch, r.key, r.hash, storedJson(r), r.profileId],
    ),
  );
  const staged = fromJobs
    ? `select t.key, j.row_hash, j.row_json, t.klaviyo_profile_id
       from ${stage} as t inner join ${state.table('job_rows')} as j
         on j.sync = ${sync} and j.key = t.key and j.job_id in (${jobs.map((id) => d.literal(id)).join(', ')})
       where t.${ofBatch}`
    : `select key, row_hash, row_json, klaviyo_profile_id from ${stage} where ${ofBatch}`;
  // A batch of keys the diff found nowhere in the snapshot (the sync's lock keeps it so) has no
  // snapshot row to read a profile id from or to replace: two scans of the snapshot fewer.
  const allNew = rows.every((r) => r.isNew === true);
  try {
    await atomically(state, async (tx) => {
      const inBatch = `select key from ${stage} where ${ofBatch}`;
      if (!allNew) {
        // Keep a profile id learnt earlier when this confirmation did not learn one. UPDATE ... FROM,
        // not a correlated subquery in SET: Snowflake runs one only when it can prove a single row
        // (https://docs.snowflake.com/en/user-guide/querying-subqueries#types-supported-by-snowflake).
        await tx.wh.execute(
          `update ${stage} as t set klaviyo_profile_id = s.klaviyo_profile_id
           from ${tx.table('snapshot')} as s
           where s.sync = ${sync} and s.key = t.key and s.klaviyo_profile_id is not null
             and t.${ofBatch} and t.klaviyo_profile_id is null`,
        );
        await tx.wh.execute(
          `delete from ${tx.table('snapshot')} where sync = ${sync} and key in (${inBatch})`,
        );
      }
      await tx.wh.execute(`delete from ${tx.table('rejected')} where sync = ${sync} and key in (${inBatch})`);
      await tx.wh.execute(
        `insert into ${tx.table('snapshot')} (sync, key, row_hash, row_json, klaviyo_profile_id, confirmed_at, run_id)
         select ${sync}, key, row_hash, row_json, klaviyo_profile_id, ${d.nowUtc}, ${d.literal(runId)}
         from (${staged}) as confirmed`,
      );
      await tx.wh.execute(`delete from ${stage} where ${ofBatch}`);
    });
  } catch (error) {
    // Rolled back: the staged rows are still there.
    await state.wh.execute(`delete from ${stage} where ${ofBatch}`);
    throw error;
  }
}

/** A snapshot row's new hash and text, for a row Klaviyo already holds as it is (`rebaselineRows`). */
export interface RebaselinedRow {
  key: string;
  /** Never null for a row the diff found changed. */
  hash: string | null;
  json: string | null;
}

/**
 * Gives snapshot rows the hash and text the diff now computes for them, with no request: the
 * model row would send Klaviyo what it was sent (objects/as-sent.ts), so the next diff finds it
 * unchanged. Each row is written again and the old one deleted, in one transaction, rather than
 * updated (state/runs.ts, `heartbeat`); it keeps its profile id, and when and by which run Klaviyo
 * confirmed it, since nothing was confirmed now. Rejections stay as they are: a re-baselined row
 * was not rejected under its new hash, or the diff would have held it back.
 */
export async function rebaselineRows(state: State, spec: SyncSpec, rows: RebaselinedRow[]): Promise<void> {
  if (rows.length === 0) return;
  const d = state.wh.dialect;
  const sync = d.literal(spec.name);
  const snapshot = state.table('snapshot');
  const stage = state.table('stage');
  await staged(
    state,
    rows.map((r) => [r.key, r.hash, r.json, null]),
    (batch) =>
      atomically(state, async (tx) => {
        const ofBatch = `t.batch_id = ${d.literal(batch)}`;
        await tx.wh.execute(
          `insert into ${snapshot} (sync, key, row_hash, row_json, klaviyo_profile_id, confirmed_at, run_id)
           select s.sync, t.key, t.row_hash, t.row_json, s.klaviyo_profile_id, s.confirmed_at, s.run_id
           from ${stage} as t inner join ${snapshot} as s on s.sync = ${sync} and s.key = t.key
           where ${ofBatch} and s.row_hash <> t.row_hash`,
        );
        // The rows of those keys under another hash, named by key and hash in one text (a hash
        // never holds chr(31)): neither a correlated subquery nor an alias in DELETE, which not
        // every warehouse takes.
        const pair = (alias: string) => `${alias}key || chr(31) || ${alias}row_hash`;
        await tx.wh.execute(
          `delete from ${snapshot}
           where sync = ${sync}
             and key in (select t.key from ${stage} as t where ${ofBatch})
             and ${pair('')} not in (select ${pair('t.')} from ${stage} as t where ${ofBatch})`,
        );
      }),
  );
}

/** Removes rows from the snapshot once their removal is done (or needs nothing from Klaviyo). */
export async function forgetRows(state: State, spec: SyncSpec, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  const d = state.wh.dialect;
  await staged(
    state,
    keys.map((k) => [k, null, null, null]),
    async (batch) => {
      await state.wh.execute(
        `delete from ${state.table('snapshot')} where sync = ${d.literal(spec.name)} and key in (select key from ${state.table('stage')} where batch_id = ${d.literal(batch)})`,
      );
    },
  );
}

/**
 * Removes an erased person's rows from one sync's state (docs/privacy-deletions.md): the snapshot
 * rows, their rejections, their withdrawals, their changed events and their place in an unfinished import job (so
 * resuming the job does not confirm them again), at once.
 */
export async function forgetPersonRows(state: State, sync: string, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  const d = state.wh.dialect;
  await staged(
    state,
    keys.map((k) => [k, null, null, null]),
    (batch) =>
      atomically(state, async (tx) => {
        for (const table of ['snapshot', 'rejected', 'withdrawals', 'job_rows', 'changed_events'] as const)
          await tx.wh.execute(
            `delete from ${tx.table(table)} where sync = ${d.literal(sync)} and key in (select key from ${tx.table('stage')} where batch_id = ${d.literal(batch)})`,
          );
      }),
  );
}

export interface RecordedRejection extends Rejection {
  hash: string | null;
  source: 'runner' | 'klaviyo';
}

/** Records rejected rows, at once; with their hash, the same row is not resent until it changes. */
export async function recordRejections(
  state: State,
  runId: string,
  rejections: RecordedRejection[],
): Promise<void> {
  const d = state.wh.dialect;
  const now = utcTimestampText(new Date());
  for (const sync of new Set(rejections.map((r) => r.sync))) {
    const mine = rejections.filter((r) => r.sync === sync);
    await staged(
      state,
      mine.map((r) => [r.key, r.hash, null, null]),
      (batch) =>
        atomically(state, async (tx) => {
          await tx.wh.execute(
            `delete from ${tx.table('rejected')} where sync = ${d.literal(sync)} and key in (select key from ${tx.table('stage')} where batch_id = ${d.literal(batch)})`,
          );
          await tx.wh.insertRows(
            tx.table('rejected'),
            ['sync', 'key', 'row_hash', 'column_name', 'reason', 'source', 'run_id', 'rejected_at'],
            mine.map((r) => [r.sync, r.key, r.hash, r.column ?? null, r.reason, r.source, runId, now]),
          );
        }),
    );
  }
}

export interface Withdrawal {
  key: string;
  channels: ('email' | 'sms')[];
}

/**
 * Records that Klaviyo took a withdrawal of consent (its unsubscribe answered 202), per key and
 * channel, at this run's time (UTC): a later subscription of that channel needs consent dated after
 * it. Rows are only ever added, so each channel keeps its own latest withdrawal.
 */
export async function recordWithdrawals(
  state: State,
  spec: SyncSpec,
  runId: string,
  withdrawals: Withdrawal[],
): Promise<void> {
  if (withdrawals.length === 0) return;
  const now = new Date().toISOString();
  await state.wh.insertRows(
    state.table('withdrawals'),
    ['sync', 'key', 'channel', 'withdrawn_at', 'run_id'],
    withdrawals.flatMap((w) => w.channels.map((c) => [spec.name, w.key, c, now, runId])),
  );
}
