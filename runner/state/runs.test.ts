/**
 * The writes a sync makes while its diff streams (a lock's beat, a finished import job) on DuckDB:
 * what they record, and that DuckDB can still checkpoint beside the open read.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spec } from '../../test/fixtures/specs.ts';
import { emptyState } from '../../test/helpers/duckdb.ts';
import type { Warehouse } from '../source/warehouse.ts';
import { finishJob, pendingJobs, recordJob } from './jobs.ts';
import { acquireLock, heartbeat } from './runs.ts';
import type { State } from './schema.ts';

let wh: Warehouse;
let state: State;
const profiles = spec({ object: 'profile', identity: { email: 'email' } }, 'profiles');

beforeEach(async () => {
  ({ wh, state } = await emptyState('runs'));
});
afterEach(async () => {
  await wh?.close();
});

const locks = () =>
  wh.query(
    `select run_id, holder, cast(acquired_at as varchar) as acquired_at, heartbeat_at > acquired_at as beaten
     from klaviyo_runner.locks`,
  );

describe('writes beside a streaming diff', () => {
  it('beats a lock: one row, held since it was taken, beaten later', async () => {
    await acquireLock(state, 'profiles', 'run-1');
    const [taken] = await locks();
    await heartbeat(state, 'profiles', 'run-1');
    await heartbeat(state, 'profiles', 'run-1');
    expect(await locks()).toEqual([{ ...taken, beaten: true }]);
    // Another sync's lock, and a run that holds none, are left alone.
    await acquireLock(state, 'orders', 'run-1');
    await heartbeat(state, 'profiles', 'run-2');
    expect(await wh.query('select sync, run_id from klaviyo_runner.locks order by sync')).toEqual([
      { sync: 'orders', run_id: 'run-1' },
      { sync: 'profiles', run_id: 'run-1' },
    ]);
  });

  it('finishes a job: its outcome recorded once, its rows let go', async () => {
    const row = { key: 'a', hash: 'h-a', row: { email: 'a@x.com' } };
    await recordJob(state, profiles, 'run-1', 'JOB1', 'profile-bulk-import', [row]);
    await recordJob(state, profiles, 'run-1', 'JOB2', 'profile-bulk-import', [row]);
    await finishJob(state, 'JOB1', 'complete');
    expect(await pendingJobs(state, profiles)).toEqual([{ jobId: 'JOB2', kind: 'profile-bulk-import' }]);
    expect(
      await wh.query(
        `select job_id, status, finished_at is not null as finished from klaviyo_runner.jobs order by job_id`,
      ),
    ).toEqual([
      { job_id: 'JOB1', status: 'complete', finished: true },
      { job_id: 'JOB2', status: 'submitted', finished: false },
    ]);
    expect(await wh.query('select job_id from klaviyo_runner.job_rows')).toEqual([{ job_id: 'JOB2' }]);
  });

  it('leaves DuckDB free to checkpoint while a diff streams', async () => {
    // A commit that UPDATEs rows of the file while another connection reads it stops every
    // checkpoint until that read ends ("there are other write transactions active").
    await wh.execute('create table model as select i from range(100000) as t(i)');
    await acquireLock(state, 'profiles', 'run-1');
    await recordJob(state, profiles, 'run-1', 'JOB1', 'profile-bulk-import', [
      { key: 'a', hash: 'h-a', row: { email: 'a@x.com' } },
    ]);
    const reading = wh.stream('select i from model', [], 2048)[Symbol.asyncIterator]();
    try {
      expect((await reading.next()).done).toBe(false);
      await heartbeat(state, 'profiles', 'run-1');
      await finishJob(state, 'JOB1', 'complete');
      await expect(wh.execute('checkpoint')).resolves.toBeUndefined();
    } finally {
      await reading.return?.();
    }
  });
});
