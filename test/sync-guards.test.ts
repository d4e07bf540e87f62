/**
 * What keeps rows from being lost, end to end (real dbt on DuckDB, the real CLI, the sandbox over
 * HTTP): rows held back after a rejection are released by --retry-rejected once the cause is fixed
 * in Klaviyo; --full-refresh resends a sync as on its first load; the mass-removal guard stops a
 * sync whose model built (nearly) empty, or whose properties turned NULL, before anything is sent;
 * a row with a NULL key is rejected with its reason, never counted as a removal. Each step changes
 * the built tables in the warehouse, as a broken or fixed upstream build would.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../runner/sandbox/server.ts';
import { copyDemoProject, runCli, runDbt, scratchProject, type Ran } from './helpers/dbt.ts';
import { queryDuckDb } from './helpers/duckdb.ts';
import { writesSince } from './helpers/sandbox.ts';

interface PlanJson {
  syncs: {
    sync: string;
    counts: Record<string, number>;
    rejected: { key: string; column?: string; reason: string }[];
    guard: { removing: number; synced: number; maxPercent: number; trips: boolean; allowed: boolean };
  }[];
}

interface ResultsJson {
  status: string;
  results: {
    sync: string;
    status: string;
    message: string;
    counts: Record<string, number>;
    rejected: { key: string; column?: string; reason: string }[];
  }[];
}

// Each test runs the CLI several times in a row; on a loaded machine that outlasts the default.
describe('guards against lost rows', { timeout: 600_000 }, () => {
  let project: string;
  let db: string;
  let sandbox: RunningSandbox;
  let env: NodeJS.ProcessEnv;
  const KEY = 'pk_guards_test';

  const sql = (statement: string) => queryDuckDb(db, statement);
  const cli = (args: string[]): Promise<Ran> =>
    runCli([...args, '--project-dir', project, ...(args[0] === 'sync' ? ['--no-progress'] : [])], env);
  const planOf = async (args: string[]): Promise<PlanJson['syncs'][number]> => {
    const ran = await cli(['plan', '--format', 'json', ...args]);
    expect(ran.code, ran.stderr).toBe(0);
    return (JSON.parse(ran.stdout) as PlanJson).syncs[0]!;
  };
  const resultOf = async (): Promise<ResultsJson['results'][number]> => {
    const file = path.join(project, 'target', 'klaviyo_run_results.json');
    return (JSON.parse(await readFile(file, 'utf8')) as ResultsJson).results[0]!;
  };
  const klaviyo = async (method: string, route: string, body: unknown): Promise<{ data: { id: string } }> => {
    const res = await fetch(`${sandbox.url}${route}`, {
      method,
      headers: {
        authorization: `Klaviyo-API-Key ${KEY}`,
        revision: '2026-07-15',
        'content-type': 'application/vnd.api+json',
        accept: 'application/vnd.api+json',
      },
      body: JSON.stringify(body),
    });
    expect(res.status, await res.clone().text()).toBeLessThan(300);
    return (await res.json()) as { data: { id: string } };
  };
  const listMembers = () => {
    const state = sandbox.inspect();
    return state.lists.find((l) => l.name === 'Winback')!.profileIds.length;
  };

  beforeAll(async () => {
    project = await copyDemoProject();
    db = path.join(project, 'target', 'demo.duckdb');
    const built = await runDbt(project, ['build']);
    if (built.code !== 0) throw new Error(`dbt build failed:\n${built.stdout}`);
    sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 20 });
    env = { KLAVIYO_BASE_URL: sandbox.url, KLAVIYO_API_KEY: KEY };
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('holds back a row Klaviyo refused, and --retry-rejected sends it once the cause is fixed in Klaviyo', async () => {
    const [row] = (await sql(
      `select person_id, email, external_id from main.klaviyo__profiles
       where email is not null and external_id is not null order by person_id limit 1`,
    )) as { person_id: string; email: string; external_id: string }[];
    // Klaviyo already holds the row's email and its external_id on two different profiles: the
    // import refuses the row (duplicate_profile) until someone merges or fixes them in Klaviyo.
    await klaviyo('POST', '/api/profiles', { data: { type: 'profile', attributes: { email: row!.email } } });
    const other = await klaviyo('POST', '/api/profiles', {
      data: { type: 'profile', attributes: { external_id: row!.external_id } },
    });

    const first = await cli(['sync', '--select', 'klaviyo_profiles_rfm']);
    expect(first.code, first.stderr).toBe(1);
    expect((await resultOf()).rejected.map((r) => r.key)).toContain(row!.person_id);

    const held = await cli(['sync', '--select', 'klaviyo_profiles_rfm']);
    expect(held.code, held.stderr).toBe(0);
    expect((await resultOf()).counts).toMatchObject({ previously_rejected: 1, created: 0, updated: 0 });

    // Fixed in Klaviyo, outside the model: the other profile no longer claims the external_id.
    await klaviyo('PATCH', `/api/profiles/${other.data.id}`, {
      data: { type: 'profile', id: other.data.id, attributes: { external_id: 'merged-elsewhere' } },
    });
    const plain = await planOf(['--select', 'klaviyo_profiles_rfm']);
    expect(plain.counts).toMatchObject({ previouslyRejected: 1, retried: 0, send: 0 });
    const retry = await planOf(['--select', 'klaviyo_profiles_rfm', '--retry-rejected']);
    // Only the refused row is held back (the demo's impossible phones are dropped from rows that go).
    expect(retry.counts).toMatchObject({ previouslyRejected: 0, retried: 1, send: 1, rejected: 0 });

    const retried = await cli(['sync', '--select', 'klaviyo_profiles_rfm', '--retry-rejected']);
    expect(retried.code, retried.stderr).toBe(0);
    expect((await resultOf()).counts).toMatchObject({ created: 1, rejected: 0, previously_rejected: 0 });
    const profile = sandbox.inspect().profiles.find((p) => p.email === row!.email)!;
    expect(profile.external_id).toBe(row!.external_id);
    const [snap] = await sql(
      `select count(*)::integer as n from klaviyo_runner.snapshot where sync = 'klaviyo_profiles_rfm' and key = '${row!.person_id}'`,
    );
    expect(snap!.n).toBe(1);
  });

  it('rejects a row whose key is NULL with its reason, and never counts it as a removal', async () => {
    const select = ['--select', 'klaviyo_profiles_rfm'];
    await sql(
      `insert into main.klaviyo__profiles
       select * replace (cast(null as varchar) as person_id) from main.klaviyo__profiles
       where email is not null order by person_id limit 1`,
    );
    const [copied] = (await sql(`select email from main.klaviyo__profiles where person_id is null`)) as {
      email: string;
    }[];
    const planned = await planOf(select);
    expect(planned.counts).toMatchObject({ remove: 0, nullKeys: 1, rejected: 1, send: 0, unchanged: 570 });
    expect(planned.rejected).toHaveLength(1);
    expect(planned.rejected[0]).toMatchObject({ key: '', column: 'person_id' });
    expect(planned.rejected[0]!.reason).toContain(
      `the key column is NULL or blank (row with email ${JSON.stringify(copied!.email)}`,
    );
    for (let run = 0; run < 2; run++) {
      const ran = await cli(['sync', ...select]);
      expect(ran.code, ran.stderr).toBe(1);
      expect((await resultOf()).counts).toMatchObject({ rejected: 1, removed: 0, unchanged: 570 });
    }
    await sql(`delete from main.klaviyo__profiles where person_id is null`);
  });

  it('resends a whole sync with --full-refresh, events with the backfill flag', async () => {
    const select = ['--select', 'klaviyo_placed_orders'];
    expect((await cli(['sync', ...select])).code).toBe(0);
    const before = sandbox.requests().length;
    expect((await cli(['sync', ...select])).code).toBe(0);
    // After the first load, an ordinary run sends nothing.
    expect(writesSince(sandbox, before)).toEqual([]);

    const refresh = await planOf([...select, '--full-refresh']);
    expect(refresh.counts).toMatchObject({ resent: 1892, unchanged: 0, send: 1892 });
    const since = sandbox.requests().length;
    const ran = await cli(['sync', ...select, '--full-refresh']);
    expect(ran.code, ran.stderr).toBe(0);
    expect((await resultOf()).counts).toMatchObject({ events_sent: 1892 });
    type Group = { attributes: { backfill?: boolean; events: { data: unknown[] } } };
    const groups = sandbox
      .requests()
      .slice(since)
      .filter((r) => r.operationId === 'bulk_create_events')
      .flatMap(
        (r) =>
          (r.body as { data: { attributes: { 'events-bulk-create': { data: Group[] } } } }).data.attributes[
            'events-bulk-create'
          ].data,
      );
    expect(groups.reduce((n, g) => n + g.attributes.events.data.length, 0)).toBe(1892);
    expect(groups.every((g) => g.attributes.backfill === true)).toBe(true);
    // Klaviyo ignores an event whose unique_id it holds: nothing doubled.
    expect(sandbox.inspect().events.filter((e) => e.metric === 'Placed Order')).toHaveLength(1892);
  });

  it('stops a list sync whose model built empty, and lets a small or an allowed removal through', async () => {
    const select = ['--select', 'klaviyo_winback_list'];
    expect((await cli(['sync', ...select])).code).toBe(0);
    const all = listMembers();
    expect(all).toBeGreaterThan(100);
    await sql(`create table main.winback_backup as select * from main.klaviyo__winback_list_members`);

    // An upstream outage: the model builds empty.
    await sql(`delete from main.klaviyo__winback_list_members`);
    const planned = await planOf(select);
    expect(planned.guard).toMatchObject({
      removing: all,
      synced: all,
      maxPercent: 20,
      trips: true,
      allowed: false,
    });
    const text = await cli(['plan', ...select]);
    expect(text.stdout).toContain(`MASS-REMOVAL GUARD: sync would stop: ${all} of ${all} synced rows (100%)`);
    const since = sandbox.requests().length;
    const stopped = await cli(['sync', ...select]);
    expect(stopped.code, stopped.stderr).toBe(1);
    expect(stopped.stdout).toContain(
      `${all} of ${all} synced rows (100%) would be removed or cleared in Klaviyo`,
    );
    expect(await resultOf()).toMatchObject({ status: 'stopped', counts: { list_removed: 0 } });
    expect(writesSince(sandbox, since)).toEqual([]);
    expect(listMembers()).toBe(all);

    // Ten members leave (under 10%): under the threshold, the sync removes them.
    const synced = `select key from klaviyo_runner.snapshot where sync = 'klaviyo_winback_list' order by key`;
    await sql(
      `insert into main.klaviyo__winback_list_members select * from main.winback_backup
       where person_id not in (${synced} limit 10)`,
    );
    const small = await cli(['sync', ...select]);
    expect(small.code, small.stderr).toBe(0);
    expect((await resultOf()).counts).toMatchObject({ list_removed: 10 });
    expect(listMembers()).toBe(all - 10);

    // Forty more (over a third of the rest): stopped, then let through by --allow-mass-removal.
    await sql(`delete from main.klaviyo__winback_list_members where person_id in (${synced} limit 40)`);
    expect((await cli(['sync', ...select])).code).toBe(1);
    expect(listMembers()).toBe(all - 10);
    const allowedPlan = await planOf([...select, '--allow-mass-removal']);
    expect(allowedPlan.guard).toMatchObject({ removing: 40, synced: all - 10, trips: true, allowed: true });
    const allowed = await cli(['sync', ...select, '--allow-mass-removal']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect((await resultOf()).counts).toMatchObject({ list_removed: 40 });
    expect(listMembers()).toBe(all - 50);
  });

  it('stops a profile sync that would clear the properties of most profiles', async () => {
    const select = ['--select', 'klaviyo_profiles_rfm'];
    const withSegment = () =>
      sandbox.inspect().profiles.filter((p) => p.properties.rfm_segment !== undefined).length;
    const before = withSegment();
    expect(before).toBeGreaterThan(500);
    await sql(`update main.klaviyo__profiles set rfm_segment = null`);
    const planned = await planOf(select);
    expect(planned.guard).toMatchObject({ synced: 570, trips: true });
    expect(planned.guard.removing).toBe(before);
    const since = sandbox.requests().length;
    const stopped = await cli(['sync', ...select]);
    expect(stopped.code, stopped.stderr).toBe(1);
    expect(await resultOf()).toMatchObject({ status: 'stopped' });
    expect(writesSince(sandbox, since)).toEqual([]);
    expect(withSegment()).toBe(before);
  });
});

/**
 * `after` holds a row back until the named sync confirmed the same key. A sync keyed by other
 * things than that sync's keys (an order's id, a customer's) would wait on every run: said on
 * every run. Keys are matched by value, so key columns of other names holding the same ids sync.
 */
describe('an `after` whose keys never meet', { timeout: 300_000 }, () => {
  let sandbox: RunningSandbox | undefined;
  afterAll(async () => {
    await sandbox?.close();
  });

  const people = (key: string) => `select * from (values
  (1, 'p1@after.example', 'gold'), (2, 'p2@after.example', 'silver'), (3, 'p3@after.example', 'gold')
) t(${key}, email, tier)
`;
  const orders = (key: string, ids = [101, 102, 103]) => `select * from (values
  (${ids[0]}, 'p1@after.example', timestamp '2026-05-01 10:00:00', 10.5),
  (${ids[1]}, 'p2@after.example', timestamp '2026-05-02 10:00:00', 20.0),
  (${ids[2]}, 'p3@after.example', timestamp '2026-05-03 10:00:00', 30.0)
) t(${key}, email, ordered_at, value)
`;
  const exposures = (peopleKey: string, orderKey: string) => `version: 2
exposures:
  - name: people_sync
    type: application
    owner: { name: Data }
    depends_on: [ref('people')]
    config:
      meta:
        klaviyo: { object: profile, key: ${peopleKey}, identity: { email: email }, properties: [tier] }
  - name: order_events
    type: application
    owner: { name: Data }
    depends_on: [ref('orders')]
    config:
      meta:
        klaviyo:
          object: event
          key: ${orderKey}
          identity: { email: email }
          metric: Placed Order
          time: ordered_at
          value: value
          after: people_sync
`;

  it('says on every run which rows wait for a sync none of their keys meets, and matches keys by value, not by column name', async () => {
    const project = await scratchProject('after', {
      'models/people.sql': people('id'),
      'models/orders.sql': orders('id'),
      'models/exposures.yml': exposures('id', 'id'),
    });
    const db = path.join(project, 'target', 'demo.duckdb');
    expect((await runDbt(project, ['build'])).code).toBe(0);
    sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 20 });
    const env = { KLAVIYO_BASE_URL: sandbox.url, KLAVIYO_API_KEY: 'pk_after', KLAVIYO_RUNNER_DUCKDB: db };
    const cli = (args: string[]) => runCli([...args, '--project-dir', project], env);
    const warning =
      'order_events: 3 rows of model `orders` wait for `people_sync`, which has confirmed 3 rows in Klaviyo, none with a key of this model: they wait on every run.';

    // Both named `id`, one a customer's and one an order's: the profiles go, every order waits.
    for (let run = 0; run < 2; run++) {
      const ran = await cli(['sync', '--no-progress']);
      expect(ran.code, ran.stdout + ran.stderr).toBe(0);
      expect(ran.stderr).toContain(`warn: ${warning}`);
      const results = JSON.parse(
        await readFile(path.join(project, 'target', 'klaviyo_run_results.json'), 'utf8'),
      ) as ResultsJson;
      expect(results.results.find((r) => r.sync === 'order_events')!.counts).toMatchObject({
        waiting_on_after: 3,
        events_sent: 0,
      });
    }
    expect(sandbox.inspect().events).toEqual([]);
    // The plan a pull request shows says it too.
    const planned = await cli(['plan']);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout + planned.stderr).toContain(`warning: ${warning}`);

    // Keyed by columns of other names holding the same ids (one event per person here): no
    // refusal, and each row goes once its person's profile is confirmed, with no warning.
    await writeFile(path.join(project, 'models', 'people.sql'), people('customer_id'));
    await writeFile(path.join(project, 'models', 'orders.sql'), orders('buyer_id', [1, 2, 3]));
    await writeFile(path.join(project, 'models', 'exposures.yml'), exposures('customer_id', 'buyer_id'));
    expect((await runDbt(project, ['build'])).code).toBe(0);
    const validated = await cli(['validate']);
    expect(validated.code, validated.stdout + validated.stderr).toBe(0);
    const ran = await cli(['sync', '--no-progress', '--allow-config-change']);
    expect(ran.code, ran.stdout + ran.stderr).toBe(0);
    expect(ran.stderr).not.toContain('after_never_met');
    expect(ran.stderr).not.toContain('none with a key of this model');
    expect(sandbox.inspect().events).toHaveLength(3);
  });
});
