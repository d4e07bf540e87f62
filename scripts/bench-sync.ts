/**
 * Sync benchmark: a first sync of 100,000 profiles, 100,000 Placed Order events and a
 * 10,000-member list against the sandbox at Klaviyo's published rate limits, with import jobs that
 * finish at once, so only the runner and the limits count. The sandbox runs in its own process;
 * the sync runs in another, so its CPU and peak RSS are its own.
 *
 * The sync runs as a user runs it: the shipped CLI (dist/, built first from the sources as they
 * are), in a process of its own (scripts/bench-probe.js reports its CPU and memory).
 *
 * Prints the sync's wall time against the rate-limit floor (the minimum requests the batch limits
 * allow, at each tier's limits, from runner/klaviyo/limits.ts), the runner's CPU per row, its
 * peak RSS, and the requests made against that minimum.
 *
 * The CPU is printed three ways: the sync process in all (every thread: JavaScript, GC helpers,
 * DuckDB's workers), its main thread alone (where the runner's JavaScript runs, and DuckDB's client
 * calls: row conversion, appender flushes), and net of the warehouse's own time. That reference is
 * measured in the same run, in a process of its own on the same file before the sync: each sync's
 * diff streamed out as the runner streams it, and the rows a first sync confirms written into a
 * copy of the snapshot by the warehouse itself (INSERT … SELECT), with no runner logic between.
 *
 *   npm run bench:sync                 # 100,000 profiles and events, 10,000 members
 *   npm run bench:sync -- 20000        # another size (members: a tenth of it)
 *   BENCH_SYNC_PROFILE=/tmp/prof npm run bench:sync   # and a CPU profile of the sync's process
 *   BENCH_SYNC_JOB_DELAY=4000 npm run bench:sync      # import jobs that take 8 s, as Klaviyo's can
 *   BENCH_SYNC_NODE_FLAGS=--single-threaded-gc npm run bench:sync   # Node or V8 flags for the sync
 *   BENCH_SYNC_SANDBOX_NODE_FLAGS='--import ./probe.mjs' npm run bench:sync   # and for the sandbox
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { batches, LIMITS, secondsFor, type Tier } from '../runner/klaviyo/limits.ts';
import { OPERATIONS, type OperationId } from '../runner/klaviyo/operations.ts';
import { loadSyncs } from '../runner/manifest/load.ts';
import { openWarehouse } from '../runner/source/open.ts';
import { diffSql } from '../runner/state/diff.ts';
import { ensureStateSchema, stateOf } from '../runner/state/schema.ts';
import { cpuNow, cpuSince, otherThreads, processCpu, type Cpu } from './bench-cpu.ts';
import { timeline } from './bench-timeline.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

const V12 = 'https://schemas.getdbt.com/dbt/manifest/v12.json';

const model = (name: string) => ({
  unique_id: `model.bench.${name}`,
  name,
  resource_type: 'model',
  package_name: 'bench',
  original_file_path: `models/${name}.sql`,
  relation_name: `"bench"."main"."${name}"`,
  config: { materialized: 'table' },
});

const exposure = (name: string, modelName: string, klaviyo: Record<string, unknown>) => ({
  unique_id: `exposure.bench.${name}`,
  name,
  original_file_path: 'models/exposures.yml',
  type: 'application',
  depends_on: { nodes: [`model.bench.${modelName}`] },
  config: { meta: { klaviyo }, tags: ['klaviyo'] },
});

/** A project with three syncs over tables built straight in DuckDB (no dbt run needed). */
async function setup(dir: string, rows: number): Promise<void> {
  const members = Math.ceil(rows / 10);
  mkdirSync(path.join(dir, 'target'), { recursive: true });
  writeFileSync(path.join(dir, 'dbt_project.yml'), 'name: bench\nprofile: bench\nversion: "1.0"\n');
  writeFileSync(
    path.join(dir, 'profiles.yml'),
    'bench:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: bench.duckdb\n',
  );
  const manifest = {
    metadata: { dbt_schema_version: V12, dbt_version: '1.10.0' },
    nodes: Object.fromEntries(
      ['bench_profiles', 'bench_orders', 'bench_members'].map((n) => [`model.bench.${n}`, model(n)]),
    ),
    exposures: {
      'exposure.bench.bench_profiles': exposure('bench_profiles', 'bench_profiles', {
        object: 'profile',
        key: 'person_id',
        identity: { email: 'email', phone_number: 'phone_number', external_id: 'person_id' },
        attributes: { first_name: 'first_name', last_name: 'last_name', city: 'city', country: 'country' },
        properties: ['rfm_segment', 'rfm_score', 'predicted_ltv', 'order_count', 'last_order_at'],
      }),
      'exposure.bench.bench_orders': exposure('bench_orders', 'bench_orders', {
        object: 'event',
        metric: 'Placed Order',
        key: 'order_id',
        identity: { email: 'email', external_id: 'person_id' },
        time: 'ordered_at',
        value: 'total',
        value_currency: 'currency',
        properties: ['item_count', 'channel', 'discount_code'],
      }),
      'exposure.bench.bench_list': exposure('bench_list', 'bench_members', {
        object: 'list_membership',
        key: 'person_id',
        identity: { email: 'email', external_id: 'person_id' },
        list: { name: 'Bench VIPs' },
      }),
    },
  };
  writeFileSync(path.join(dir, 'target', 'manifest.json'), JSON.stringify(manifest));
  const instance = await DuckDBInstance.create(path.join(dir, 'bench.duckdb'));
  const conn = await instance.connect();
  const person = `'P' || lpad(cast(i as varchar), 8, '0')`;
  await conn.run(`create table bench_profiles as
    select ${person} as person_id, 'person' || i || '@example.com' as email,
      '+1212' || cast(2000000 + (i % 7000000) as varchar) as phone_number,
      'First' || (i % 997) as first_name, 'Last' || (i % 991) as last_name,
      ['Brooklyn', 'Austin', 'Portland', 'London'][1 + i % 4] as city,
      case when i % 4 = 3 then 'GB' else 'US' end as country,
      ['champions', 'loyal', 'at_risk', 'hibernating', 'lost'][1 + i % 5] as rfm_segment,
      cast(1 + i % 5 as varchar) || cast(1 + (i * 7) % 5 as varchar) as rfm_score,
      round((i % 5000) / 7.0, 2) as predicted_ltv, i % 40 as order_count,
      timestamp '2026-01-01' - to_days(i % 700) as last_order_at
    from range(${rows}) t(i)`);
  await conn.run(`create table bench_orders as
    select 'O' || lpad(cast(i as varchar), 8, '0') as order_id, 'P' || lpad(cast(i % ${rows} as varchar), 8, '0') as person_id,
      'person' || (i % ${rows}) || '@example.com' as email,
      timestamp '2026-01-01' - to_minutes(i * 3) as ordered_at,
      round(10 + (i % 9000) / 7.0, 2) as total, 'USD' as currency, 1 + i % 6 as item_count,
      ['web', 'app', 'store'][1 + i % 3] as channel, case when i % 10 = 0 then 'WINTER' end as discount_code
    from range(${rows}) t(i)`);
  await conn.run(`create table bench_members as
    select ${person} as person_id, 'person' || i || '@example.com' as email
    from range(${members}) t(i)`);
  conn.closeSync();
  instance.closeSync();
}

/** The fewest requests the batch limits allow for this sync, by operation. */
function minimumRequests(rows: number): Record<string, number> {
  const members = Math.ceil(rows / 10);
  const jobs = batches(rows, LIMITS.profilesPerImportJob);
  return {
    bulk_import_profiles: jobs,
    // At least one look at each job to learn it finished.
    get_bulk_import_profiles_job: jobs,
    bulk_create_events: batches(rows, LIMITS.eventsPerBulkRequest),
    get_lists: 1,
    create_list: 1,
    // Members are added by profile id, which a first sync looks up by email.
    get_profiles: Math.ceil(members / LIMITS.profilesPerLookup),
    add_profiles_to_list: batches(members, LIMITS.profilesPerListRequest),
  };
}

/** Seconds the requests need at the published limits: tiers side by side, the slowest sets the time. */
function floorSeconds(requests: Record<string, number>): number {
  const perTier = new Map<Tier, number>();
  for (const [op, n] of Object.entries(requests)) {
    const tier = OPERATIONS[op as OperationId].tier;
    perTier.set(tier, (perTier.get(tier) ?? 0) + n);
  }
  return Math.max(...[...perTier].map(([tier, n]) => secondsFor(n, tier)));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`the sandbox at ${url} did not start`);
}

/**
 * The warehouse's own share, with no runner logic: per sync, the diff streamed out as the runner
 * streams it (row objects, same chunks), then the rows to confirm written by the warehouse from the
 * diff into a scratch copy of the snapshot, which is dropped after.
 */
async function runReference(dir: string): Promise<void> {
  const project = await loadSyncs({ projectDir: dir, select: [], exclude: [] });
  const wh = await openWarehouse(project.connection);
  const state = stateOf(wh, project.stateSchema, project.stateDatabase);
  await ensureStateSchema(state);
  const scratch = state.table('snapshot').replace(/"snapshot"$/, '"bench_reference"');
  await wh.execute(
    `create or replace table ${scratch} as select * from ${state.table('snapshot')} where 1 = 0`,
  );
  const start = cpuNow();
  const started = performance.now();
  let streamed = 0;
  for (const spec of project.specs) {
    const { sql } = diffSql(state, spec);
    for await (const chunk of wh.stream(
      `select * from (${sql}) as diff where kind not in ('unchanged', 'rejected')`,
    ))
      streamed += chunk.length;
    await wh.execute(
      `insert into ${scratch} (sync, key, row_hash, row_json, klaviyo_profile_id, confirmed_at, run_id)
       select ${wh.dialect.literal(spec.name)}, key, hash, row_json, profile_id, ${wh.dialect.nowUtc}, 'reference'
       from (${sql}) as diff where kind in ('create', 'update')`,
    );
  }
  const wall = (performance.now() - started) / 1000;
  const cpu = cpuSince(start);
  await wh.execute(`drop table ${scratch}`);
  await wh.close();
  console.log(JSON.stringify({ wall, cpu, streamed }));
}

/** What the sync's process cost, as scripts/bench-probe.js reports it, and its wall time. */
interface SyncRun {
  /** When the process was started, on this machine's clock (ms since the epoch). */
  startedAtMs: number;
  wall: number;
  cpu: Cpu;
  peakRssMb: number;
  heapPeakMb: number;
  /** The sampled moment of highest RSS, broken down (scripts/bench-probe.js). */
  atRssPeakMb?: { rss: number; heapTotal: number; external: number };
  exitCode: number | null;
}

/**
 * The sync as a user runs it: the shipped CLI (`npm run build`'s dist/, what `npm install` gives),
 * `klaviyo-runner sync` in a process of its own, so its CPU and peak RSS are its own, start-up
 * included, and its wall time is from the process's start to its exit.
 */
async function runShipped(
  dir: string,
  env: NodeJS.ProcessEnv,
  profile: string | undefined,
): Promise<SyncRun> {
  const report = path.join(dir, 'probe.json');
  const startedAtMs = Date.now();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...(profile === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profile]),
      ...(process.env.BENCH_SYNC_NODE_FLAGS?.split(' ').filter((flag) => flag !== '') ?? []),
      '--import',
      pathToFileURL(path.join(ROOT, 'scripts', 'bench-probe.js')).href,
      path.join(ROOT, 'dist', 'cli.js'),
      'sync',
      '--project-dir',
      dir,
      '--no-progress',
    ],
    { stdio: ['ignore', 'inherit', 'inherit'], env: { ...env, BENCH_PROBE_OUT: report } },
  );
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
  const wall = (performance.now() - started) / 1000;
  const probed = JSON.parse(readFileSync(report, 'utf8')) as Omit<SyncRun, 'wall' | 'exitCode'>;
  return { ...probed, startedAtMs, wall, exitCode };
}

/** Klaviyo requests by operation, summed over the syncs of the run's results. */
function requestsOf(dir: string): { status: string; requests: Record<string, number>; syncs: unknown[] } {
  const results = JSON.parse(readFileSync(path.join(dir, 'target', 'klaviyo_run_results.json'), 'utf8')) as {
    status: string;
    results: { sync: string; status: string; execution_time: number; requests: Record<string, number> }[];
  };
  const requests: Record<string, number> = {};
  for (const r of results.results)
    for (const [op, n] of Object.entries(r.requests)) requests[op] = (requests[op] ?? 0) + n;
  return {
    status: results.status,
    requests,
    syncs: results.results.map((r) => ({ sync: r.sync, status: r.status, seconds: r.execution_time })),
  };
}

const [, , mode, dirArg] = process.argv;
if (mode === 'reference') {
  await runReference(dirArg!);
} else {
  const rows = Number(mode ?? 100_000);
  const members = Math.ceil(rows / 10);
  // The shipped bundle, built from the sources as they are now (scripts/build.ts).
  execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'build.ts')], {
    stdio: 'ignore',
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kr-bench-sync-'));
  await setup(dir, rows);
  const port = await freePort();
  const sandbox = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_SYNC_SANDBOX_NODE_FLAGS?.split(' ').filter((flag) => flag !== '') ?? []),
      path.join(ROOT, 'dist', 'cli.js'),
      'sandbox',
      '--port',
      String(port),
      '--rate-limits',
      'klaviyo',
      '--job-delay',
      // Import jobs finish at once unless BENCH_SYNC_JOB_DELAY says how long each stays queued,
      // then processing (ms): Klaviyo takes seconds to minutes, which the floor does not count.
      process.env.BENCH_SYNC_JOB_DELAY ?? '0',
    ],
    { stdio: 'ignore' },
  );
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitFor(url);
    console.log(
      `Sync benchmark: ${rows.toLocaleString('en-US')} profiles, ${rows.toLocaleString('en-US')} events, ${members.toLocaleString('en-US')} list members (${dir}), load average ${os.loadavg()[0]!.toFixed(1)}`,
    );
    const env = { ...process.env, KLAVIYO_BASE_URL: url, KLAVIYO_API_KEY: 'pk_bench' };
    const reference = JSON.parse(
      execFileSync(process.execPath, ['--import', 'tsx', import.meta.filename, 'reference', dir], {
        encoding: 'utf8',
        env,
      })
        .trim()
        .split('\n')
        .pop()!,
    ) as { wall: number; cpu: Cpu; streamed: number };
    // BENCH_SYNC_PROFILE=<dir> writes a V8 CPU profile of the sync's process there.
    const sandboxBefore = processCpu(sandbox.pid!);
    const run = await runShipped(dir, env, process.env.BENCH_SYNC_PROFILE);
    // The sandbox answers on the same cores: its CPU during the sync is time the runner could not have.
    const sandboxCpu = processCpu(sandbox.pid!) - sandboxBefore;
    if (run.exitCode !== 0) throw new Error(`the sync exited with ${run.exitCode}`);
    const { status, requests, syncs } = requestsOf(dir);
    const minimum = minimumRequests(rows);
    const floor = floorSeconds(minimum);
    const made = Object.values(requests).reduce((a, n) => a + n, 0);
    const least = Object.values(minimum).reduce((a, n) => a + n, 0);
    const perRow = (seconds: number) => ((seconds * 1e6) / (2 * rows + members)).toFixed(1);
    const net = run.cpu.total - reference.cpu.total;
    const netMain = run.cpu.main - reference.cpu.main;
    console.log(JSON.stringify({ status, syncs }));
    console.log(JSON.stringify({ requests, minimum }));
    console.log(
      [
        `wall ${run.wall.toFixed(2)} s (the process, start-up included) / floor ${floor.toFixed(2)} s = ${(run.wall / floor).toFixed(2)} (target ≤ 1.2)`,
        `runner CPU ${run.cpu.total.toFixed(2)} s = ${perRow(run.cpu.total)} µs/row (target ≤ 10, warehouse included)`,
        `  main thread ${run.cpu.main.toFixed(2)} s = ${perRow(run.cpu.main)} µs/row (the runner's JavaScript, GC pauses and DuckDB client calls); other threads ${(run.cpu.total - run.cpu.main).toFixed(2)} s: ${otherThreads(run.cpu)}`,
        `  warehouse reference ${reference.cpu.total.toFixed(2)} s (main thread ${reference.cpu.main.toFixed(2)} s, wall ${reference.wall.toFixed(2)} s): the ${reference.streamed.toLocaleString('en-US')} diff rows streamed out and the confirmed rows written by INSERT … SELECT, no runner logic`,
        `  net of the warehouse ${net.toFixed(2)} s = ${perRow(net)} µs/row (target ≤ 10); main thread net ${netMain.toFixed(2)} s = ${perRow(netMain)} µs/row`,
        `  the sandbox (Klaviyo's stand-in, on the same ${os.availableParallelism()} cores) used ${sandboxCpu.toFixed(2)} s of CPU meanwhile`,
        `peak RSS ${run.peakRssMb.toFixed(0)} MB (target ≤ 300); JavaScript heap peak ${run.heapPeakMb.toFixed(0)} MB (sampled every 50 ms)`,
        ...(run.atRssPeakMb === undefined
          ? []
          : [
              `  at the highest RSS sampled (${run.atRssPeakMb.rss.toFixed(0)} MB): V8's heap ${run.atRssPeakMb.heapTotal.toFixed(0)} MB reserved, Buffers ${run.atRssPeakMb.external.toFixed(0)} MB, the rest ${(run.atRssPeakMb.rss - run.atRssPeakMb.heapTotal - run.atRssPeakMb.external).toFixed(0)} MB (DuckDB, code, allocators' free lists)`,
            ]),
        `requests ${made} / minimum ${least} = ${(made / least).toFixed(2)}`,
        await timeline(url, run.startedAtMs, run.wall),
      ].join('\n'),
    );
  } finally {
    sandbox.kill();
    // The run's database and project are scratch: gone with the run, failed or not.
    rmSync(dir, { recursive: true, force: true });
  }
}
