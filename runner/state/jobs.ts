/**
 * Submitted Klaviyo import jobs, recorded the moment Klaviyo accepts them with the rows they
 * carry, so a run killed while a job is queued or processing resumes it by id instead of
 * sending the rows again.
 */
import type { SyncSpec } from '../manifest/spec.ts';
import { inTransaction, type State } from './schema.ts';
import { utcTimestampText, type Row } from '../source/warehouse.ts';
import { parseRowJson, storedJson, type StoredRow } from './row-json.ts';

export async function recordJob(
  state: State,
  spec: SyncSpec,
  runId: string,
  jobId: string,
  kind: string,
  rows: (StoredRow & { key: string; hash: string })[],
): Promise<void> {
  const now = utcTimestampText(new Date());
  await state.wh.insertRows(
    state.table('job_rows'),
    ['job_id', 'sync', 'key', 'row_hash', 'row_json'],
    rows.map((r) => [jobId, spec.name, r.key, r.hash, storedJson(r)]),
  );
  await state.wh.insertRows(
    state.table('jobs'),
    ['run_id', 'sync', 'job_id', 'kind', 'submitted_at', 'status'],
    [[runId, spec.name, jobId, kind, now, 'submitted']],
  );
}

export async function pendingJobs(state: State, spec: SyncSpec): Promise<{ jobId: string; kind: string }[]> {
  const rows = await state.wh.query(
    `select job_id, kind from ${state.table('jobs')} where sync = ${state.wh.dialect.literal(spec.name)} and status = 'submitted' order by submitted_at`,
  );
  return rows.map((r) => ({ jobId: String(r.job_id), kind: String(r.kind) }));
}

/** A job's rows, each with what the snapshot held for its key before the job (null when new). */
export interface JobRow {
  key: string;
  hash: string;
  row: Row | null;
  previous: Row | null;
  profileId: string | null;
}

const parse = (json: unknown): Row | null =>
  json === null || json === undefined ? null : parseRowJson(String(json));

export async function jobRows(state: State, jobId: string): Promise<JobRow[]> {
  const rows = await state.wh.query(
    `select j.key, j.row_hash, j.row_json, s.row_json as prev_json, s.klaviyo_profile_id
     from ${state.table('job_rows')} as j
     left join ${state.table('snapshot')} as s on s.sync = j.sync and s.key = j.key
     where j.job_id = ${state.wh.dialect.literal(jobId)}`,
  );
  return rows.map((r) => ({
    key: String(r.key),
    hash: String(r.row_hash),
    row: parse(r.row_json),
    previous: parse(r.prev_json),
    profileId:
      r.klaviyo_profile_id === null || r.klaviyo_profile_id === undefined
        ? null
        : String(r.klaviyo_profile_id),
  }));
}

/**
 * A job's outcome recorded and its rows let go, in one transaction. The job's row is written again
 * with its outcome and the submitted one deleted, rather than updated: an UPDATE committed while a
 * diff streams keeps DuckDB from checkpointing until the stream ends (runs.ts, `heartbeat`).
 */
export async function finishJob(
  state: State,
  jobId: string,
  status: 'complete' | 'cancelled' | 'failed',
): Promise<void> {
  const d = state.wh.dialect;
  const jobs = state.table('jobs');
  const open = `job_id = ${d.literal(jobId)} and finished_at is null`;
  await inTransaction(state, async (tx) => {
    await tx.wh.execute(
      `insert into ${jobs} (run_id, sync, job_id, kind, submitted_at, status, finished_at)
       select run_id, sync, job_id, kind, submitted_at, ${d.literal(status)}, ${d.nowUtc} from ${jobs} where ${open}`,
    );
    await tx.wh.execute(`delete from ${jobs} where ${open}`);
    await tx.wh.execute(`delete from ${tx.table('job_rows')} where job_id = ${d.literal(jobId)}`);
  });
}
