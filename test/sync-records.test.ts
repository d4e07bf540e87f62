/**
 * Every run records itself as what it was, whatever stopped it: a refused key, an unreachable
 * Klaviyo (a closed port, a server that never answers), another run's lock, SIGTERM. The `runs`
 * row and `target/klaviyo_run_results.json` carry the true status, locks are released, and the
 * exit code matches. Real dbt on DuckDB, the real CLI, the sandbox over HTTP.
 */
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../runner/sandbox/server.ts';
import { queryDuckDb } from './helpers/duckdb.ts';
import { copyDemoProject, repoRoot, runCli, runDbt } from './helpers/dbt.ts';

interface Results {
  status: string;
  message: string;
  metadata: { run_id: string; klaviyo_base_url: string };
  results: { sync: string; status: string; message: string }[];
}

let built: string;
beforeAll(async () => {
  built = await copyDemoProject();
  const ran = await runDbt(built, ['build']);
  if (ran.code !== 0) throw new Error(`dbt build failed:\n${ran.stdout}`);
});

/** A fresh copy of the built demo project, so each test starts from no sync state. */
async function project(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'klaviyo-runner-records-'));
  await cp(built, dir, { recursive: true });
  return dir;
}

const results = async (dir: string) =>
  JSON.parse(await readFile(path.join(dir, 'target', 'klaviyo_run_results.json'), 'utf8')) as Results;
const runs = (dir: string) =>
  queryDuckDb(
    path.join(dir, 'target', 'demo.duckdb'),
    'select run_id, status, summary_json from klaviyo_runner.runs order by started_at',
  );
const locks = (dir: string) =>
  queryDuckDb(path.join(dir, 'target', 'demo.duckdb'), 'select * from klaviyo_runner.locks');

/**
 * The sync that went first met the fault (`error`); every other one was never run (`skipped`).
 * On a first load the demo's first event sync by name (added to cart) goes first: until Klaviyo
 * answers, the sync with the smallest batches goes alone (sync/schedule.ts), events 1,000 a
 * request, profiles 10,000 a job.
 */
const notRunAfterFirst = (results: Results['results']) =>
  results.map((r) => (r.sync === 'klaviyo_added_to_cart' ? 'error' : 'skipped'));

let sandbox: RunningSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

describe('honest records', () => {
  it('records a run stopped by a refused key as error, in runs and a results file of its own', async () => {
    const dir = await project();
    sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 5, apiKeys: ['pk_right'] });
    // The first run syncs the profiles only, so the second has events to send when it meets the refused key.
    // The demo's five impossible phones are dropped and reported, their profiles sent by email: a success.
    const good = await runCli(['sync', '--project-dir', dir, '--no-progress', '-s', 'klaviyo_profiles_rfm'], {
      KLAVIYO_BASE_URL: sandbox.url,
      KLAVIYO_API_KEY: 'pk_right',
    });
    expect(good.code, good.stdout + good.stderr).toBe(0);
    const first = await results(dir);

    const refused = await runCli(['sync', '--project-dir', dir, '--no-progress'], {
      KLAVIYO_BASE_URL: sandbox.url,
      KLAVIYO_API_KEY: 'pk_wrong',
    });
    expect(refused.code).toBe(2);
    const second = await results(dir);
    expect(second.metadata.run_id).not.toBe(first.metadata.run_id);
    expect(second.status).toBe('error');
    expect(second.message).toContain('Klaviyo refused the API key (401)');
    // The first event sync's first load went first and met the 401; the rest never ran, the profiles too.
    const statuses = second.results.map((r) => r.status);
    expect(statuses).toEqual(notRunAfterFirst(second.results));
    expect(second.results[0]!.message).toMatch(/^not run: Klaviyo refused the API key \(401\)/);
    expect(second.results[2]!.message).toMatch(/^not run: Klaviyo refused the API key \(401\)/);
    const recorded = await runs(dir);
    expect(recorded.map((r) => r.status)).toEqual(['success', 'error']);
    expect(JSON.parse(String(recorded[1]!.summary_json))).toHaveLength(statuses.length);
    expect(await locks(dir)).toEqual([]);
  });

  it('reports a sync skipped for another run’s lock as skipped everywhere, with exit 2', async () => {
    const dir = await project();
    sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 5 });
    const env = { KLAVIYO_BASE_URL: sandbox.url, KLAVIYO_API_KEY: 'pk_lock' };
    // The first run sends everything (the five impossible phones are dropped and reported): exit 0.
    const first = await runCli(['sync', '--project-dir', dir, '--no-progress'], env);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    // A live run (this test's own process) holds one sync's lock.
    await queryDuckDb(
      path.join(dir, 'target', 'demo.duckdb'),
      `insert into klaviyo_runner.locks (sync, run_id, holder, acquired_at, heartbeat_at)
       values ('klaviyo_placed_orders', 'other-run', '${os.hostname()}:${process.pid}', now()::timestamp, now()::timestamp)`,
    );
    const ran = await runCli(['sync', '--project-dir', dir, '--no-progress'], env);
    expect(ran.code).toBe(2);
    expect(ran.stdout).toMatch(/^klaviyo-runner sync skipped in /);
    const out = await results(dir);
    expect(out.status).toBe('skipped');
    expect(out.results.find((r) => r.sync === 'klaviyo_placed_orders')!.status).toBe('skipped');
    expect((await runs(dir)).map((r) => r.status)).toEqual(['success', 'skipped']);
  });

  it('stops at the first sync when Klaviyo is a closed port, and records the rest as not run', async () => {
    const dir = await project();
    const started = Date.now();
    const ran = await runCli(['sync', '--project-dir', dir, '--no-progress', '--request-timeout', '1'], {
      KLAVIYO_BASE_URL: 'http://user:hunter2@127.0.0.1:9',
      KLAVIYO_API_KEY: 'pk_closed',
    });
    expect(ran.code).toBe(2);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(ran.stderr).toContain('Klaviyo at http://127.0.0.1:9 has been unreachable for');
    expect(ran.stdout + ran.stderr).not.toContain('hunter2');
    const out = await results(dir);
    expect(out.metadata.klaviyo_base_url).toBe('http://127.0.0.1:9');
    expect(JSON.stringify(out)).not.toContain('hunter2');
    expect(out.results.map((r) => r.status)).toEqual(notRunAfterFirst(out.results));
    expect((await runs(dir)).map((r) => r.status)).toEqual(['error']);
  });

  it('gives up on a Klaviyo that accepts connections and never answers, within 3 request timeouts', async () => {
    const dir = await project();
    const sockets = new Set<Socket>();
    const silent: Server = createServer(() => undefined);
    silent.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      const ran = await runCli(['sync', '--project-dir', dir, '--no-progress', '--request-timeout', '1'], {
        KLAVIYO_BASE_URL: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
        KLAVIYO_API_KEY: 'pk_silent',
      });
      const took = Date.now() - started;
      expect(ran.code).toBe(2);
      expect(ran.stderr).toMatch(/has been unreachable for \d+ s/);
      // 3 s of silence, one attempt's deadline (2 s) past it, and the CLI's own start.
      expect(took).toBeLessThan(15_000);
      const out = await results(dir);
      expect(out.results.map((r) => r.status)).toEqual(notRunAfterFirst(out.results));
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('refuses an invalid KLAVIYO_BASE_URL at once, and still writes the run down', async () => {
    const dir = await project();
    const started = Date.now();
    const ran = await runCli(['sync', '--project-dir', dir, '--no-progress'], {
      KLAVIYO_BASE_URL: 'localhost:8787',
      KLAVIYO_API_KEY: 'pk_x',
    });
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain(
      'error: KLAVIYO_BASE_URL must be an http:// or https:// URL, got "localhost:8787".',
    );
    // No request, no retry: the time is the CLI's start and reading the manifest.
    expect(Date.now() - started).toBeLessThan(20_000);
    const out = await results(dir);
    expect(out.status).toBe('error');
    expect(out.results.every((r) => r.status === 'skipped')).toBe(true);
  });

  it('replaces the results file even when the run stops before its syncs are known', async () => {
    const dir = await project();
    const file = path.join(dir, 'target', 'klaviyo_run_results.json');
    await writeFile(file, JSON.stringify({ status: 'success', message: '', metadata: { run_id: 'old' } }));
    const ran = await runCli(['sync', '--project-dir', dir, '--no-progress', '-s', 'no_such_sync'], {
      KLAVIYO_API_KEY: 'pk_x',
    });
    expect(ran.code).toBe(2);
    const out = await results(dir);
    expect(out.metadata.run_id).not.toBe('old');
    expect(out.status).toBe('error');
    expect(out.message).toContain('no_such_sync');
  });

  it('on SIGTERM releases its locks and records the run as interrupted; the next run finishes', async () => {
    const dir = await project();
    sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 4000 });
    const env = { ...process.env, KLAVIYO_BASE_URL: sandbox.url, KLAVIYO_API_KEY: 'pk_term' };
    const child = spawn(
      process.execPath,
      [path.join(repoRoot, 'bin', 'klaviyo-runner.js'), 'sync', '--project-dir', dir, '--no-progress'],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const deadline = Date.now() + 60_000;
    while (!sandbox.requests().some((r) => r.operationId === 'bulk_import_profiles' && r.status === 202)) {
      if (Date.now() > deadline) throw new Error('the run never submitted its import job');
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 300));
    const signalled = Date.now();
    child.kill('SIGTERM');
    expect(await exited, stderr).toBe(2);
    expect(Date.now() - signalled).toBeLessThan(8000);
    expect(stderr).toContain('interrupted by SIGTERM');
    const out = await results(dir);
    expect(out.status).toBe('interrupted');
    expect(out.results[0]!.status).toBe('interrupted');
    expect((await runs(dir)).map((r) => r.status)).toEqual(['interrupted']);
    expect(await locks(dir)).toEqual([]);

    sandbox.setFaults({});
    const again = await runCli(['sync', '--project-dir', dir, '--no-progress'], {
      KLAVIYO_BASE_URL: sandbox.url,
      KLAVIYO_API_KEY: 'pk_term',
    });
    // The interrupted run recorded the five impossible phones as rejected: nothing left to reject.
    expect(again.code, again.stderr).toBe(0);
    // The interrupted run's import job was resumed, not sent again.
    expect(sandbox.requests().filter((r) => r.operationId === 'bulk_import_profiles')).toHaveLength(1);
  });
});

afterAll(() => undefined);
