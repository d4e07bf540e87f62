/**
 * The deletions state on DuckDB: an identifier's furthest status wins whoever recorded it, and an
 * erased person leaves every other sync's state, followed through the identifiers found beside
 * theirs, while the state keeps only hashes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spec } from '../../test/fixtures/specs.ts';
import { emptyState } from '../../test/helpers/duckdb.ts';
import type { Warehouse } from '../source/warehouse.ts';
import { recordConfig } from './configs.ts';
import {
  erasedIdentifiers,
  forgetErased,
  identifierHash,
  readDeletions,
  recordDeletions,
} from './deletions.ts';
import type { State } from './schema.ts';
import { confirmRows, recordRejections } from './snapshot.ts';

let wh: Warehouse;
let state: State;

// Profiles carry email and phone; events carry only the email.
const profiles = spec({ object: 'profile', identity: { email: 'email', phone_number: 'phone' } }, 'profiles');
const events = spec(
  { object: 'event', identity: { email: 'email' }, metric: 'Placed Order', time: 'at' },
  'orders',
);

beforeEach(async () => {
  ({ wh, state } = await emptyState('deletions'));
});
afterEach(async () => {
  await wh?.close();
});

describe('the deletions state', () => {
  it('gives each identifier the furthest status any deletion row recorded, and never a linked one', async () => {
    const a = identifierHash('email', 'a@x.com');
    const b = identifierHash('email', 'b@x.com');
    const c = identifierHash('email', 'c@x.com');
    await recordDeletions(state, 'erase', 'run-1', [
      { key: 'r1', identifier: 'email', hash: a, status: 'pending' },
      { key: 'r2', identifier: 'email', hash: b, status: 'pending' },
      { key: 'profiles/9', identifier: 'email', hash: c, status: 'linked' },
    ]);
    await recordDeletions(state, 'erase', 'run-2', [
      { key: 'r1', identifier: 'email', hash: a, status: 'requested' },
    ]);
    await recordDeletions(state, 'other_erase', 'run-2', [
      { key: 'x', identifier: 'email', hash: b, status: 'nothing_to_erase' },
    ]);
    expect(await readDeletions(state)).toEqual(
      new Map([
        [a, 'requested'],
        [b, 'nothing_to_erase'],
      ]),
    );
    expect(await erasedIdentifiers(state)).toEqual(new Set([a, b, c]));
    expect(
      await wh.query(`select cast(count(*) as integer) as n from klaviyo_runner.deletions where key = 'r1'`),
    ).toEqual([{ n: 1 }]);
  });

  it('removes an erased person from the other syncs, following the identifiers beside theirs', async () => {
    const row = (id: string, email: string, phone: string | null) => ({ id, email, phone });
    await confirmRows(state, profiles, 'run-0', [
      { key: '1', hash: 'h1', row: row('1', 'ann@x.com', '(415) 555-0101'), profileId: null },
      { key: '2', hash: 'h2', row: row('2', 'bob@x.com', null), profileId: null },
    ]);
    await confirmRows(state, events, 'run-0', [
      { key: 'o1', hash: 'e1', row: { id: 'o1', email: 'ANN@x.com ', at: '2025-01-01' }, profileId: null },
      { key: 'o2', hash: 'e2', row: { id: 'o2', email: 'bob@x.com', at: '2025-01-02' }, profileId: null },
    ]);
    await recordRejections(state, 'run-0', [
      { sync: 'orders', model: 'm', key: 'o1', reason: 'bad value', hash: 'e1', source: 'runner' },
    ]);
    await recordConfig(state, profiles, 'run-0');
    // Ann is erased by her phone alone; her orders carry only her email.
    await recordDeletions(state, 'erase', 'run-1', [
      {
        key: 'r1',
        identifier: 'phone_number',
        hash: identifierHash('phone_number', '+14155550101'),
        status: 'requested',
      },
    ]);

    const removed = await forgetErased(state, 'erase', 'run-1', [profiles, events]);
    expect(removed).toEqual(
      new Map([
        ['profiles', 1],
        ['orders', 1],
      ]),
    );
    expect(await wh.query(`select sync, key from klaviyo_runner.snapshot order by sync, key`)).toEqual([
      { sync: 'orders', key: 'o2' },
      { sync: 'profiles', key: '2' },
    ]);
    expect(await wh.query(`select cast(count(*) as integer) as n from klaviyo_runner.rejected`)).toEqual([
      { n: 0 },
    ]);
    const linked = await wh.query(
      `select key, identifier, status, forgotten_at is not null as done from klaviyo_runner.deletions where status = 'linked'`,
    );
    expect(linked).toEqual([{ key: 'profiles/1', identifier: 'email', status: 'linked', done: true }]);
    expect(await erasedIdentifiers(state)).toContain(identifierHash('email', 'ann@x.com'));
    expect(JSON.stringify(await wh.query(`select * from klaviyo_runner.deletions`))).not.toContain(
      'ann@x.com',
    );

    // Done once: a later run finds nothing open and removes nothing more.
    expect(await forgetErased(state, 'erase', 'run-2', [profiles, events])).toEqual(new Map());
  });
});
