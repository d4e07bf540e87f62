/**
 * The plan's request estimate against what the sync then sends: a first plan of the demo, and of
 * a larger project (three import jobs, six event batches, a list of 1,500 after its profile sync),
 * each followed by the sync through the real CLI, whose requests the sandbox records. The estimate
 * counts job polls, import-error reads, id lookups, the list's lookup and creation, and the rows of
 * `after` syncs, so it lands within 20% of the requests made.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type RecordedRequest, type RunningSandbox } from '../runner/sandbox/server.ts';
import { copyDemoProject, runCli, runDbt, scratchProject } from './helpers/dbt.ts';

interface PlanJson {
  syncs: { sync: string; estimate: { requests: Record<string, number>; total: number } }[];
  totals: { requests: number };
}

const count = (requests: RecordedRequest[]) => {
  const by: Record<string, number> = {};
  for (const r of requests) by[r.operationId ?? r.path] = (by[r.operationId ?? r.path] ?? 0) + 1;
  return by;
};

/** Plans, then syncs; the estimate and the requests the sandbox received, by operation. */
async function planThenSync(project: string, sandbox: RunningSandbox, env: NodeJS.ProcessEnv) {
  const planned = await runCli(['plan', '--project-dir', project, '--format', 'json'], env);
  expect(planned.code, planned.stderr).toBe(0);
  const plan = JSON.parse(planned.stdout) as PlanJson;
  const estimated: Record<string, number> = {};
  for (const s of plan.syncs)
    for (const [op, n] of Object.entries(s.estimate.requests)) estimated[op] = (estimated[op] ?? 0) + n;
  const synced = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
  expect(synced.code, synced.stderr).toBeLessThan(2);
  const made = sandbox.requests();
  return { estimate: plan.totals.requests, estimated, made: made.length, byOperation: count(made) };
}

const LARGE = {
  'models/people.sql': `select 'P' || lpad(cast(i as varchar), 6, '0') as person_id,
  'person' || cast(i as varchar) || '@example.com' as email,
  'First' || cast(i % 97 as varchar) as first_name,
  i % 5 as score
from range(1, 20501) as t(i)
`,
  'models/purchases.sql': `select 'O' || cast(i as varchar) as order_id,
  'person' || cast(i % 20500 + 1 as varchar) || '@example.com' as email,
  timestamp '2026-01-01 00:00:00' + to_minutes(cast(i as bigint)) as ordered_at,
  cast(10 + i % 90 as double) as value
from range(1, 5501) as t(i)
`,
  'models/vip_members.sql': `select person_id, email from {{ ref('people') }} where score = 4 and person_id <= 'P007500'
`,
  'models/exposures.yml': `version: 2
exposures:
  - name: large_profiles
    type: application
    owner: { name: Data }
    depends_on: [ref('people')]
    config:
      meta:
        klaviyo:
          object: profile
          key: person_id
          identity: { email: email, external_id: person_id }
          attributes: { first_name: first_name }
          properties: [score]
  - name: large_orders
    type: application
    owner: { name: Data }
    depends_on: [ref('purchases')]
    config:
      meta:
        klaviyo:
          object: event
          metric: Placed Order
          key: order_id
          identity: { email: email }
          time: ordered_at
          value: value
  - name: large_vip_list
    type: application
    owner: { name: Data }
    depends_on: [ref('vip_members')]
    config:
      meta:
        klaviyo:
          object: list_membership
          key: person_id
          identity: { email: email }
          list: { name: VIP }
          after: large_profiles
`,
};

describe('the plan estimates the requests a sync then makes', () => {
  let sandbox: RunningSandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
  });

  it('on the demo, within 20%', async () => {
    const project = await copyDemoProject();
    const db = path.join(project, 'target', 'demo.duckdb');
    const built = await runDbt(project, ['build']);
    expect(built.code, built.stdout).toBe(0);
    // The sandbox's default pace: an import job completes two seconds after it is accepted.
    sandbox = await startSandbox({ rateLimits: 'klaviyo' });
    const env = {
      KLAVIYO_BASE_URL: sandbox.url,
      KLAVIYO_API_KEY: 'pk_test_estimate',
      KLAVIYO_RUNNER_DUCKDB: db,
    };
    const { estimate, estimated, made, byOperation } = await planThenSync(project, sandbox, env);
    // The Winback list's members wait for the profile sync, yet their lookups and adds are counted.
    expect(estimated).toMatchObject({ get_lists: 1, create_list: 1, add_profiles_to_list: 1 });
    expect(Math.abs(estimate - made), JSON.stringify({ estimated, byOperation })).toBeLessThanOrEqual(
      made * 0.2,
    );
  }, 400_000);

  it('on a larger project with several import jobs and an after sync, within 20%', async () => {
    const project = await scratchProject('large_shop', LARGE);
    const db = path.join(project, 'target', 'demo.duckdb');
    const built = await runDbt(project, ['build']);
    expect(built.code, built.stdout).toBe(0);
    // No rate limits here: a throttled attempt and its retry are the stand-in's pace, not requests
    // the sync needs, and on a busy machine they made the count depend on timing.
    sandbox = await startSandbox({ rateLimits: 'off' });
    const env = {
      KLAVIYO_BASE_URL: sandbox.url,
      KLAVIYO_API_KEY: 'pk_test_estimate',
      KLAVIYO_RUNNER_DUCKDB: db,
    };
    const { estimate, estimated, made, byOperation } = await planThenSync(project, sandbox, env);
    // Each job completes two seconds after it is accepted (the sandbox's default pace), and the
    // sync submits its next job without waiting for one to finish: every job is at Klaviyo
    // before the first is seen complete.
    const requests = sandbox.requests();
    const firstComplete = requests.findIndex(
      (r) =>
        r.operationId === 'get_bulk_import_profiles_job' &&
        (r.responseBody as { data?: { attributes?: { status?: string } } } | undefined)?.data?.attributes
          ?.status === 'complete',
    );
    const submitted = requests.flatMap((r, i) => (r.operationId === 'bulk_import_profiles' ? [i] : []));
    expect(submitted).toHaveLength(3);
    expect(firstComplete).toBeGreaterThan(submitted[2]!);
    expect(estimated).toMatchObject({
      bulk_import_profiles: 3,
      bulk_create_events: 6,
      add_profiles_to_list: 2,
      get_profiles: 15,
    });
    expect(Math.abs(estimate - made), JSON.stringify({ estimated, byOperation })).toBeLessThanOrEqual(
      made * 0.2,
    );
  }, 400_000);
});
