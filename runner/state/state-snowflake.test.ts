/**
 * The state module on Snowflake: its statements run on the emulator through the real driver, and
 * every statement it sends is recorded and checked for what the emulator (DuckDB underneath)
 * forgives but Snowflake does not: a quoted lower-case name, which never matches a column our DDL
 * created, and a correlated subquery in an UPDATE's SET.
 */
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../test/helpers/emulator.ts';
import { spec } from '../../test/fixtures/specs.ts';
import { confirmChanges } from '../../test/helpers/confirm.ts';
import { withModelColumns } from '../source/model-columns.ts';
import { openSnowflake } from '../source/snowflake.ts';
import type { Warehouse } from '../source/warehouse.ts';
import { ensureStateSchema, stateOf, type State } from './schema.ts';
import { confirmRows, rebaselineRows, recordRejections } from './snapshot.ts';
import { acquireLock, beginRun, heartbeat, releaseLock } from './runs.ts';
import { finishJob, recordJob } from './jobs.ts';
import { recordChangedEvents } from './changed-events.ts';
import { diffCounts, streamChanges, type StreamedChange } from './diff.ts';
import {
  erasedIdentifiers,
  forgetErased,
  identifierHash,
  readDeletions,
  recordDeletions,
} from './deletions.ts';

let emulator: Emulator;
let wh: Warehouse;
let state: State;
const statements: string[] = [];

/** Every quoted identifier Snowflake would resolve differently from the unquoted name our DDL uses. */
function caseMismatches(sql: string): string[] {
  return [...sql.matchAll(/"((?:[^"]|"")*)"/g)]
    .map((m) => m[1]!)
    .filter((name) => /^[A-Za-z_][A-Za-z0-9_$]*$/.test(name) && name !== name.toUpperCase());
}

beforeAll(async () => {
  emulator = await startEmulator();
  const real = await openSnowflake({
    type: 'snowflake',
    account: 'emulator',
    user: 'loader',
    auth: { method: 'password', password: 'unused' },
    database: 'ANALYTICS',
    schema: 'PUBLIC',
    accessUrl: emulator.url,
  });
  const record = (sql: string) => statements.push(sql);
  wh = {
    ...real,
    query: (sql, params) => (record(sql), real.query(sql, params)),
    execute: (sql, params) => (record(sql), real.execute(sql, params)),
    stream: (sql, params, size) => (record(sql), real.stream(sql, params, size)),
    insertRows: (table, columns, rows) => {
      record(`insert into ${table} (${columns.map((c) => real.dialect.ident(c)).join(', ')})`);
      return real.insertRows(table, columns, rows);
    },
  };
  state = stateOf(wh, 'klaviyo_runner');
  await ensureStateSchema(state);
});
afterAll(async () => {
  await wh?.close();
  await emulator?.stop();
});

const profiles = spec({ object: 'profile', properties: ['segment'] }, 'profiles');

describe('state on Snowflake', () => {
  it('holds a live lock: another run is refused while the holder beats', async () => {
    await beginRun(state, 'run-a', 'sync');
    await acquireLock(state, 'profiles', 'run-a');
    // The driver returns TIMESTAMP columns as Date objects; the age must still be right.
    await expect(acquireLock(state, 'profiles', 'run-b')).rejects.toThrow(
      /^Sync `profiles` is being run by run run-a \(last seen \d+ s ago\)/,
    );
    const [run] = await wh.query(`select status from ${state.table('runs')} where run_id = 'run-a'`);
    expect(run).toEqual({ status: 'running' });
    await releaseLock(state, 'profiles', 'run-a');
  });

  it('beats a lock and finishes a job by writing their rows again', async () => {
    await acquireLock(state, 'orders', 'run-c');
    const lock = () =>
      wh.query(
        `select run_id, acquired_at, heartbeat_at >= acquired_at as kept from ${state.table('locks')} where sync = 'orders'`,
      );
    const taken = await lock();
    await heartbeat(state, 'orders', 'run-c');
    expect(await lock()).toEqual(taken);
    expect(taken).toEqual([expect.objectContaining({ run_id: 'run-c', kept: true })]);
    await releaseLock(state, 'orders', 'run-c');

    await recordJob(state, profiles, 'run-c', 'JOB-S', 'profile-bulk-import', [
      { key: 'k', hash: 'h', row: { email: 'k@x.com' } },
    ]);
    await finishJob(state, 'JOB-S', 'failed');
    expect(
      await wh.query(
        `select status, finished_at is not null as finished from ${state.table('jobs')} where job_id = 'JOB-S'`,
      ),
    ).toEqual([{ status: 'failed', finished: true }]);
    expect(await wh.query(`select key from ${state.table('job_rows')} where job_id = 'JOB-S'`)).toEqual([]);
  });

  it('takes over a lock silent for longer than the stale limit', async () => {
    await wh.execute(
      `insert into ${state.table('locks')} (sync, run_id, holder, acquired_at, heartbeat_at)
       values ('profiles', 'run-old', '${os.hostname()}:${process.pid}', dateadd(hour, -2, sysdate()), dateadd(hour, -2, sysdate()))`,
    );
    await acquireLock(state, 'profiles', 'run-new');
    expect(await wh.query(`select run_id from ${state.table('locks')} where sync = 'profiles'`)).toEqual([
      { run_id: 'run-new' },
    ]);
    await releaseLock(state, 'profiles', 'run-new');
  });

  it('keeps a profile id learnt earlier when a later confirmation learns none', async () => {
    const row = { id: '1', email: 'a@x.com', segment: 'loyal' };
    await confirmRows(state, profiles, 'run-1', [{ key: '1', hash: 'h1', row, profileId: 'P1' }]);
    await confirmRows(state, profiles, 'run-2', [
      { key: '1', hash: 'h2', row: { ...row, segment: 'lost' }, profileId: null },
      { key: '2', hash: 'h3', row: { ...row, id: '2' }, profileId: null },
    ]);
    expect(
      await wh.query(
        `select key, row_hash, klaviyo_profile_id from ${state.table('snapshot')} where sync = 'profiles' order by key`,
      ),
    ).toEqual([
      { key: '1', row_hash: 'h2', klaviyo_profile_id: 'P1' },
      { key: '2', row_hash: 'h3', klaviyo_profile_id: null },
    ]);
  });

  it("re-baselines a row's hash and text, keeping its profile id and confirmation", async () => {
    const row = { id: '7', email: 'g@x.com', segment: 'loyal' };
    await confirmRows(state, profiles, 'run-7', [{ key: '7', hash: 'h7', row, profileId: 'P7' }]);
    await rebaselineRows(state, profiles, [
      { key: '7', hash: 'h7b', json: '{"id":"7","email":"g@x.com","segment":"loyal"}' },
    ]);
    expect(
      await wh.query(
        `select key, row_hash, row_json, klaviyo_profile_id, run_id from ${state.table('snapshot')} where sync = 'profiles' and key = '7'`,
      ),
    ).toEqual([
      {
        key: '7',
        row_hash: 'h7b',
        row_json: '{"id":"7","email":"g@x.com","segment":"loyal"}',
        klaviyo_profile_id: 'P7',
        run_id: 'run-7',
      },
    ]);
  });

  it('records many rejected rows in a few array-bound statements, not row by row', async () => {
    const before = statements.length;
    const rejections = Array.from({ length: 60 }, (_, i) => ({
      sync: 'profiles',
      model: 'people',
      key: `K${i}`,
      hash: `h${i}`,
      column: 'email',
      reason: 'not an email',
      source: 'runner' as const,
    }));
    await recordRejections(state, 'run-3', rejections);
    const [n] = await wh.query(`select count(*) as n from ${state.table('rejected')} where run_id = 'run-3'`);
    expect(Number(n!.n)).toBe(60);
    // Stage insert, begin, delete, rejected insert, commit, stage clean-up: the same count for
    // 10,000 rows (fakesnow runs an array bind row by row, so the emulator gets fewer here).
    expect(statements.length - before).toBeLessThan(12);
  }, 300_000);

  it('records a submitted job with its rows', async () => {
    await recordJob(state, profiles, 'run-4', 'JOB-1', 'profile-bulk-import', [
      { key: '1', hash: 'h1', row: { id: '1' } },
    ]);
    const [job] = await wh.query(
      `select job_id, status, submitted_at from ${state.table('jobs')} where job_id = 'JOB-1'`,
    );
    expect(job).toMatchObject({ job_id: 'JOB-1', status: 'submitted' });
    expect(String(job!.submitted_at)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
  });

  it('records deletions and removes an erased person from the other syncs', async () => {
    const people = spec({ object: 'profile', identity: { email: 'email' } }, 'people');
    await confirmRows(state, people, 'run-5', [
      { key: 'p1', hash: 'h1', row: { id: 'p1', email: 'gone@x.com' }, profileId: null },
      { key: 'p2', hash: 'h2', row: { id: 'p2', email: 'kept@x.com' }, profileId: null },
    ]);
    const gone = identifierHash('email', 'gone@x.com');
    await recordDeletions(state, 'erase', 'run-5', [
      { key: 'r1', identifier: 'email', hash: gone, status: 'pending' },
    ]);
    await recordDeletions(state, 'erase', 'run-5', [
      { key: 'r1', identifier: 'email', hash: gone, status: 'requested' },
    ]);
    expect(await readDeletions(state)).toEqual(new Map([[gone, 'requested']]));
    expect(await forgetErased(state, 'erase', 'run-5', [people])).toEqual(new Map([['people', 1]]));
    expect(await wh.query(`select key from ${state.table('snapshot')} where sync = 'people'`)).toEqual([
      { key: 'p2' },
    ]);
    expect(await erasedIdentifiers(state)).toEqual(new Set([gone]));
  }, 300_000);

  it("reads a changed row's text back whatever its key and profile id hold", async () => {
    // The one statement Snowflake reads (diff-statements.ts, oneStatement) writes each row as
    // change-line.ts lays it out; keys and ids with its separators, quotes and backslashes survive.
    const keys = ['unit\u001fsep', 'record\u001esep', 'quote " back\\slash', '{"k":"x"}', '😀'];
    const people = spec({ object: 'profile', properties: ['note'] }, 'hostile_keys');
    people.model.relationName = 'ANALYTICS.PUBLIC.HOSTILE_PEOPLE';
    await wh.execute(
      'create or replace table ANALYTICS.PUBLIC.HOSTILE_PEOPLE (id varchar, email varchar, note varchar)',
    );
    for (const [i, key] of keys.entries())
      await wh.execute('insert into ANALYTICS.PUBLIC.HOSTILE_PEOPLE values (?, ?, ?)', [
        key,
        `p${i}@x.com`,
        `n${i}`,
      ]);
    const read = async () => {
      const out: StreamedChange[] = [];
      for await (const chunk of streamChanges(state, people)) out.push(...chunk);
      return out;
    };
    const first = await read();
    expect(first.map((c) => c.key).sort()).toEqual([...keys].sort());
    for (const c of first) expect(c).toMatchObject({ kind: 'create', row: { id: c.key }, previous: null });
    await confirmChanges(state, people, first, (key) => `01\u001f"${key}`);
    await wh.execute('update ANALYTICS.PUBLIC.HOSTILE_PEOPLE set note = ? where id = ?', [
      'changed',
      keys[1],
    ]);
    expect(await read()).toMatchObject([
      {
        kind: 'update',
        key: keys[1],
        profileId: `01\u001f"${keys[1]}`,
        previous: { note: 'n1' },
        row: { note: 'changed' },
      },
    ]);
  });

  it('counts an event reported changed after sending without reading it again', async () => {
    const orders = spec({ object: 'event', metric: 'Placed Order', time: 'segment' }, 'changed_orders');
    orders.model.relationName = 'ANALYTICS.PUBLIC.CHANGED_ORDERS';
    await wh.execute(
      'create or replace table ANALYTICS.PUBLIC.CHANGED_ORDERS (id varchar, email varchar, segment varchar)',
    );
    await wh.execute(
      `insert into ANALYTICS.PUBLIC.CHANGED_ORDERS values ('o1', 'a@x.com', '2025-01-01'), ('o2', 'b@x.com', '2025-01-02')`,
    );
    const read = async () => {
      const out: StreamedChange[] = [];
      for await (const chunk of streamChanges(state, orders)) out.push(...chunk);
      return out;
    };
    await confirmChanges(state, orders, await read());
    await wh.execute(`update ANALYTICS.PUBLIC.CHANGED_ORDERS set email = 'c@x.com' where id = 'o1'`);
    const [changed] = await read();
    expect(changed).toMatchObject({ key: 'o1', diffKind: 'changed_event' });
    await recordChangedEvents(state, orders, 'run-1', [{ key: 'o1', hash: changed!.hash! }]);
    expect(await diffCounts(state, orders)).toMatchObject({ changedEvents: 1, changedEventsReported: 1 });
    expect(await read()).toEqual([]);
  });

  it('reads a FLOAT holding NaN or an infinity as that number, and the snapshot keeps its text', async () => {
    const readings = spec({ object: 'profile', properties: ['level'] }, 'readings');
    readings.model.relationName = 'ANALYTICS.PUBLIC.READINGS';
    await wh.execute(
      `create or replace table ANALYTICS.PUBLIC.READINGS as
       select column1 as id, column2 as email, column3::float as level
       from values ('1', 'a@x.com', 'NaN'), ('2', 'b@x.com', 'inf'), ('3', 'c@x.com', '-inf'), ('4', 'd@x.com', '2.5')`,
    );
    const read = async () => {
      const out: StreamedChange[] = [];
      for await (const chunk of streamChanges(state, readings)) out.push(...chunk);
      return out;
    };
    const first = await read();
    expect(Object.fromEntries(first.map((c) => [c.key, c.row?.level]))).toEqual({
      '1': NaN,
      '2': Infinity,
      '3': -Infinity,
      '4': 2.5,
    });
    await confirmChanges(state, readings, first, () => null);
    expect(await read()).toEqual([]);
  });

  it('leaves out of scope the emails the runner would send as suppressed ones, however the model spells them', async () => {
    // Tab, newline, no-break space, mailto: and upper case: each sent as sN@x.com, each unsubscribed.
    // (Without `subscribe`: the emulator reads its '$email_consent' field name as a session variable.)
    const scoped = spec(
      {
        object: 'list_membership',
        list: { name: 'W' },
        scope: { suppressions: 'variant_suppressions', exclude: ['unsubscribed'] },
      },
      'scoped_variants',
    );
    scoped.model.relationName = 'ANALYTICS.PUBLIC.VARIANT_PEOPLE';
    scoped.suppressionsRelation = 'ANALYTICS.PUBLIC.VARIANT_SUPPRESSIONS';
    await wh.execute(
      `create or replace table ANALYTICS.PUBLIC.VARIANT_PEOPLE as
       select column1 as id, column2 as email from values
         ('1', 's1@x.com' || chr(9)), ('2', 'mailto:s2@x.com'), ('3', chr(160) || 's3@x.com'),
         ('4', ' MAILTO:S4@X.COM '), ('5', 's5@x.com' || chr(10)), ('6', 's6@x.com' || chr(9))`,
    );
    await wh.execute(
      `create or replace table ANALYTICS.PUBLIC.VARIANT_SUPPRESSIONS as
       select column1 as email, false as is_suppressed, column2 as email_consent from values
         ('s1@x.com', 'UNSUBSCRIBED'), ('s2@x.com', 'UNSUBSCRIBED'), ('s3@x.com', 'UNSUBSCRIBED'),
         ('s4@x.com', 'UNSUBSCRIBED'), ('s5@x.com', 'UNSUBSCRIBED'), (chr(9) || 'S6@x.com', 'SUBSCRIBED')`,
    );
    const out: StreamedChange[] = [];
    for await (const chunk of streamChanges(state, scoped)) out.push(...chunk);
    expect(out.map((c) => c.key)).toEqual(['6']);
  });

  it('never refers to a column with another quoting than the DDL created it with', () => {
    expect(statements.length).toBeGreaterThan(20);
    expect(statements.flatMap(caseMismatches)).toEqual([]);
    expect(caseMismatches('insert into t ("run_id")')).toEqual(['run_id']);
  });

  it('never updates through a correlated subquery in SET', () => {
    const updates = statements.filter((s) => /^\s*update\b/i.test(s));
    expect(updates.length).toBeGreaterThan(0);
    expect(updates.filter((s) => /\bset\b[^;]*=\s*\(\s*select\b/is.test(s))).toEqual([]);
  });

  it('names the columns a model created quoted in mixed or lower case as Snowflake stored them', async () => {
    // `select … as "firstName"` keeps that case in Snowflake, which reads an unquoted firstName as
    // FIRSTNAME (https://docs.snowflake.com/en/sql-reference/identifiers-syntax); the emulator
    // matches either, so what Snowflake would resolve is checked on the statements sent.
    const people = spec(
      {
        object: 'profile',
        identity: { email: 'Email', external_id: 'id' },
        attributes: { first_name: 'firstName' },
        properties: ['tier'],
      },
      'quoted_columns',
    );
    people.model.relationName = 'ANALYTICS.PUBLIC.QUOTED_PEOPLE';
    await wh.execute(
      `create or replace table ANALYTICS.PUBLIC.QUOTED_PEOPLE as
       select column1 as id, column2 as "Email", column3 as "firstName", column4 as "tier"
       from values ('1', 'a@x.com', 'Zoë', 'gold')`,
    );
    const from = statements.length;
    const out: StreamedChange[] = [];
    for await (const chunk of streamChanges(state, await withModelColumns(wh, people))) out.push(...chunk);
    expect(out).toMatchObject([
      { kind: 'create', row: { Email: 'a@x.com', firstName: 'Zoë', tier: 'gold' } },
    ]);
    const stored = new Set(['ID', 'Email', 'firstName', 'tier']);
    const synced = new Set(['id', 'email', 'firstname', 'tier']);
    // Snowflake folds an unquoted name to upper case and keeps a quoted one as written.
    const resolved = statements
      .slice(from)
      .flatMap((sql) =>
        [...sql.matchAll(/\bm2?\.("(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*)/g)].map((m) => m[1]!),
      )
      .filter((name) => synced.has(name.replaceAll('"', '').toLowerCase()))
      .map((name) => (name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name.toUpperCase()));
    expect(resolved.length).toBeGreaterThan(0);
    expect(resolved.filter((name) => !stored.has(name))).toEqual([]);
  });
});
