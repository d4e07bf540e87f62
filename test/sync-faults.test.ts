/**
 * Never lose, never double: with the sandbox injecting 429 storms, 5xx, connection resets,
 * answers lost after the work was done, stalled and cancelled import jobs, temporary import
 * errors, and what a proxy in front of Klaviyo does (text/plain 400s, HTML 502s, requests never
 * answered, bodies trickling in past the deadline, bodies over its size limit refused), and with a run killed (SIGKILL) while an import
 * job is in flight, repeated runs converge to exactly the models' state, with no duplicate event.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../runner/sandbox/server.ts';
import { queryDuckDb } from './helpers/duckdb.ts';
import { copyDemoProject, repoRoot, runCli, runDbt } from './helpers/dbt.ts';
import { assertAllValid } from './helpers/openapi-contract.ts';
import { writesSince } from './helpers/sandbox.ts';

async function modelCounts(db: string) {
  const [row] = await queryDuckDb(
    db,
    `select
      (select count(*)::integer from main.klaviyo__placed_order_events) as placed,
      (select count(*)::integer from main.klaviyo__ordered_product_events) as ordered,
      (select count(*)::integer from main.klaviyo__profiles) as profiles`,
  );
  return row as { placed: number; ordered: number; profiles: number };
}

function expectConverged(
  sandbox: RunningSandbox,
  counts: { placed: number; ordered: number; profiles: number },
) {
  const state = sandbox.inspect();
  for (const [metric, n] of [
    ['Placed Order', counts.placed],
    ['Ordered Product', counts.ordered],
  ] as const) {
    const events = state.events.filter((e) => e.metric === metric);
    expect(events).toHaveLength(n);
    expect(new Set(events.map((e) => `${e.profileId}|${e.uniqueId}`)).size).toBe(n);
    // Every event of the first load, however many runs it took, went as a backfill: no flow fired.
    expect(events.every((e) => e.backfill)).toBe(true);
  }
  // Every profile row is a Klaviyo profile carrying its RFM segment (five without their impossible phones).
  expect(
    state.profiles.filter(
      (p) => typeof p.properties.rfm_segment === 'string' || p.properties.order_count !== undefined,
    ),
  ).toHaveLength(counts.profiles);
}

let sandbox: RunningSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

describe('sync under faults', () => {
  // A dbt build and up to nine runs of ten syncs under faults (hung requests cost a request
  // timeout each): more than the default timeout on a busy machine.
  it('converges through 429 storms, 5xx, resets, lost answers, stalled and cancelled jobs, and proxy faults', async () => {
    const project = await copyDemoProject();
    expect((await runDbt(project, ['build'])).code).toBe(0);
    sandbox = await startSandbox({
      rateLimits: 'off',
      jobDelayMs: 30,
      faults: {
        seed: 7,
        throttle: 0.1,
        serverError: 0.08,
        reset: 0.05,
        lostAnswer: 0.1,
        // The one create the runner makes: always lost, so the run must find its list, not make two.
        perOperation: { create_list: { lostAnswer: 1 } },
        stallJob: 0.5,
        stallMs: 2500,
        failJob: 0.2,
        importRowError: 0.03,
        proxyBadRequest: 0.06,
        gatewayError: 0.06,
        hang: 0.03,
        slowBody: 0.04,
        // Past an attempt's deadline (twice --request-timeout): the runner gives up on the answer.
        slowBodyMs: 5000,
      },
    });
    const env = { KLAVIYO_BASE_URL: sandbox.url, KLAVIYO_API_KEY: 'pk_faults' };
    const codes: number[] = [];
    for (let i = 0; i < 8; i++) {
      const ran = await runCli(
        ['sync', '--project-dir', project, '--no-progress', '--job-timeout', '1', '--request-timeout', '2'],
        env,
      );
      codes.push(ran.code);
      // 2: Klaviyo gave no answer of its own for 6 s (hangs and 502s in a row): the run stopped.
      expect([0, 1, 2], ran.stderr).toContain(ran.code);
      const results = JSON.parse(
        await import('node:fs/promises').then((fs) =>
          fs.readFile(path.join(project, 'target', 'klaviyo_run_results.json'), 'utf8'),
        ),
      ) as { results: { counts: { failed: number }; status: string; message: string }[] };
      if (results.results.every((r) => r.counts.failed === 0 && r.status !== 'error' && r.message === ''))
        break;
    }
    // The proxy faults were met: a text/plain 400, an HTML 502, a request never answered.
    const met = sandbox.requests();
    expect(met.some((r) => r.status === 400 && r.responseBody === undefined)).toBe(true);
    expect(met.some((r) => r.status === 502)).toBe(true);
    expect(met.some((r) => r.status === -1)).toBe(true);
    sandbox.setFaults({});
    const final = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
    expect(final.code, final.stderr).toBe(0);
    expectConverged(sandbox, await modelCounts(path.join(project, 'target', 'demo.duckdb')));
    // create_list is not idempotent: however its answers were lost, one Winback list exists.
    expect(sandbox.inspect().lists.filter((l) => l.name === 'Winback')).toHaveLength(1);
    assertAllValid(
      sandbox.requests().filter((r) => r.status > 0),
      { responses: false },
    );
    expect(codes.length).toBeGreaterThan(0);
  }, 600_000);

  it('lands every row in one run through a proxy that refuses bodies over 128 KB', async () => {
    const project = await copyDemoProject();
    expect((await runDbt(project, ['build'])).code).toBe(0);
    sandbox = await startSandbox({
      rateLimits: 'off',
      jobDelayMs: 20,
      faults: { proxyBodyLimit: 128 * 1024 },
    });
    const env = { KLAVIYO_BASE_URL: sandbox.url, KLAVIYO_API_KEY: 'pk_proxy' };
    const ran = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
    expect(ran.code, ran.stderr).toBe(0);
    // The first batch refused whole was halved until its parts passed; the run learnt the limit
    // from them (klaviyo/body-limit.ts) and cut the batches after it to fit: a few refusals, not
    // one or more for each of the demo's dozens of batches.
    const refused = sandbox.requests().filter((r) => r.status === 413);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.length).toBeLessThanOrEqual(8);
    expectConverged(sandbox, await modelCounts(path.join(project, 'target', 'demo.duckdb')));
    const before = sandbox.requests().length;
    expect((await runCli(['sync', '--project-dir', project, '--no-progress'], env)).code).toBe(0);
    expect(writesSince(sandbox, before)).toEqual([]);
  }, 300_000);

  it('resumes the import job of a run killed with SIGKILL instead of sending the profiles again', async () => {
    const project = await copyDemoProject();
    expect((await runDbt(project, ['build'])).code).toBe(0);
    sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 1500 });
    const env = { ...process.env, KLAVIYO_BASE_URL: sandbox.url, KLAVIYO_API_KEY: 'pk_kill' };
    const child = spawn(
      process.execPath,
      [path.join(repoRoot, 'bin', 'klaviyo-runner.js'), 'sync', '--project-dir', project, '--no-progress'],
      { env, stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => child.on('exit', resolve));
    // Killed mid-poll: the runner polls a job only once it has recorded it (objects/profile.ts), so
    // the first poll, not a pause of a set length, says the record is there, however busy the machine.
    const deadline = Date.now() + 60_000;
    while (!sandbox.requests().some((r) => r.operationId === 'get_bulk_import_profiles_job')) {
      if (Date.now() > deadline) throw new Error('the run never polled its import job');
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await exited;

    const again = await runCli(['sync', '--project-dir', project, '--no-progress'], {
      KLAVIYO_BASE_URL: sandbox.url,
      KLAVIYO_API_KEY: 'pk_kill',
    });
    // Nothing is rejected: the five impossible phones are dropped from profiles that are sent.
    expect(again.code, again.stderr).toBe(0);
    const imports = sandbox.requests().filter((r) => r.operationId === 'bulk_import_profiles');
    expect(imports).toHaveLength(1);
    expectConverged(sandbox, await modelCounts(path.join(project, 'target', 'demo.duckdb')));
    const third = await runCli(['sync', '--project-dir', project, '--no-progress'], {
      KLAVIYO_BASE_URL: sandbox.url,
      KLAVIYO_API_KEY: 'pk_kill',
    });
    expect(third.code, third.stderr).toBe(0);
  });

  it('stops at once on a refused key, and never prints the key', async () => {
    const project = await copyDemoProject();
    expect((await runDbt(project, ['build'])).code).toBe(0);
    sandbox = await startSandbox({ rateLimits: 'off', apiKeys: ['pk_the_right_key'] });
    const ran = await runCli(['sync', '--project-dir', project, '--no-progress'], {
      KLAVIYO_BASE_URL: sandbox.url,
      KLAVIYO_API_KEY: 'pk_wrong_secret_value',
    });
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('Klaviyo refused the API key (401)');
    expect(ran.stdout + ran.stderr).not.toContain('pk_wrong_secret_value');
    // The first refused request ended the run: nothing else was tried.
    expect(sandbox.requests().filter((r) => r.path.startsWith('/api/'))).toHaveLength(1);
  });

  it('refuses to run while another process holds the warehouse, with a clear message', async () => {
    const project = await copyDemoProject();
    expect((await runDbt(project, ['build'])).code).toBe(0);
    const holder = await DuckDBInstance.create(path.join(project, 'target', 'demo.duckdb'));
    try {
      const ran = await runCli(['sync', '--project-dir', project, '--no-progress'], {
        KLAVIYO_BASE_URL: 'http://127.0.0.1:9',
        KLAVIYO_API_KEY: 'pk_x',
      });
      expect(ran.code).toBe(2);
      expect(ran.stderr).toContain(
        'is in use by another process (a running dbt build or klaviyo-runner). Wait for it to finish and run again.',
      );
    } finally {
      holder.closeSync();
    }
  });
});
