/**
 * Submitted Klaviyo import jobs, recorded the moment Klaviyo accepts them with the rows they
 * carry, so a run killed while a job is queued or processing resumes it by id instead of
 * sending the rows again.
 */
import type { SyncSpec } from '../manifest/spec.ts';
import type { State } from './schema.ts';
import type { ConfirmedRow } from './snapshot.ts';

export async function recordJob(
  state: State,
  spec: SyncSpec,
  runId: string,
  jobId: string,
  kind: string,
  rows: { key: string; hash: string; row: unknown }[],
): Promise<void> {
  const now = new Date().toISOString();
  await state.wh.insertRows(
    state.table('job_rows'),
    ['job_id', 'sync', 'key', 'row_hash', 'row_json'],
    rows.map((r) => [jobId, spec.name, r.key, r.hash, JSON.stringify(r.row)]),
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

export async function jobRows(state: State, jobId: string): Promise<Omit<ConfirmedRow, 'profileId'>[]> {
  const rows = await state.wh.query(
    `select key, row_hash, row_json from ${state.table('job_rows')} where job_id = ${state.wh.dialect.literal(jobId)}`,
  );
  return rows.map((r) => ({
    key: String(r.key),
    hash: String(r.row_hash),
    row: r.row_json === null ? null : (JSON.parse(String(r.row_json)) as Record<string, unknown>),
  }));
}

export async function finishJob(
  state: State,
  jobId: string,
  status: 'complete' | 'cancelled' | 'failed',
): Promise<void> {
  const d = state.wh.dialect;
  await state.wh.execute(
    `update ${state.table('jobs')} set status = ${d.literal(status)}, finished_at = current_timestamp where job_id = ${d.literal(jobId)}`,
  );
  await state.wh.execute(`delete from ${state.table('job_rows')} where job_id = ${d.literal(jobId)}`);
}
