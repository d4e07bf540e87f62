/**
 * An event sync's first load goes with Klaviyo's backfill flag, so history starts no flow
 * (`backfill: first_load`, sync/schedule.ts). The load is done once a run confirmed rows with
 * nothing left to send: a run that confirmed none (an empty model, every row refused) loaded no
 * history, so the rows a later run finds are still history.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../runner/sandbox/server.ts';
import { runCli, runDbt, scratchProject } from './helpers/dbt.ts';

/** Two old orders and a new one; `orders` the ones the model holds, `o1_at` and `o2_at` how their dates read. */
const PROJECT = {
  'models/orders.sql': `select * from (values
  ('o1', 'one@example.com', '{{ var("o1_at", "2023-04-03") }}', 50.0),
  ('o2', 'two@example.com', '{{ var("o2_at", "2023-06-05") }}', 70.0),
  ('o3', 'three@example.com', '2026-11-30', 10.0)
) as t(order_id, email, ordered_at, total)
where order_id in ({{ var("orders", "'o1', 'o2'") }})
`,
  'models/exposures.yml': `version: 2
exposures:
  - name: orders_events
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
          value: total
`,
};

describe('the first load of an event sync', () => {
  let sandbox: RunningSandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
  });

  const run = async (project: string, vars: string) => {
    const built = await runDbt(project, ['build', '--vars', vars]);
    expect(built.code, built.stdout).toBe(0);
    const ran = await runCli(['sync', '--project-dir', project, '--no-progress'], {
      KLAVIYO_BASE_URL: sandbox!.url,
      KLAVIYO_API_KEY: 'pk_first_load',
      KLAVIYO_RUNNER_DUCKDB: path.join(project, 'target', 'demo.duckdb'),
    });
    return ran;
  };
  const sent = () =>
    sandbox!
      .inspect()
      .events.map((e) => [e.uniqueId, e.backfill])
      .sort();

  it('is not done by a run that confirmed nothing, from an empty model or every row refused', async () => {
    sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 5 });
    const project = await scratchProject('first_load_shop', PROJECT);
    // The model is empty until the history is connected.
    expect((await run(project, `{orders: "'none'"}`)).code).toBe(0);
    // Both dates read two ways: every row refused.
    const refused = await run(project, `{o1_at: "03/04/2023", o2_at: "05/06/2023"}`);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('reads as two different days');
    expect(sent()).toEqual([]);
    // Fixed: the history goes now, as a backfill.
    expect((await run(project, '{}')).code).toBe(0);
    expect(sent()).toEqual([
      ['o1', true],
      ['o2', true],
    ]);
    // The first load is done: a new order starts its flows.
    expect((await run(project, `{orders: "'o1', 'o2', 'o3'"}`)).code).toBe(0);
    expect(sent()).toEqual([
      ['o1', true],
      ['o2', true],
      ['o3', false],
    ]);
  }, 180_000);
});
