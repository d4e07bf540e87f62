/**
 * The whole path on Snowflake: `dbt build` of the demo with dbt-snowflake, then the real CLI
 * (validate, plan, sync, a kill and a resume, a second sync, a model change, locks, extract)
 * against the sandbox, with the runner's state in Snowflake. In `npm test` Snowflake is the
 * emulator (fakesnow, see test/helpers/emulator.ts); `npm run test:snowflake` runs the same file
 * against a real account (test/helpers/snowflake-target.ts).
 *
 * On the emulator the demo's seeds are cut to their first 30 customers and 100 orders (fakesnow
 * parses each seed INSERT with sqlglot, in time that grows with the square of its size, so seeds
 * also load 50 rows per statement), and two things the emulator cannot run are left out of the
 * build: dbt unit tests (their fixtures are temporary tables, which fakesnow creates in a catalog
 * DuckDB refuses) and the klaviyo_items_shape test (it checks TYPEOF of VARIANT members, which
 * fakesnow does not name as Snowflake does). Both run on DuckDB in the rest of the suite.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../runner/sandbox/server.ts';
import type { Warehouse } from '../runner/source/warehouse.ts';
import { copyDemoProject, repoRoot, run, runCli, type Ran } from './helpers/dbt.ts';
import { assertAllValid } from './helpers/openapi-contract.ts';
import { snowflakeTestTarget, type SnowflakeTestTarget } from './helpers/snowflake-target.ts';
import { writesSince } from './helpers/sandbox.ts';

const EMULATOR_CUSTOMERS = 30;
const EMULATOR_ORDERS = 100;
/** fakesnow runs each statement through sqlglot's transforms: a sync there takes minutes, not seconds. */
const STEP_MS = 1_200_000;

async function trimSeeds(project: string): Promise<void> {
  const seeds = path.join(project, 'seeds', 'demo');
  const lines = async (name: string) =>
    (await readFile(path.join(seeds, name), 'utf8')).trimEnd().split('\n');
  const keep = async (name: string, rows: string[]) =>
    writeFile(path.join(seeds, name), `${rows.join('\n')}\n`);
  await keep('demo_customers.csv', (await lines('demo_customers.csv')).slice(0, EMULATOR_CUSTOMERS + 1));
  const orders = (await lines('demo_orders.csv')).slice(0, EMULATOR_ORDERS + 1);
  await keep('demo_orders.csv', orders);
  const kept = new Set(orders.slice(1).map((l) => l.split(',')[0]));
  const orderLines = await lines('demo_order_lines.csv');
  await keep('demo_order_lines.csv', [
    orderLines[0]!,
    ...orderLines.slice(1).filter((l) => kept.has(l.split(',')[0])),
  ]);
  // dbt-snowflake inserts seeds in batches (get_batch_size); smaller statements parse far faster.
  await writeFile(
    path.join(project, 'macros', 'emulator_seed_batch_size.sql'),
    '{% macro snowflake__get_batch_size() %}{{ return(50) }}{% endmacro %}\n',
  );
}

describe('klaviyo-runner on Snowflake', () => {
  let target: SnowflakeTestTarget;
  let project: string;
  let sandbox: RunningSandbox;
  let wh: Warehouse;
  let env: NodeJS.ProcessEnv;
  const timings: Record<string, number> = {};
  const rel = (name: string) => `${target.database}.${target.schema}.${name}`;
  const state = (name: string) => `${target.database}.${target.stateSchema}.${name}`;
  const cli = (args: string[]) =>
    runCli([...args, '--project-dir', project, '--profiles-dir', project], env, project);
  const runner = (command: string, extra: string[] = []) =>
    cli([command, '--state-schema', target.stateSchema, ...extra]);
  const dbt = async (args: string[]): Promise<Ran> => {
    const started = Date.now();
    const exclude =
      target.kind === 'emulator'
        ? ['--exclude-resource-type', 'unit_test', '--exclude', 'test_name:klaviyo_items_shape']
        : [];
    const ran = await run(
      path.join(repoRoot, '.venv', 'bin', 'dbt'),
      [...args, ...(args[0] === 'build' ? exclude : []), '--project-dir', project, '--profiles-dir', project],
      { cwd: project, env: { DBT_SEND_ANONYMOUS_USAGE_STATS: 'false' } },
    );
    timings[`dbt ${args[0]}`] = (timings[`dbt ${args[0]}`] ?? 0) + (Date.now() - started);
    return ran;
  };

  beforeAll(async () => {
    target = await snowflakeTestTarget();
    project = await copyDemoProject();
    if (target.kind === 'emulator') await trimSeeds(project);
    await writeFile(
      path.join(project, 'profiles.yml'),
      `klaviyo_runner:\n  target: snowflake\n  outputs:\n    snowflake:\n${target.profileYaml}\n`,
    );
    const built = await dbt(['build']);
    if (built.code !== 0) throw new Error(`dbt build on Snowflake failed:\n${built.stdout}`);
    console.log(
      built.stdout
        .split('\n')
        .filter((l) => l.includes('Done.'))
        .join('\n'),
    );
    sandbox = await startSandbox({ rateLimits: 'klaviyo', jobDelayMs: 50 });
    env = { KLAVIYO_BASE_URL: sandbox.url, KLAVIYO_API_KEY: 'pk_test_snowflake_secret' };
    wh = await target.open();
  }, 900_000);
  afterAll(async () => {
    console.log(`Snowflake (${target?.kind}) timings, ms: ${JSON.stringify(timings)}`);
    await wh?.close();
    await sandbox?.close();
    await target?.stop();
  }, STEP_MS);

  it(
    'validates and plans against Snowflake, writing nothing',
    async () => {
      const validated = await cli(['validate']);
      expect(validated.code, validated.stdout + validated.stderr).toBe(0);
      const planned = await runner('plan', ['--format', 'json']);
      expect(planned.code, planned.stderr).toBe(0);
      const plan = JSON.parse(planned.stdout) as {
        syncs: { sync: string; counts: Record<string, number> }[];
      };
      const [profiles] = await wh.query(`select count(*) as n from ${rel('klaviyo__profiles')}`);
      const profilePlan = plan.syncs.find((s) => s.sync === 'klaviyo_profiles_rfm') ?? plan.syncs[0]!;
      expect(profilePlan.counts.create).toBe(Number(profiles!.n));
      expect(sandbox.requests().filter((r) => r.method !== 'GET')).toEqual([]);
    },
    STEP_MS,
  );

  it(
    'survives a SIGKILL mid-sync: the next sync resumes and lands exactly the models',
    async () => {
      const child = spawn(
        process.execPath,
        [
          path.join(repoRoot, 'bin', 'klaviyo-runner.js'),
          'sync',
          '--project-dir',
          project,
          '--profiles-dir',
          project,
          '--state-schema',
          target.stateSchema,
          '--no-progress',
        ],
        { cwd: project, env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: 'ignore' },
      );
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // Killed once Klaviyo answered its first event batch: profiles imported, events in flight.
      while (
        child.exitCode === null &&
        !sandbox.requests().some((r) => r.operationId === 'bulk_create_events')
      )
        await new Promise((r) => setTimeout(r, 10));
      const killedMidway = child.exitCode === null;
      child.kill('SIGKILL');
      await exited;
      expect(killedMidway).toBe(true);

      const started = Date.now();
      const resumed = await runner('sync', ['--no-progress']);
      timings['sync (resume)'] = Date.now() - started;
      expect([0, 1], resumed.stdout + resumed.stderr).toContain(resumed.code);
      expect(resumed.stdout + resumed.stderr).not.toContain('pk_test_snowflake_secret');

      const [counts] = await wh.query(`select
      (select count(*) from ${rel('klaviyo__profiles')}) as profiles,
      (select count(*) from ${rel('klaviyo__placed_order_events')}) as placed,
      (select count(*) from ${rel('klaviyo__ordered_product_events')}) as ordered`);
      const inKlaviyo = sandbox.inspect();
      const byMetric = (name: string) => inKlaviyo.events.filter((e) => e.metric === name);
      expect(byMetric('Placed Order')).toHaveLength(Number(counts!.placed));
      expect(byMetric('Ordered Product')).toHaveLength(Number(counts!.ordered));
      const [snap] = await wh.query(
        `select count(*) as n from ${state('snapshot')} where sync = 'klaviyo_profiles_rfm'`,
      );
      const [rejected] = await wh.query(
        `select count(distinct key) as n from ${state('rejected')} where sync = 'klaviyo_profiles_rfm'`,
      );
      expect(Number(snap!.n) + Number(rejected!.n)).toBe(Number(counts!.profiles));
      // Every confirmed row is a profile in Klaviyo. Klaviyo may hold a few more: an event upserts
      // the profile it names (https://developers.klaviyo.com/en/reference/create_event), so a person
      // whose profile row the runner rejected (C00023's phone, in the trimmed seeds) but who placed
      // orders is in Klaviyo through their events, never through the profile sync; so is a visitor
      // no person matches, whose browse or checkout events go by email alone (no external id).
      const snapKeys = new Set(
        (await wh.query(`select key from ${state('snapshot')} where sync = 'klaviyo_profiles_rfm'`)).map(
          (r) => String(r.key),
        ),
      );
      const rejectedKeys = new Set(
        (await wh.query(`select key from ${state('rejected')} where sync = 'klaviyo_profiles_rfm'`)).map(
          (r) => String(r.key),
        ),
      );
      expect(inKlaviyo.profiles.filter((p) => snapKeys.has(String(p.external_id)))).toHaveLength(
        snapKeys.size,
      );
      const byEvents = inKlaviyo.profiles.filter((p) => !snapKeys.has(String(p.external_id)));
      const withEvents = new Set(inKlaviyo.events.map((e) => e.profileId));
      const unexplained = (p: (typeof byEvents)[number]) =>
        !withEvents.has(p.id) || (p.external_id !== null && !rejectedKeys.has(String(p.external_id)));
      expect(byEvents.filter(unexplained)).toEqual([]);
      const seen = assertAllValid(sandbox.requests().filter((r) => r.status < 300));
      console.log(
        `Snowflake (${target.kind}): ${Number(counts!.profiles)} profiles, ${Number(counts!.placed)} Placed Order, ${Number(counts!.ordered)} Ordered Product; requests ${JSON.stringify(seen)}`,
      );
    },
    STEP_MS,
  );

  it(
    'sends nothing on a second sync',
    async () => {
      const before = sandbox.requests().length;
      const started = Date.now();
      const again = await runner('sync', ['--no-progress']);
      timings['sync (no change)'] = Date.now() - started;
      expect(again.code, again.stdout + again.stderr).toBe(0);
      expect(writesSince(sandbox, before)).toEqual([]);
    },
    STEP_MS,
  );

  it(
    'sends exactly one update after a model change for one row',
    async () => {
      const profilesSql = path.join(project, 'models', 'klaviyo', 'klaviyo__profiles.sql');
      await writeFile(
        profilesSql,
        (await readFile(profilesSql, 'utf8')).replace(
          'persons.first_name,',
          `case when persons.person_id = 'C00002' then 'Leonora' else persons.first_name end as first_name,`,
        ),
      );
      const ran = await dbt(['run', '--select', 'klaviyo__profiles']);
      expect(ran.code, ran.stdout).toBe(0);
      const planned = await runner('plan', ['--format', 'json', '--select', 'klaviyo_profiles_rfm']);
      const plan = JSON.parse(planned.stdout) as { syncs: { counts: Record<string, number> }[] };
      expect(plan.syncs[0]!.counts).toMatchObject({ create: 0, update: 1, remove: 0 });

      const before = sandbox.requests().length;
      const synced = await runner('sync', ['--no-progress']);
      expect(synced.code, synced.stdout + synced.stderr).toBe(0);
      expect(writesSince(sandbox, before).map((w) => w.operationId)).toEqual(['bulk_import_profiles']);
      expect(sandbox.inspect().profiles.find((p) => p.external_id === 'C00002')!.attributes.first_name).toBe(
        'Leonora',
      );
    },
    STEP_MS,
  );

  it(
    'refuses a sync whose lock a live run holds, with exit 2',
    async () => {
      // This process is alive and beat just now: its lock must hold, whatever the driver returns for
      // a TIMESTAMP column.
      const holder = `${os.hostname()}:${process.pid}`;
      await wh.execute(
        `insert into ${state('locks')} (sync, run_id, holder, acquired_at, heartbeat_at) values ('klaviyo_profiles_rfm', 'run-live', '${holder}', sysdate(), sysdate())`,
      );
      try {
        const before = sandbox.requests().length;
        const refused = await runner('sync', ['--no-progress', '--select', 'klaviyo_profiles_rfm']);
        expect(refused.code, refused.stdout + refused.stderr).toBe(2);
        expect(refused.stderr).toContain('Sync `klaviyo_profiles_rfm` is being run by run run-live');
        expect(writesSince(sandbox, before)).toEqual([]);
        const [lock] = await wh.query(
          `select count(*) as n from ${state('locks')} where run_id = 'run-live'`,
        );
        expect(Number(lock!.n)).toBe(1);
      } finally {
        await wh.execute(`delete from ${state('locks')} where run_id = 'run-live'`);
      }
    },
    STEP_MS,
  );

  it(
    'lets one of two concurrent syncs proceed and refuses the other',
    async () => {
      const [a, b] = await Promise.all([
        runner('sync', ['--no-progress']),
        runner('sync', ['--no-progress']),
      ]);
      // A sync whose lock the other run holds is skipped, named, and sends nothing. Locks are per
      // sync, so each run may be refused a different sync (one holds the profiles, the other the
      // list); no sync may be refused to both, which would leave it run by neither.
      const lockedIn = (r: Ran) =>
        new Set([...(r.stdout + r.stderr).matchAll(/Sync `([^`]+)` is being run by run/g)].map((m) => m[1]!));
      const [lockedA, lockedB] = [lockedIn(a), lockedIn(b)];
      expect(lockedA.size + lockedB.size, a.stdout + b.stdout).toBeGreaterThan(0);
      expect(
        [...lockedA].filter((s) => lockedB.has(s)),
        a.stdout + b.stdout,
      ).toEqual([]);
      const [locks] = await wh.query(`select count(*) as n from ${state('locks')}`);
      expect(Number(locks!.n)).toBe(0);
    },
    STEP_MS,
  );

  it(
    "extracts Klaviyo's data into Snowflake tables and reads them back",
    async () => {
      const extracted = await cli(['extract', '--schema', target.sourceSchema]);
      expect(extracted.code, extracted.stdout + extracted.stderr).toBe(0);
      const inKlaviyo = sandbox.inspect();
      const source = (name: string) => `${target.database}.${target.sourceSchema}.${name}`;
      const [counts] = await wh.query(`select
      (select count(*) from ${source('profiles')}) as profiles,
      (select count(*) from ${source('events')}) as events,
      (select count(*) from ${source('lists')}) as lists`);
      expect({
        profiles: Number(counts!.profiles),
        events: Number(counts!.events),
        lists: Number(counts!.lists),
      }).toEqual({
        profiles: inKlaviyo.profiles.length,
        events: inKlaviyo.events.length,
        lists: inKlaviyo.lists.length,
      });
      const [suppressed] = await wh.query(
        `select count(*) as n from ${source('profiles')} where is_suppressed = true or is_suppressed = false`,
      );
      expect(Number(suppressed!.n)).toBe(inKlaviyo.profiles.length);
    },
    STEP_MS,
  );
});
