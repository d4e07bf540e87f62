/**
 * A column that changes type and not value (DECIMAL(18,2) → DECIMAL(18,4), INTEGER → DOUBLE, text
 * → TIMESTAMP of the same instant) changes the warehouse's JSON text of every row, and so its
 * hash, while what Klaviyo would receive is the same. End to end on real dbt and DuckDB, with the
 * real CLI against the sandbox over HTTP: such a change sends nothing and reports nothing changed,
 * in `sync` and in `plan`, on that run and the next; a change of value afterwards is an update of
 * the profile, and an event reported changed after sending, as before.
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../runner/sandbox/server.ts';
import { runCli, runDbt, scratchProject } from './helpers/dbt.ts';
import { queryDuckDb } from './helpers/duckdb.ts';
import { writesSince } from './helpers/sandbox.ts';

/**
 * Two customers and three orders. `money`, `count` and `time` are the columns' types; `ltv_c1`
 * and `amount_o1` two values a later build changes.
 */
const PROJECT = {
  'models/customers.sql': `select
  customer_id,
  email,
  first_name,
  cast(ltv as {{ var('money', 'decimal(18,2)') }}) as ltv,
  cast(orders_count as {{ var('count', 'integer') }}) as orders_count,
  cast(first_order_at as {{ var('time', 'varchar') }}) as first_order_at
from (values
  ('C1', 'ann@example.com', 'Ann', {{ var('ltv_c1', '120.50') }}, 2, '2025-03-01 10:00:00'),
  ('C2', 'bob@example.com', 'Bob', 80.25, 1, '2025-04-02 11:30:00')
) as t(customer_id, email, first_name, ltv, orders_count, first_order_at)
`,
  'models/orders.sql': `select
  order_id,
  email,
  cast(ordered_at as {{ var('time', 'varchar') }}) as ordered_at,
  cast(amount as {{ var('money', 'decimal(18,2)') }}) as amount,
  json_object('Items', json_array(json_object(
    'ProductName', product, 'SKU', sku,
    'Quantity', cast(quantity as {{ var('count', 'integer') }}),
    'ItemPrice', cast(amount as {{ var('money', 'decimal(18,2)') }})
  ))) as properties
from (values
  ('O1', 'ann@example.com', '2025-03-01 10:00:00', {{ var('amount_o1', '12.50') }}, 'Wool Cap', 'CAP-1', 1),
  ('O2', 'ann@example.com', '2025-05-06 09:15:00', 40.00, 'Scarf', 'SCF-1', 1),
  ('O3', 'bob@example.com', '2025-04-02 11:30:00', 80.25, 'Boots', 'BOT-1', 1)
) as t(order_id, email, ordered_at, amount, product, sku, quantity)
`,
  'models/exposures.yml': `version: 2
exposures:
  - name: customer_profiles
    type: application
    owner: { name: Data }
    depends_on: [ref('customers')]
    config:
      meta:
        klaviyo:
          object: profile
          key: customer_id
          identity: { email: email, external_id: customer_id }
          attributes: { first_name: first_name }
          properties: [ltv, orders_count, first_order_at]
  - name: placed_orders
    type: application
    owner: { name: Data }
    depends_on: [ref('orders')]
    config:
      meta:
        klaviyo:
          object: event
          metric: Placed Order
          key: order_id
          identity: { email: email }
          time: ordered_at
          value: amount
          properties_json: properties
`,
};

/** The types a build gives the columns, after the first: the same values, spelt otherwise. */
const WIDER = `{money: "decimal(18,4)", count: "double", time: "timestamp"}`;

interface Counts {
  [name: string]: number;
}

describe('a column that changed type and not value', () => {
  let project: string;
  let sandbox: RunningSandbox;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    project = await scratchProject('type_change_shop', PROJECT);
    sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 5 });
    env = {
      KLAVIYO_BASE_URL: sandbox.url,
      KLAVIYO_API_KEY: 'pk_type_change',
      KLAVIYO_RUNNER_DUCKDB: path.join(project, 'target', 'demo.duckdb'),
    };
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  const build = async (vars: string) => {
    const built = await runDbt(project, ['build', '--vars', vars]);
    expect(built.code, built.stdout).toBe(0);
  };
  const sync = async () => {
    const ran = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
    expect(ran.code, ran.stdout + ran.stderr).toBe(0);
    const results = JSON.parse(
      await readFile(path.join(project, 'target', 'klaviyo_run_results.json'), 'utf8'),
    ) as { results: { sync: string; counts: Counts }[] };
    const counts = (sync: string) => results.results.find((r) => r.sync === sync)!.counts;
    return { stdout: ran.stdout, profiles: counts('customer_profiles'), orders: counts('placed_orders') };
  };
  const plan = async () => {
    const ran = await runCli(['plan', '--project-dir', project, '--format', 'json'], env);
    expect(ran.code, ran.stderr).toBe(0);
    const planned = JSON.parse(ran.stdout) as { syncs: { sync: string; counts: Counts }[] };
    const counts = (sync: string) => planned.syncs.find((s) => s.sync === sync)!.counts;
    return { profiles: counts('customer_profiles'), orders: counts('placed_orders') };
  };
  /** Requests that change something in Klaviyo, from the `from`th request on. */
  const writes = (from: number) => writesSince(sandbox, from).map((r) => `${r.method} ${r.path}`);
  const snapshotJson = async (sync: string, key: string) => {
    const [row] = (await queryDuckDb(
      path.join(project, 'target', 'demo.duckdb'),
      `select row_json from klaviyo_runner.snapshot where sync = '${sync}' and key = '${key}'`,
    )) as [{ row_json: string }];
    return JSON.parse(row.row_json) as Record<string, unknown>;
  };

  it('sends nothing and reports nothing changed, then a change of value goes as before', async () => {
    await build('{}');
    const first = await sync();
    expect(first.profiles).toMatchObject({ created: 2, rejected: 0 });
    expect(first.orders).toMatchObject({ events_sent: 3, rejected: 0 });
    const sent = sandbox.inspect();
    expect(sent.events).toHaveLength(3);
    expect(sent.profiles.find((p) => p.email === 'ann@example.com')!.properties).toMatchObject({
      ltv: 120.5,
      orders_count: 2,
    });

    // Every column changes type; the warehouse now spells each row otherwise.
    await build(WIDER);
    expect(await snapshotJson('customer_profiles', 'C1')).toMatchObject({ ltv: 120.5 });
    const planned = await plan();
    expect(planned.profiles).toMatchObject({ create: 0, update: 0, unchanged: 2, send: 0 });
    expect(planned.orders).toMatchObject({ create: 0, changedEvents: 0, unchanged: 3, send: 0 });

    for (const run of ['second', 'third']) {
      const before = sandbox.requests().length;
      const again = await sync();
      expect(writes(before), run).toEqual([]);
      expect(again.stdout, run).not.toContain('changed after sending');
      expect(again.profiles, run).toMatchObject({ created: 0, updated: 0, unchanged: 2, failed: 0 });
      expect(again.orders, run).toMatchObject({
        events_sent: 0,
        events_changed_not_resent: 0,
        unchanged: 3,
        failed: 0,
      });
      expect(await plan(), run).toMatchObject({
        profiles: { update: 0, unchanged: 2, send: 0 },
        orders: { changedEvents: 0, unchanged: 3, send: 0 },
      });
    }
    // The snapshot holds the rows as the warehouse now writes them: no later run compares them again.
    expect(
      await queryDuckDb(
        path.join(project, 'target', 'demo.duckdb'),
        `select sync, count(*)::integer as n from klaviyo_runner.snapshot
         where row_json like '%.5000%' or row_json like '%.2500%' or row_json like '%.0000%'
         group by sync order by sync`,
      ),
    ).toEqual([
      { sync: 'customer_profiles', n: 2 },
      { sync: 'placed_orders', n: 3 },
    ]);

    // A value changes: the profile is updated, the event reported changed after sending.
    await build(
      `{money: "decimal(18,4)", count: "double", time: "timestamp", ltv_c1: "130.00", amount_o1: "15.00"}`,
    );
    expect(await plan()).toMatchObject({
      profiles: { update: 1, unchanged: 1, send: 1 },
      orders: { changedEvents: 1, unchanged: 2, send: 0 },
    });
    const before = sandbox.requests().length;
    const changed = await sync();
    expect(changed.profiles).toMatchObject({ created: 0, updated: 1, unchanged: 1 });
    expect(changed.orders).toMatchObject({ events_sent: 0, events_changed_not_resent: 1, unchanged: 2 });
    expect(changed.stdout).toContain('1 changed after sending');
    expect(writes(before)).toEqual(['POST /api/profile-bulk-import-jobs']);
    expect(sandbox.inspect().profiles.find((p) => p.email === 'ann@example.com')!.properties).toMatchObject({
      ltv: 130,
    });
    expect(sandbox.inspect().events).toHaveLength(3);

    // Reported once: later runs count it (Klaviyo still holds the event as first sent) and read it
    // out of the warehouse no more, until the row changes again.
    const reported = `select key from klaviyo_runner.changed_events where sync = 'placed_orders'`;
    expect(await queryDuckDb(path.join(project, 'target', 'demo.duckdb'), reported)).toEqual([{ key: 'O1' }]);
    expect((await plan()).orders).toMatchObject({ changedEvents: 1, changedEventsReported: 1, send: 0 });
    const later = await sync();
    expect(later.orders).toMatchObject({ events_sent: 0, events_changed_not_resent: 1, unchanged: 2 });
    expect(later.stdout).toContain('1 changed after sending');
    expect(await snapshotJson('placed_orders', 'O1')).toMatchObject({ amount: 12.5 });
  }, 300_000);
});
