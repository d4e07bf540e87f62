import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spec } from '../../test/fixtures/specs.ts';
import { openDuckDb } from '../source/duckdb.ts';
import { withModelColumns } from '../source/model-columns.ts';
import type { Warehouse } from '../source/warehouse.ts';
import { ensureStateSchema, stateOf, type State } from '../state/schema.ts';
import { confirmRows } from '../state/snapshot.ts';
import { planSync } from './plan.ts';

let wh: Warehouse;
let state: State;

const profiles = spec({ object: 'profile', properties: ['segment'] }, 'profiles');
profiles.model.relationName = 'main.people';
const orders = spec(
  { object: 'event', metric: 'Placed Order', time: 'ordered_at', value: 'value' },
  'orders',
);
orders.model.relationName = 'main.orders';
const vip = spec({ object: 'list_membership', list: { name: 'VIP' } }, 'vip');
vip.model.relationName = 'main.members';
const vipAfter = spec({ object: 'list_membership', list: { name: 'VIP' }, after: 'profiles' }, 'vip_after');
vipAfter.model.relationName = 'main.members';

beforeEach(async () => {
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'kr-plan-')), 'w.duckdb');
  const instance = await DuckDBInstance.create(file);
  const conn = await instance.connect();
  await conn.run(`
    create table people (id varchar, email varchar, segment varchar);
    insert into people select cast(i as varchar), 'p' || i || '@x.com', 'loyal' from range(1, 251) as t(i);
    create table orders (id varchar, email varchar, ordered_at varchar, value double);
    insert into orders values ('1', 'p1@x.com', '2026-01-01T00:00:00Z', 10), ('2', 'p2@x.com', '2026-01-02T00:00:00Z', 20);
    create table members (id varchar, email varchar);
    insert into members select cast(i as varchar), 'p' || i || '@x.com' from range(1, 151) as t(i);`);
  conn.closeSync();
  instance.closeSync();
  wh = await openDuckDb(file);
  state = stateOf(wh, 'klaviyo_runner');
  await ensureStateSchema(state);
});
afterEach(async () => {
  await wh.close();
});

describe('plan', () => {
  it('names changed events and list removals by key, like other changes', async () => {
    await confirmRows(state, orders, 'run-1', [
      { key: '1', hash: 'stale', row: { id: '1' }, profileId: null },
    ]);
    const planned = await planSync(state, orders);
    expect(planned.counts.changedEvents).toBe(1);
    expect(planned.examples.map((e) => [e.kind, e.key])).toEqual([
      ['changed event', '1'],
      ['create', '2'],
    ]);

    await confirmRows(state, vip, 'run-1', [
      { key: '900', hash: 'h', row: { id: '900', email: 'gone@x.com' }, profileId: 'P900' },
    ]);
    const list = await planSync(state, vip);
    expect(list.examples.find((e) => e.kind === 'remove')).toEqual({
      kind: 'remove',
      key: '900',
      fields: [
        { field: 'id', before: '900', after: null },
        { field: 'email', before: 'gone@x.com', after: null },
      ],
    });
  });

  it("rejects a date property of infinity, which only the column's type tells from text", async () => {
    await wh.execute(`create table renewals as select cast(i as varchar) as id, 'p' || i || '@x.com' as email,
      case when i = 2 then timestamp 'infinity' else timestamp '2026-01-01' + to_days(i) end as renews_at,
      'infinity' as plan_name from range(1, 4) as t(i)`);
    const renewals = spec({ object: 'profile', properties: ['renews_at', 'plan_name'] }, 'renewals');
    renewals.model.relationName = 'main.renewals';
    const planned = await planSync(state, await withModelColumns(wh, renewals));
    expect(planned.counts.send).toBe(2);
    expect(planned.rejected.map((r) => [r.key, r.column])).toEqual([['2', 'renews_at']]);
    expect(planned.rejected[0]!.reason).toContain(
      'property renews_at: "infinity" is a date Klaviyo cannot hold',
    );
  });

  it('counts the requests of an import job: its polls and its import-error read', async () => {
    const planned = await planSync(state, profiles);
    expect(planned.counts.send).toBe(250);
    expect(planned.estimate.requests).toEqual({
      bulk_import_profiles: 1,
      get_bulk_import_profiles_job: 4,
    });
  });

  it('counts the work of an after sync for the rows its upstream is about to confirm', async () => {
    // Person 7's email is broken: the profile sync rejects the row, so member 7 keeps waiting.
    await wh.query(`update people set email = 'broken' where id = '7'`);
    const upstream = await planSync(state, profiles);
    const alone = await planSync(state, vipAfter);
    expect(alone.counts.waitingOnAfter).toBe(150);
    expect(alone.estimate.total).toBe(0);
    const after = await planSync(state, vipAfter, {}, { spec: profiles, plan: upstream });
    // 149 members to look up (100 a request) and add (1,000 a request), on a list found or created by name.
    expect(after.estimate.requests).toEqual({
      get_lists: 1,
      create_list: 1,
      get_profiles: 2,
      add_profiles_to_list: 1,
    });
  });
});
