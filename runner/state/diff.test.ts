import os from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spec } from '../../test/fixtures/specs.ts';
import { confirmChanges } from '../../test/helpers/confirm.ts';
import { emptyState } from '../../test/helpers/duckdb.ts';
import type { Warehouse } from '../source/warehouse.ts';
import { recordChangedEvents } from './changed-events.ts';
import { afterNeverMet, diffCounts, streamChanges, type StreamedChange } from './diff.ts';
import type { State } from './schema.ts';
import { confirmRows, recordRejections } from './snapshot.ts';
import { acquireLock, beginRun, confirmLockHeld, releaseLock } from './runs.ts';
import { jobRows, recordJob } from './jobs.ts';

let wh: Warehouse;
let state: State;

async function all(s: ReturnType<typeof spec>): Promise<StreamedChange[]> {
  const out: StreamedChange[] = [];
  for await (const chunk of streamChanges(state, s, {}, 2)) out.push(...chunk);
  return out;
}

const profiles = spec({ object: 'profile', properties: ['segment'] }, 'profiles');
profiles.model.relationName = 'main.people';

beforeEach(async () => {
  ({ wh, state } = await emptyState('diff'));
  await wh.execute(`
    create table people (id varchar, email varchar, segment varchar);
    insert into people values ('1', 'a@x.com', 'loyal'), ('2', 'b@x.com', 'lost'), ('3', 'c@x.com', 'new'), ('4', 'd@x.com', 'x'), ('4', 'd2@x.com', 'y');
    create table supp (email varchar, is_suppressed boolean, email_consent varchar);
    insert into supp values ('b@x.com', true, 'SUBSCRIBED'), ('c@x.com', false, 'NEVER_SUBSCRIBED');`);
});
afterEach(async () => {
  await wh.close();
});

describe('the in-warehouse diff', () => {
  it('classifies against the snapshot and streams only what needs work', async () => {
    expect(await diffCounts(state, profiles)).toMatchObject({
      create: 3,
      update: 0,
      unchanged: 0,
      remove: 0,
      duplicateKeys: 1,
    });
    const first = await all(profiles);
    expect(first.map((c) => [c.diffKind, c.key]).sort()).toEqual([
      ['create', '1'],
      ['create', '2'],
      ['create', '3'],
      ['duplicate', '4'],
    ]);

    // Confirm 1 and 2, and a row 9 that has since left the model; 2 then changes.
    await confirmRows(state, profiles, 'run-1', [
      ...first
        .filter((c) => c.key === '1' || c.key === '2')
        .map((c) => ({ key: c.key, hash: c.hash!, row: c.row, profileId: `P${c.key}` })),
      { key: '9', hash: 'old', row: { id: '9' }, profileId: 'P9' },
    ]);
    await wh.execute(`update people set segment = 'champions' where id = '2'`);
    expect(await diffCounts(state, profiles)).toMatchObject({
      create: 1,
      update: 1,
      unchanged: 1,
      remove: 1,
    });
    const second = await all(profiles);
    const update = second.find((c) => c.diffKind === 'update')!;
    expect(update).toMatchObject({
      key: '2',
      profileId: 'P2',
      previous: { segment: 'lost' },
      row: { segment: 'champions' },
    });
    expect(second.find((c) => c.diffKind === 'remove')).toMatchObject({
      key: '9',
      row: null,
      profileId: 'P9',
    });
  });

  it('does not resend a row rejected before until it changes', async () => {
    const [row3] = (await all(profiles)).filter((c) => c.key === '3');
    await recordRejections(state, 'run-1', [
      { sync: 'profiles', model: 'm', key: '3', reason: 'bad', hash: row3!.hash, source: 'klaviyo' },
    ]);
    expect(await diffCounts(state, profiles)).toMatchObject({ create: 2, previouslyRejected: 1 });
    await wh.execute(`update people set segment = 'loyal' where id = '3'`);
    expect(await diffCounts(state, profiles)).toMatchObject({ create: 3, previouslyRejected: 0 });
  });

  it('streams a row with a NULL key as such, never as a removal, and confirms nothing for it', async () => {
    await wh.execute(`insert into people values (null, 'n@x.com', 'loyal'), (null, 'm@x.com', 'lost')`);
    const first = await all(profiles);
    await confirmChanges(
      state,
      profiles,
      first.filter((c) => c.diffKind === 'create'),
    );
    expect(await diffCounts(state, profiles)).toMatchObject({
      create: 0,
      remove: 0,
      unchanged: 3,
      nullKeys: 2,
    });
    const nulls = (await all(profiles)).filter((c) => c.diffKind === 'null_key');
    expect(nulls.map((c) => c.row?.email).sort()).toEqual(['m@x.com', 'n@x.com']);
    expect(
      await wh.query(
        `select count(*) as n from klaviyo_runner.snapshot where key is null or key = 'null' or key = ''`,
      ),
    ).toEqual([{ n: '0' }]);
  });

  it('leaves out rows outside scope and rows waiting for their first sync', async () => {
    const list = spec(
      {
        object: 'list_membership',
        list: { name: 'W' },
        after: 'profiles',
        scope: { suppressions: 'supp', exclude: ['suppressed', 'never_consented'] },
      },
      'winback',
    );
    list.model.relationName = 'main.people';
    list.suppressionsRelation = 'main.supp';
    await confirmRows(state, profiles, 'run-1', [{ key: '1', hash: 'h', row: null, profileId: 'P1' }]);
    expect(await diffCounts(state, list)).toMatchObject({ create: 1, skippedByScope: 2, waitingOnAfter: 2 });
    expect((await all(list)).map((c) => [c.key, c.profileId])).toEqual([['1', 'P1']]);
  });

  it('tells rows that wait for an `after` sync no key of the model ever meets from rows that wait their turn', async () => {
    await wh.execute(`
      create table orders (id varchar, email varchar);
      insert into orders values ('101', 'a@x.com'), ('102', 'b@x.com');`);
    const orders = spec({ object: 'list_membership', list: { name: 'O' }, after: 'profiles' }, 'orders');
    orders.model.relationName = 'main.orders';
    const members = spec({ object: 'list_membership', list: { name: 'M' }, after: 'profiles' }, 'members');
    members.model.relationName = 'main.people';
    // Nothing confirmed yet: every row waits for the first run of `profiles`, which is no fault.
    expect(await afterNeverMet(state, orders)).toBeNull();
    await confirmRows(state, profiles, 'run-1', [
      { key: '1', hash: 'h', row: null, profileId: 'P1' },
      { key: '2', hash: 'h', row: null, profileId: 'P2' },
    ]);
    // Keyed by an order's id, the rows never meet the customers' keys `profiles` confirmed.
    expect(await afterNeverMet(state, orders)).toBe(2);
    // Some keys met: the rest wait for their own profile.
    expect(await afterNeverMet(state, members)).toBeNull();
    expect(await afterNeverMet(state, profiles)).toBeNull();
  });

  it('matches scope and consent on the email as the runner sends it, not as the model spells it', async () => {
    // Each of these is sent as sN@x.com (normalizeEmail): tab, newline, no-break space and
    // byte-order mark around it, a mailto: prefix, upper case. The suppressions model says each
    // is unsubscribed, so none may be written; s7 is subscribed and stays.
    await wh.execute(`
      create table variants (id varchar, email varchar);
      insert into variants values
        ('1', 's1@x.com' || chr(9)), ('2', 'mailto:s2@x.com'), ('3', chr(160) || 's3@x.com'),
        ('4', ' MAILTO:S4@X.COM '), ('5', 's5@x.com' || chr(10)), ('6', chr(65279) || 's6@x.com' || chr(13)),
        ('7', 's7@x.com' || chr(9));
      create table unsubscribed (email varchar, is_suppressed boolean, email_consent varchar);
      insert into unsubscribed
        select 's' || i || '@x.com', false, 'UNSUBSCRIBED' from range(1, 7) t(i)
        union all select chr(9) || 'S7@x.com', false, 'SUBSCRIBED';`);
    const scoped = spec(
      {
        object: 'list_membership',
        list: { name: 'W' },
        subscribe: { channels: ['email'], consent: 'id' },
        scope: { suppressions: 'unsubscribed', exclude: ['unsubscribed'] },
      },
      'scoped',
    );
    scoped.model.relationName = 'main.variants';
    scoped.suppressionsRelation = 'main.unsubscribed';
    expect(await diffCounts(state, scoped)).toMatchObject({ create: 1, skippedByScope: 6 });
    const [kept] = await all(scoped);
    expect(kept).toMatchObject({ key: '7', row: { $email_consent: 'SUBSCRIBED' } });
  });

  it('reports changed events instead of resending them', async () => {
    const events = spec({ object: 'event', metric: 'M', time: 'segment' }, 'events');
    events.model.relationName = "(select * from main.people where id <> '4')";
    const first = await all(events);
    await confirmChanges(state, events, first);
    await wh.execute(`update people set email = 'new@x.com' where id = '1'`);
    expect(await diffCounts(state, events)).toMatchObject({ create: 0, unchanged: 2, changedEvents: 1 });
    // Reported once under its hash: counted on, never read out again until the row changes again.
    const [changed] = await all(events);
    expect(changed).toMatchObject({ key: '1', diffKind: 'changed_event' });
    await recordChangedEvents(state, events, 'run-1', [{ key: '1', hash: changed!.hash! }]);
    expect(await diffCounts(state, events)).toMatchObject({ changedEvents: 1, changedEventsReported: 1 });
    expect(await all(events)).toEqual([]);
    await wh.execute(`update people set email = 'newer@x.com' where id = '1'`);
    expect(await diffCounts(state, events)).toMatchObject({ changedEvents: 1, changedEventsReported: 0 });
    const [again] = await all(events);
    expect(again).toMatchObject({ key: '1', diffKind: 'changed_event' });
    // A key keeps its latest hash alone.
    await recordChangedEvents(state, events, 'run-2', [{ key: '1', hash: again!.hash! }]);
    expect(await wh.query(`select run_id from ${state.table('changed_events')}`)).toEqual([
      { run_id: 'run-2' },
    ]);
    expect(await all(events)).toEqual([]);
  });

  it('lets only one run hold a sync', async () => {
    await acquireLock(state, 'profiles', 'run-a');
    await expect(acquireLock(state, 'profiles', 'run-b')).rejects.toThrow(
      /Sync `profiles` is being run by run run-a/,
    );
    await releaseLock(state, 'profiles', 'run-a');
    await expect(acquireLock(state, 'profiles', 'run-b')).resolves.toBeUndefined();
  });

  it('gives the lock to the earlier of two runs that both found the sync free', async () => {
    // Both inserted: run-b first, run-a a moment later (a warehouse without unique constraints).
    const lock = (run: string, at: string) =>
      wh.execute(
        `insert into klaviyo_runner.locks values ('profiles', '${run}', 'elsewhere:1', '${at}', ${state.wh.dialect.nowUtc})`,
      );
    await lock('run-b', '2026-01-01 00:00:00');
    await lock('run-a', '2026-01-01 00:00:01');
    await expect(confirmLockHeld(state, 'profiles', 'run-a')).rejects.toThrow(
      /Sync `profiles` is being run by run run-b/,
    );
    // The loser took its row back; the winner keeps the sync.
    await expect(confirmLockHeld(state, 'profiles', 'run-b')).resolves.toBeUndefined();
    expect(await wh.query(`select run_id from klaviyo_runner.locks`)).toEqual([{ run_id: 'run-b' }]);
  });

  it('takes over the lock of a run whose process is gone, marking that run abandoned', async () => {
    await beginRun(state, 'run-dead', 'sync');
    // A pid no process has: the run was killed with SIGKILL.
    await wh.execute(
      `insert into klaviyo_runner.locks values ('profiles', 'run-dead', '${os.hostname()}:2147483646', ${state.wh.dialect.nowUtc}, ${state.wh.dialect.nowUtc})`,
    );
    await expect(acquireLock(state, 'profiles', 'run-new')).resolves.toBeUndefined();
    expect(await wh.query(`select run_id from klaviyo_runner.locks`)).toEqual([{ run_id: 'run-new' }]);
    expect(await wh.query(`select status from klaviyo_runner.runs where run_id = 'run-dead'`)).toEqual([
      { status: 'abandoned' },
    ]);
  });
});

describe('recorded import jobs', () => {
  it('give back their rows with what the snapshot held before, so a resumed job can clear properties', async () => {
    await confirmRows(state, profiles, 'run-1', [
      { key: '1', hash: 'h1', row: { id: '1', email: 'a@x.com', segment: 'loyal' }, profileId: 'P1' },
    ]);
    await recordJob(state, profiles, 'run-2', 'JOB-1', 'profile-bulk-import', [
      { key: '1', hash: 'h1b', row: { id: '1', email: 'a@x.com', segment: null } },
      { key: '3', hash: 'h3', row: { id: '3', email: 'c@x.com', segment: 'new' } },
    ]);
    const rows = await jobRows(state, 'JOB-1');
    expect(rows.sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      {
        key: '1',
        hash: 'h1b',
        row: { id: '1', email: 'a@x.com', segment: null },
        previous: { id: '1', email: 'a@x.com', segment: 'loyal' },
        profileId: 'P1',
      },
      {
        key: '3',
        hash: 'h3',
        row: { id: '3', email: 'c@x.com', segment: 'new' },
        previous: null,
        profileId: null,
      },
    ]);
  });
});
