/**
 * Confirming rows into the snapshot on DuckDB, from staged rows and from an import job's recorded
 * rows: the same snapshot either way, and only what the job holds.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spec } from '../../test/fixtures/specs.ts';
import { emptyState } from '../../test/helpers/duckdb.ts';
import type { Warehouse } from '../source/warehouse.ts';
import { finishJob, recordJob } from './jobs.ts';
import type { State } from './schema.ts';
import { confirmRows, rebaselineRows } from './snapshot.ts';

let wh: Warehouse;
let state: State;
const profiles = spec({ object: 'profile', identity: { email: 'email' } }, 'profiles');

beforeEach(async () => {
  ({ wh, state } = await emptyState('snapshot'));
});
afterEach(async () => {
  await wh?.close();
});

const snapshot = () =>
  wh.query(
    `select key, row_hash, row_json, klaviyo_profile_id from klaviyo_runner.snapshot where sync = 'profiles' order by key`,
  );

const rows = [
  { key: 'a', hash: 'h-a', row: { email: 'a@x.com', note: 'quote " and 😀' } },
  { key: 'b', hash: 'h-b', row: { email: 'b@x.com', note: null } },
];

describe('confirmRows', () => {
  it("takes an import job's rows from the job's record, as staging them would", async () => {
    await confirmRows(
      state,
      profiles,
      'run-1',
      rows.map((r) => ({ ...r, profileId: null, isNew: true })),
    );
    const staged = await snapshot();
    await wh.execute(`delete from klaviyo_runner.snapshot`);

    await recordJob(state, profiles, 'run-1', 'JOB1', 'profile-bulk-import', rows);
    // The row objects are not read: the job's record is.
    await confirmRows(
      state,
      profiles,
      'run-1',
      rows.map((r) => ({ key: r.key, hash: r.hash, row: null, profileId: null, isNew: true })),
      ['JOB1'],
    );
    expect(await snapshot()).toEqual(staged);
    expect(staged.map((r) => r.row_json)).toEqual(rows.map((r) => JSON.stringify(r.row)));
  });

  it("replaces a key's snapshot row, keeps its profile id, and confirms nothing the job does not hold", async () => {
    await confirmRows(state, profiles, 'run-1', [
      { key: 'a', hash: 'old', row: { email: 'old@x.com' }, profileId: 'P-A', isNew: true },
    ]);
    await recordJob(state, profiles, 'run-2', 'JOB2', 'profile-bulk-import', [rows[0]!]);
    await confirmRows(
      state,
      profiles,
      'run-2',
      [
        { key: 'a', hash: 'h-a', row: null, profileId: null },
        // Not a row of JOB2 (a person erased while the job ran): it does not enter the snapshot.
        { key: 'c', hash: 'h-c', row: null, profileId: null },
      ],
      ['JOB2'],
    );
    await finishJob(state, 'JOB2', 'complete');
    expect(await snapshot()).toEqual([
      { key: 'a', row_hash: 'h-a', row_json: JSON.stringify(rows[0]!.row), klaviyo_profile_id: 'P-A' },
    ]);
    expect(await wh.query(`select * from ${state.table('stage')}`)).toEqual([]);
  });
});

describe('rebaselineRows', () => {
  it('gives a row its new hash and text, keeping its profile id and when and by which run Klaviyo confirmed it', async () => {
    await confirmRows(state, profiles, 'run-1', [
      { key: 'a', hash: 'h-a', row: { email: 'a@x.com', ltv: 12.5 }, profileId: 'P-A', isNew: true },
      { key: 'b', hash: 'h-b', row: { email: 'b@x.com', ltv: 3 }, profileId: null, isNew: true },
    ]);
    const confirmedAt = async () =>
      await wh.query(
        `select key, cast(confirmed_at as varchar) as at, run_id from klaviyo_runner.snapshot order by key`,
      );
    const before = await confirmedAt();
    await rebaselineRows(state, profiles, [
      { key: 'a', hash: 'h-a2', json: '{"email":"a@x.com","ltv":12.5000}' },
      // A key the snapshot does not hold gains no row.
      { key: 'z', hash: 'h-z', json: '{"email":"z@x.com"}' },
    ]);
    expect(await snapshot()).toEqual([
      {
        key: 'a',
        row_hash: 'h-a2',
        row_json: '{"email":"a@x.com","ltv":12.5000}',
        klaviyo_profile_id: 'P-A',
      },
      { key: 'b', row_hash: 'h-b', row_json: '{"email":"b@x.com","ltv":3}', klaviyo_profile_id: null },
    ]);
    expect(await confirmedAt()).toEqual(before);
    // Again with the same hash: nothing changes, and no row is doubled.
    await rebaselineRows(state, profiles, [
      { key: 'a', hash: 'h-a2', json: '{"email":"a@x.com","ltv":12.5000}' },
    ]);
    expect((await snapshot()).map((r) => [r.key, r.row_hash])).toEqual([
      ['a', 'h-a2'],
      ['b', 'h-b'],
    ]);
    expect(await wh.query(`select * from ${state.table('stage')}`)).toEqual([]);
  });
});
