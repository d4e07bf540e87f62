/** Runs and per-sync locks. Two runs of one sync must never both send (issue: "never double"). */
import os from 'node:os';
import { LockedError } from '../errors.ts';
import type { Row } from '../source/warehouse.ts';
import { inTransaction, type State } from './schema.ts';

/** A lock whose holder has not beaten for this long belongs to a dead run and may be taken over. */
export const STALE_LOCK_MINUTES = 30;

export async function beginRun(state: State, runId: string, command: string): Promise<void> {
  const d = state.wh.dialect;
  await state.wh.execute(
    `insert into ${state.table('runs')} (run_id, command, started_at, status)
     values (${d.literal(runId)}, ${d.literal(command)}, ${d.nowUtc}, 'running')`,
  );
}

export async function finishRun(
  state: State,
  runId: string,
  status: string,
  summary: unknown,
): Promise<void> {
  const d = state.wh.dialect;
  await state.wh.execute(
    `update ${state.table('runs')} set finished_at = ${d.nowUtc}, status = ${d.literal(status)}, summary_json = ${d.literal(JSON.stringify(summary))} where run_id = ${d.literal(runId)}`,
  );
}

/** This process, as recorded in a lock: host and pid. */
export const THIS_HOLDER = `${os.hostname()}:${process.pid}`;

/** A holder on this host whose process is gone (a run killed with SIGKILL) holds nothing. */
function holderIsDead(holder: unknown): boolean {
  if (typeof holder !== 'string') return false;
  const at = holder.lastIndexOf(':');
  if (holder.slice(0, at) !== os.hostname()) return false;
  const pid = Number(holder.slice(at + 1));
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function lockedBy(sync: string, holder: Row): LockedError {
  return new LockedError(
    `Sync \`${sync}\` is being run by run ${String(holder.run_id)} (last seen ${Number(holder.idle_seconds)} s ago). Wait for it to finish; a lock older than ${STALE_LOCK_MINUTES} minutes is taken over.`,
  );
}

/**
 * A lock row whose holder is alive and beat within STALE_LOCK_MINUTES. The age is computed by the
 * warehouse against its own clock (`idle_seconds`), never parsed from a driver's timestamp value.
 */
function isLive(holder: Row): boolean {
  if (holderIsDead(holder.holder)) return false;
  const idle = Number(holder.idle_seconds);
  return Number.isFinite(idle) && idle < STALE_LOCK_MINUTES * 60;
}

async function locksOf(state: State, sync: string): Promise<Row[]> {
  const d = state.wh.dialect;
  return state.wh.query(
    `select run_id, holder, ${d.secondsSince('heartbeat_at')} as idle_seconds from ${state.table('locks')} where sync = ${d.literal(sync)} order by acquired_at, run_id`,
  );
}

/**
 * Takes the sync's lock, or throws LockedError naming the run that holds it. A lock left by a dead
 * run (its process gone, or silent for STALE_LOCK_MINUTES) is taken over and that run is marked
 * abandoned. Warehouses have no unique constraint to lean on (Snowflake does not enforce one), so
 * two runs that both found the sync free both insert; each then reads the locks again and only the
 * earliest insert (warehouse time, then run id) keeps its lock.
 */
export async function acquireLock(state: State, sync: string, runId: string): Promise<void> {
  const d = state.wh.dialect;
  for (const holder of await locksOf(state, sync)) {
    if (String(holder.run_id) === runId) continue;
    if (isLive(holder)) throw lockedBy(sync, holder);
    const dead = d.literal(String(holder.run_id));
    await state.wh.execute(
      `delete from ${state.table('locks')} where sync = ${d.literal(sync)} and run_id = ${dead}`,
    );
    await state.wh.execute(
      `update ${state.table('runs')} set status = 'abandoned', finished_at = ${d.nowUtc} where run_id = ${dead} and status = 'running'`,
    );
  }
  await state.wh.execute(
    `insert into ${state.table('locks')} (sync, run_id, holder, acquired_at, heartbeat_at)
     values (${d.literal(sync)}, ${d.literal(runId)}, ${d.literal(THIS_HOLDER)}, ${d.nowUtc}, ${d.nowUtc})`,
  );
  await confirmLockHeld(state, sync, runId);
}

/** After inserting its lock: keeps it only if no live lock of the sync was inserted earlier. */
export async function confirmLockHeld(state: State, sync: string, runId: string): Promise<void> {
  const first = (await locksOf(state, sync)).find((l) => String(l.run_id) === runId || isLive(l));
  if (first !== undefined && String(first.run_id) !== runId) {
    await releaseLock(state, sync, runId);
    throw lockedBy(sync, first);
  }
}

/**
 * Marks the lock alive: its row written again with the new beat, then the old one deleted, in one
 * transaction. Not an UPDATE: once a commit has updated rows of the DuckDB file while another
 * connection reads it (a sync's diff streaming beside the beat), DuckDB checkpoints nothing until
 * that read ends, so the rows a sync confirms stay in its memory and its write-ahead log grows
 * past `checkpoint_threshold` (docs/architecture.md, "DuckDB's memory"); inserts and deletes leave
 * it free to checkpoint.
 */
export async function heartbeat(state: State, sync: string, runId: string): Promise<void> {
  const d = state.wh.dialect;
  const locks = state.table('locks');
  const mine = `sync = ${d.literal(sync)} and run_id = ${d.literal(runId)}`;
  await inTransaction(state, async (tx) => {
    await tx.wh.execute(
      `insert into ${locks} (sync, run_id, holder, acquired_at, heartbeat_at)
       select sync, run_id, min(holder), min(acquired_at), ${d.nowUtc} from ${locks} where ${mine} group by sync, run_id`,
    );
    await tx.wh.execute(
      `delete from ${locks} where ${mine} and heartbeat_at < (select max(heartbeat_at) from ${locks} where ${mine})`,
    );
  });
}

export async function releaseLock(state: State, sync: string, runId: string): Promise<void> {
  const d = state.wh.dialect;
  await state.wh.execute(
    `delete from ${state.table('locks')} where sync = ${d.literal(sync)} and run_id = ${d.literal(runId)}`,
  );
}

/**
 * Whether a sync's first full load has finished. Until it has, `backfill: first_load` sends
 * events with Klaviyo's backfill flag, also in the runs that finish a load a crash interrupted.
 */
export async function firstLoadDone(state: State, sync: string): Promise<boolean> {
  const rows = await state.wh.query(
    `select count(*) as n from ${state.table('syncs')} where sync = ${state.wh.dialect.literal(sync)} and first_load_done_at is not null`,
  );
  return Number(rows[0]?.n ?? 0) > 0;
}

/**
 * Marks the first load done, once Klaviyo has confirmed at least one of the sync's rows. A run that
 * confirmed none (an empty model, history not yet connected, every row refused) loaded no
 * history: the rows a later run finds are still history, and still go as backfill, rather than
 * starting a flow for every old order.
 */
export async function markFirstLoadDone(state: State, sync: string): Promise<void> {
  if (await firstLoadDone(state, sync)) return;
  const confirmed = await state.wh.query(
    `select count(*) as n from (select 1 from ${state.table('snapshot')} where sync = ${state.wh.dialect.literal(sync)} limit 1) as one`,
  );
  if (Number(confirmed[0]?.n ?? 0) === 0) return;
  await state.wh.execute(
    `delete from ${state.table('syncs')} where sync = ${state.wh.dialect.literal(sync)}`,
  );
  await state.wh.execute(
    `insert into ${state.table('syncs')} (sync, first_load_done_at) values (${state.wh.dialect.literal(sync)}, ${state.wh.dialect.nowUtc})`,
  );
}
