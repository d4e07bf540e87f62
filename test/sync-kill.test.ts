/**
 * kill -9 at any moment, then run again: a seeded sequence of real CLI runs against one sandbox
 * with faults on (429 storms, 5xx, resets, stalled and cancelled import jobs, and what a proxy in
 * front of Klaviyo does: text/plain 400s, HTML 502s, requests never answered, answers whose body
 * trickles in past the request deadline), each run killed with
 * SIGKILL at a seeded moment in a chosen phase (starting up, the profile import, reading the
 * import's results back, the event batches, the list sync, the last snapshot writes). Between
 * runs the warehouse state is read (read-only, so recovery is left to the runner) and every run is
 * checked against it: nothing the snapshot holds is sent again, and a recorded import job is
 * polled by its id before any profile is imported. Then one run with faults off must converge to
 * exactly the models' state, the snapshot must agree with what Klaviyo holds, and one more run
 * must send no write at all.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../runner/sandbox/seeded-random.ts';
import { startSandbox, type RecordedRequest, type RunningSandbox } from '../runner/sandbox/server.ts';
import { copyDemoProject, repoRoot, runCli, runDbt } from './helpers/dbt.ts';
import { assertAllValid } from './helpers/openapi-contract.ts';

/** Another seed gives another kill plan and other faults: `KILL_SEED=7 npx vitest run test/sync-kill.test.ts`. */
const SEED = Number(process.env.KILL_SEED ?? 20260715);
const KILLED_RUNS = 12;
/** Long enough that the import job is polled a few times, so a kill can land while it is in flight. */
const JOB_DELAY_MS = 500;
const FAULTS = {
  seed: SEED % 1000,
  throttle: 0.04,
  serverError: 0.05,
  reset: 0.03,
  stallJob: 0.3,
  stallMs: 1500,
  failJob: 0.15,
  // A temporary import error leaves the row to the next run: only the five bad phones end rejected.
  importRowError: 0.02,
  proxyBadRequest: 0.03,
  gatewayError: 0.03,
  hang: 0.02,
  slowBody: 0.03,
  // Past the deadline of an attempt (twice REQUEST_TIMEOUT_S): the runner gives up on the answer.
  slowBodyMs: 5000,
};
/** Each run's --request-timeout: a hung request costs seconds, not the default half-minute. */
const REQUEST_TIMEOUT_S = '2';

const PROFILES = 'klaviyo_profiles_rfm';
const WINBACK = 'klaviyo_winback_list';
/** The demo's event syncs: metric → sync → the model it ships. */
const EVENT_SYNCS = [
  { metric: 'Placed Order', sync: 'klaviyo_placed_orders', model: 'klaviyo__placed_order_events' },
  { metric: 'Ordered Product', sync: 'klaviyo_ordered_products', model: 'klaviyo__ordered_product_events' },
  { metric: 'Fulfilled Order', sync: 'klaviyo_fulfilled_orders', model: 'klaviyo__fulfilled_order_events' },
  { metric: 'Cancelled Order', sync: 'klaviyo_cancelled_orders', model: 'klaviyo__cancelled_order_events' },
  { metric: 'Refunded Order', sync: 'klaviyo_refunded_orders', model: 'klaviyo__refunded_order_events' },
  {
    metric: 'Started Checkout',
    sync: 'klaviyo_started_checkouts',
    model: 'klaviyo__started_checkout_events',
  },
  { metric: 'Viewed Product', sync: 'klaviyo_viewed_products', model: 'klaviyo__viewed_product_events' },
  { metric: 'Added to Cart', sync: 'klaviyo_added_to_cart', model: 'klaviyo__added_to_cart_events' },
];
const EVENT_SYNC_NAMES = EVENT_SYNCS.map((e) => e.sync);
const SYNC_OF_METRIC: Record<string, string> = Object.fromEntries(EVENT_SYNCS.map((e) => [e.metric, e.sync]));

type Phase = 'startup' | 'import' | 'import-results' | 'events' | 'list' | 'tail';
const PIPELINE: Phase[] = ['startup', 'import', 'import-results', 'events', 'list', 'tail'];
/** The operations that show a run is in a phase. */
const PHASE_OPS: Record<Phase, string[]> = {
  startup: [],
  import: ['bulk_import_profiles', 'get_bulk_import_profiles_job'],
  'import-results': ['get_errors_for_bulk_import_profiles_job'],
  events: ['bulk_create_events'],
  list: ['get_lists', 'create_list', 'get_profiles', 'add_profiles_to_list', 'remove_profiles_from_list'],
  tail: ['add_profiles_to_list', 'remove_profiles_from_list'],
};
/** The phase each killed run aims at; a phase with nothing left to do passes to the next that has work. */
const SCHEDULE: Phase[] = [
  'import',
  'import',
  'import-results',
  'startup',
  'events',
  'import-results',
  'events',
  'startup',
  'events',
  'list',
  'events',
  'tail',
];

/**
 * Kill once the nth request (of this run) of the phase was answered, then `delayMs` on; a run
 * that goes past the phase sooner is killed as it answers the first request of a later phase.
 * `startup` counts `delayMs` from the spawn.
 */
interface KillPlan {
  phase: Phase;
  nth: number;
  delayMs: number;
}

function planKill(phase: Phase, rnd: () => number): KillPlan {
  const between = (lo: number, hi: number) => Math.round(lo + rnd() * (hi - lo));
  switch (phase) {
    case 'startup':
      // Node, the manifest, the state schema, the lock, the diff, the resumed jobs' first poll.
      return { phase, nth: 0, delayMs: between(200, 1400) };
    case 'import':
      // Submitted, being recorded, queued, processing, stalled: anywhere in the job's life, and
      // half the time in its first moments, while the run records the job it was just given.
      return { phase, nth: 1, delayMs: rnd() < 0.5 ? between(0, 40) : between(0, 2 * JOB_DELAY_MS) };
    case 'import-results':
      // Reading the import's errors (and anything else) back, and writing the confirmed rows.
      return { phase, nth: 1, delayMs: between(0, 200) };
    case 'events':
      // A batch answered and its rows being confirmed, or the next batch on the wire.
      return { phase, nth: between(1, 3), delayMs: between(0, 150) };
    case 'list':
      return { phase, nth: between(1, 2), delayMs: between(0, 100) };
    case 'tail':
      // The list's members confirmed into the snapshot, the first load marked done, the run recorded.
      return { phase, nth: 1, delayMs: between(0, 120) };
  }
}

/** When and in which phase a plan kills, given the requests its run has had answered so far. */
function trigger(plan: KillPlan, requests: RecordedRequest[]): { at: number; landed: Phase } | null {
  if (plan.phase === 'startup') return null;
  const op = (r: RecordedRequest) => r.operationId ?? '';
  const hits = requests.filter((r) => PHASE_OPS[plan.phase].includes(op(r)));
  if (hits.length >= plan.nth)
    return { at: hits[plan.nth - 1]!.finishedAt + plan.delayMs, landed: plan.phase };
  // A backfill's events go beside the profile import, even before it (their batches are smaller:
  // sync/schedule.ts), so only a later phase's request shows the run went past the import.
  const beside = plan.phase === 'import' || plan.phase === 'import-results' ? ['events'] : [];
  const later = PIPELINE.slice(PIPELINE.indexOf(plan.phase) + 1).filter((p) => !beside.includes(p));
  for (const r of requests) {
    if (PHASE_OPS[plan.phase].includes(op(r))) continue;
    const landed = later.find((p) => PHASE_OPS[p].includes(op(r)));
    if (landed !== undefined) return { at: r.finishedAt + plan.delayMs, landed };
  }
  return null;
}

interface Model {
  profiles: Map<string, Record<string, unknown>>;
  events: Map<string, Map<string, string | null>>; // sync → event_id → external_id (null: by email alone)
  winback: Set<string>;
}

async function readOnly(file: string, sql: string[]): Promise<Record<string, unknown>[][]> {
  // Read-only, so the test never replays or checkpoints a killed run's WAL: the runner must.
  const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    const out = [];
    for (const s of sql) out.push((await conn.runAndReadAll(s)).getRowObjectsJson());
    return out;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function readModel(db: string): Promise<Model> {
  const [profiles, winback, ...eventRows] = await readOnly(db, [
    `select person_id, email, first_name, last_name, city, rfm_segment,
       cast(predicted_ltv as double) as predicted_ltv, cast(order_count as double) as order_count,
       cast(lifetime_revenue as double) as lifetime_revenue
     from main.klaviyo__profiles`,
    // The sync's scope: never a suppressed, unsubscribed or never-consented email.
    `select person_id from main.klaviyo__winback_list_members m
     where not exists (select 1 from main.klaviyo__suppressions s
       where lower(trim(s.email)) = lower(trim(m.email))
         and (s.is_suppressed or upper(s.email_consent) in ('UNSUBSCRIBED', 'NEVER_SUBSCRIBED')))`,
    ...EVENT_SYNCS.map((e) => `select event_id, external_id from main.${e.model}`),
  ]);
  // A browse or checkout event of a visitor no person matches goes by email alone: no external_id.
  const events = (rows: Record<string, unknown>[]) =>
    new Map(rows.map((r) => [String(r.event_id), r.external_id === null ? null : String(r.external_id)]));
  return {
    profiles: new Map(profiles!.map((r) => [String(r.person_id), r])),
    events: new Map(EVENT_SYNCS.map((e, i) => [e.sync, events(eventRows[i]!)])),
    winback: new Set(winback!.map((r) => String(r.person_id))),
  };
}

interface Recorded {
  /** sync → key → Klaviyo profile id (or null). */
  snapshot: Map<string, Map<string, string | null>>;
  /** Import jobs recorded as submitted and not finished: job id → keys it carries. */
  pendingJobs: Map<string, Set<string>>;
  jobs: { job_id: string; status: string }[];
  locks: Record<string, unknown>[];
  rejected: { sync: string; key: string; reason: string }[];
}

async function readRecorded(db: string): Promise<Recorded> {
  const [tables] = await readOnly(db, [
    `select table_name from information_schema.tables where table_schema = 'klaviyo_runner'`,
  ]);
  // A run killed while it created the state schema leaves some tables out: read those as empty.
  const present = new Set(tables!.map((t) => String(t.table_name)));
  const sql = (table: string, text: string) => (present.has(table) ? text : `select 1 where false`);
  const recorded: Recorded = {
    snapshot: new Map(),
    pendingJobs: new Map(),
    jobs: [],
    locks: [],
    rejected: [],
  };
  const [snapshot, pending, jobs, locks, rejected] = await readOnly(db, [
    sql('snapshot', `select sync, key, klaviyo_profile_id from klaviyo_runner.snapshot`),
    present.has('job_rows')
      ? sql(
          'jobs',
          `select j.job_id, r.key from klaviyo_runner.jobs j join klaviyo_runner.job_rows r on r.job_id = j.job_id where j.status = 'submitted'`,
        )
      : `select 1 where false`,
    sql('jobs', `select job_id, status from klaviyo_runner.jobs`),
    sql('locks', `select * from klaviyo_runner.locks`),
    sql('rejected', `select sync, key, reason from klaviyo_runner.rejected`),
  ]);
  for (const r of snapshot!) {
    const sync = String(r.sync);
    if (!recorded.snapshot.has(sync)) recorded.snapshot.set(sync, new Map());
    const keys = recorded.snapshot.get(sync)!;
    // One row per key: a key twice in the snapshot is a bug of its own.
    expect(keys.has(String(r.key)), `${sync} ${String(r.key)} twice in the snapshot`).toBe(false);
    keys.set(String(r.key), r.klaviyo_profile_id === null ? null : String(r.klaviyo_profile_id));
  }
  for (const r of pending!) {
    const id = String(r.job_id);
    if (!recorded.pendingJobs.has(id)) recorded.pendingJobs.set(id, new Set());
    recorded.pendingJobs.get(id)!.add(String(r.key));
  }
  recorded.jobs = jobs!.map((r) => ({ job_id: String(r.job_id), status: String(r.status) }));
  recorded.locks = locks!;
  recorded.rejected = rejected!.map((r) => ({
    sync: String(r.sync),
    key: String(r.key),
    reason: String(r.reason),
  }));
  return recorded;
}

const without = <T>(a: Set<T>, b: Set<T>) => new Set([...a].filter((x) => !b.has(x)));

const keysOf = (recorded: Recorded, sync: string) => recorded.snapshot.get(sync) ?? new Map<string, null>();

/** Which phases still have work, judged from the snapshot the last run left. */
function workLeft(model: Model, recorded: Recorded): Set<Phase> {
  const left = new Set<Phase>();
  const rejectedProfiles = recorded.rejected.filter((r) => r.sync === PROFILES).length;
  if (
    recorded.pendingJobs.size > 0 ||
    keysOf(recorded, PROFILES).size + rejectedProfiles < model.profiles.size
  )
    left.add('import').add('import-results');
  for (const sync of EVENT_SYNC_NAMES)
    if (keysOf(recorded, sync).size < model.events.get(sync)!.size) left.add('events');
  if (keysOf(recorded, WINBACK).size < model.winback.size - rejectedProfiles) left.add('list').add('tail');
  if (left.size > 0) left.add('startup');
  return left;
}

function choosePhase(aim: Phase, left: Set<Phase>): Phase | null {
  const from = PIPELINE.indexOf(aim);
  return (
    PIPELINE.slice(from).find((p) => left.has(p)) ?? PIPELINE.slice(0, from).find((p) => left.has(p)) ?? null
  );
}

/** What a run's write requests carried, as sync keys (events, profiles) and profile ids (list adds). */
function sentKeys(requests: RecordedRequest[]) {
  const profiles = new Set<string>();
  const events = new Map<string, Set<string>>(EVENT_SYNC_NAMES.map((sync) => [sync, new Set()]));
  const listed = new Set<string>();
  for (const r of requests) {
    if (r.operationId === 'bulk_import_profiles') {
      const body = r.body as {
        data: { attributes: { profiles: { data: { attributes: { external_id?: string } }[] } } };
      };
      for (const p of body.data.attributes.profiles.data) profiles.add(String(p.attributes.external_id));
    } else if (r.operationId === 'bulk_create_events') {
      const body = r.body as {
        data: {
          attributes: {
            'events-bulk-create': {
              data: {
                attributes: {
                  events: {
                    data: {
                      attributes: { unique_id: string; metric: { data: { attributes: { name: string } } } };
                    }[];
                  };
                };
              }[];
            };
          };
        };
      };
      for (const group of body.data.attributes['events-bulk-create'].data)
        for (const e of group.attributes.events.data)
          events.get(SYNC_OF_METRIC[e.attributes.metric.data.attributes.name]!)!.add(e.attributes.unique_id);
    } else if (r.operationId === 'add_profiles_to_list') {
      for (const m of (r.body as { data: { id: string }[] }).data) listed.add(m.id);
    }
  }
  return { profiles, events, listed };
}

/**
 * The promises a run keeps towards what earlier runs recorded: nothing in the snapshot is sent
 * again, and rows of a recorded import job are never imported again unless Klaviyo cancelled that
 * job, which the run must first have asked by its id.
 */
function checkRun(label: string, before: Recorded, requests: RecordedRequest[], sandbox: RunningSandbox) {
  const sent = sentKeys(requests);
  const again = (sync: string, keys: Set<string>) => [...keys].filter((k) => keysOf(before, sync).has(k));
  expect(again(PROFILES, sent.profiles), `${label}: confirmed profiles imported again`).toEqual([]);
  for (const sync of EVENT_SYNC_NAMES)
    expect(again(sync, sent.events.get(sync)!), `${label}: confirmed ${sync} events sent again`).toEqual([]);
  const listedBefore = new Set([...keysOf(before, WINBACK).values()]);
  expect(
    [...sent.listed].filter((id) => listedBefore.has(id)),
    `${label}: confirmed list members added again`,
  ).toEqual([]);

  const firstImport = requests.findIndex((r) => r.operationId === 'bulk_import_profiles');
  const jobs = new Map(sandbox.inspect().importJobs.map((j) => [j.id, j.status]));
  // Rows a job's temporary import errors named are not done: sending them again is the point.
  const temporary = new Map(
    sandbox
      .inspect()
      .importJobs.map((j) => [
        j.id,
        new Set(
          j.errors
            .filter((e) => e.code === 'internal_error')
            .map((e) =>
              String(
                (e.original_payload as { attributes?: { external_id?: unknown } }).attributes?.external_id,
              ),
            ),
        ),
      ]),
  );
  for (const [jobId, keys] of before.pendingJobs) {
    const polled = requests
      .slice(0, firstImport)
      .some((r) => r.operationId === 'get_bulk_import_profiles_job' && r.path.endsWith(`/${jobId}`));
    expect(firstImport < 0 || polled, `${label}: imported profiles without first resuming job ${jobId}`).toBe(
      true,
    );
    const resent = [...keys].filter((k) => sent.profiles.has(k) && temporary.get(jobId)?.has(k) !== true);
    expect(
      resent.length === 0 || jobs.get(jobId) === 'cancelled',
      `${label}: ${resent.length} rows of job ${jobId} (${String(jobs.get(jobId))}) imported again`,
    ).toBe(true);
  }
}

interface KilledRun {
  /** The phase the kill landed in, or null when the run ended by itself first. */
  landed: Phase | null;
  code: number | null;
  output: string;
  requests: RecordedRequest[];
}

async function runAndKill(
  project: string,
  sandbox: RunningSandbox,
  env: NodeJS.ProcessEnv,
  plan: KillPlan,
): Promise<KilledRun> {
  const spawnedAt = Date.now();
  const child = spawn(
    process.execPath,
    [
      path.join(repoRoot, 'bin', 'klaviyo-runner.js'),
      'sync',
      '--project-dir',
      project,
      '--no-progress',
      '--request-timeout',
      REQUEST_TIMEOUT_S,
    ],
    { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  let exit: { code: number | null } | null = null;
  const exited = new Promise<void>((resolve) =>
    child.on('close', (code) => {
      exit = { code };
      resolve();
    }),
  );
  const mine = () => sandbox.requests().filter((r) => r.startedAt >= spawnedAt);
  let kill: { at: number; landed: Phase } | null =
    plan.phase === 'startup' ? { at: spawnedAt + plan.delayMs, landed: 'startup' } : null;
  // A run slowed so much by faults that it never gets there is killed all the same.
  const deadline = spawnedAt + 20_000;
  let landed: Phase | null = null;
  while (exit === null) {
    kill ??= trigger(plan, mine());
    if ((kill !== null && Date.now() >= kill.at) || Date.now() >= deadline) {
      if (child.kill('SIGKILL')) landed = kill?.landed ?? plan.phase;
      break;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await exited;
  // Requests the dead run had on the wire are answered all the same; let them land before reading.
  await new Promise((r) => setTimeout(r, 50));
  return { landed: exit!.code === null ? landed : null, code: exit!.code, output, requests: mine() };
}

let sandbox: RunningSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

describe('sync killed with SIGKILL at random moments', () => {
  // A dbt build and a dozen runs of ten syncs under faults: more than the default timeout on a busy machine.
  it('converges under faults: no lost row, no duplicate event, a snapshot equal to Klaviyo', async () => {
    const project = await copyDemoProject();
    const built = await runDbt(project, ['build']);
    expect(built.code, built.stdout).toBe(0);
    const db = path.join(project, 'target', 'demo.duckdb');
    const model = await readModel(db);
    sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: JOB_DELAY_MS, faults: FAULTS });
    const env = { KLAVIYO_BASE_URL: sandbox.url, KLAVIYO_API_KEY: 'pk_kill_nine' };
    const rnd = seededRandom(SEED);
    const log: string[] = [];
    const landed = new Set<Phase>();

    let recorded = await readRecorded(db);
    for (let i = 0; i < KILLED_RUNS; i++) {
      const phase = choosePhase(SCHEDULE[i]!, workLeft(model, recorded));
      if (phase === null) break;
      const plan = planKill(phase, rnd);
      const ran = await runAndKill(project, sandbox, env, plan);
      const summary = ran.requests.map((r) => `${r.operationId ?? r.path}:${r.status}`).join(' ');
      log.push(
        `run ${i + 1} aimed at ${plan.phase} (#${plan.nth} +${plan.delayMs}ms): ${ran.landed === null ? `exited ${String(ran.code)}` : `killed in ${ran.landed}`}; ${summary}`,
      );
      if (ran.landed !== null) landed.add(ran.landed);
      // A run that ends by itself must not have been kept out by a dead run's lock.
      expect(ran.output, log.join('\n')).not.toMatch(/is being run by run/);
      expect(
        ran.landed !== null || [0, 1, 2].includes(ran.code ?? -1),
        `${log.join('\n')}\n${ran.output}`,
      ).toBe(true);
      checkRun(`run ${i + 1}`, recorded, ran.requests, sandbox);
      recorded = await readRecorded(db);
    }
    if (process.env.KILL_LOG !== undefined) console.log(log.join('\n'));
    // The kills landed all over a run, not at one point.
    expect(landed.size, log.join('\n')).toBeGreaterThanOrEqual(4);

    // Faults off: one run finishes the work.
    sandbox.setFaults({});
    const finalStart = Date.now();
    const final = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
    expect([0, 1], `${log.join('\n')}\n${final.stdout}${final.stderr}`).toContain(final.code);
    const results = JSON.parse(
      await readFile(path.join(project, 'target', 'klaviyo_run_results.json'), 'utf8'),
    ) as { results: { sync: string; status: string; message: string; counts: { failed: number } }[] };
    for (const r of results.results) {
      expect(r.counts.failed, `${r.sync}: ${r.message}`).toBe(0);
      expect(['success', 'partial'], `${r.sync}: ${r.message}`).toContain(r.status);
    }
    checkRun(
      'final run',
      recorded,
      sandbox.requests().filter((r) => r.startedAt >= finalStart),
      sandbox,
    );
    recorded = await readRecorded(db);

    // Klaviyo holds every model row exactly once.
    const state = sandbox.inspect();
    const rejected = new Set(recorded.rejected.map((r) => r.key));
    expect(recorded.rejected.every((r) => r.sync === PROFILES && /phone/.test(r.reason))).toBe(true);
    // The demo's five impossible phones are dropped from their profiles, which are sent: none rejected.
    expect(rejected.size, JSON.stringify(recorded.rejected)).toBe(0);
    const byExternal = new Map(state.profiles.map((p) => [p.external_id, p]));
    const byId = new Map(state.profiles.map((p) => [p.id, p]));
    // No stray profile and none twice; the rejected persons' orders create bare profiles by their events.
    expect(state.profiles.filter((p) => !model.profiles.has(String(p.external_id)))).toEqual([]);
    expect(byExternal.size).toBe(state.profiles.length);
    const text = (v: unknown) =>
      v === null || v === undefined || String(v).trim() === '' ? null : String(v).trim();
    // A rejected row never went in: its person carries none of the sync's properties.
    expect(
      state.profiles.filter((p) => rejected.has(String(p.external_id)) && 'order_count' in p.properties),
    ).toEqual([]);
    for (const [key, row] of [...model.profiles].filter(([k]) => !rejected.has(k))) {
      const profile = byExternal.get(key);
      expect(profile, `profile ${key} missing in Klaviyo`).toBeDefined();
      expect(profile!.email, key).toBe(text(row.email)?.toLowerCase() ?? null);
      expect(text(profile!.attributes.first_name), key).toBe(text(row.first_name));
      expect(text(profile!.attributes.last_name), key).toBe(text(row.last_name));
      expect(text(profile!.location.city), key).toBe(text(row.city));
      expect(profile!.properties.rfm_segment ?? null, key).toBe(row.rfm_segment ?? null);
      for (const p of ['predicted_ltv', 'order_count', 'lifetime_revenue'])
        expect(profile!.properties[p] ?? null, `${key} ${p}`).toBe(row[p] === null ? null : Number(row[p]));
    }
    for (const [metric, sync] of Object.entries(SYNC_OF_METRIC)) {
      const events = state.events.filter((e) => e.metric === metric);
      const rows = model.events.get(sync)!;
      expect(events).toHaveLength(rows.size);
      expect(new Set(events.map((e) => `${e.profileId}|${e.uniqueId}`)).size).toBe(rows.size);
      for (const e of events)
        expect(byId.get(e.profileId)?.external_id, `${metric} ${e.uniqueId}`).toBe(rows.get(e.uniqueId));
      // However many runs it took, the first load went as a backfill: no flow fired for old orders.
      expect(events.every((e) => e.backfill)).toBe(true);
    }
    const members = without(model.winback, rejected);
    const winback = state.lists.filter((l) => l.name === 'Winback');
    expect(winback).toHaveLength(1);
    expect(new Set(winback[0]!.profileIds.map((id) => byId.get(id)?.external_id))).toEqual(members);
    expect(winback[0]!.profileIds).toHaveLength(members.size);

    // The snapshot says exactly what Klaviyo holds.
    const profileSnapshot = keysOf(recorded, PROFILES);
    expect(new Set(profileSnapshot.keys())).toEqual(without(new Set(model.profiles.keys()), rejected));
    // A profile id the snapshot holds (learnt by a list add or a cleared property) is that row's profile.
    for (const [key, id] of profileSnapshot)
      expect(id === null ? key : byId.get(id)?.external_id, `snapshot ${key} → ${String(id)}`).toBe(key);
    for (const [metric, sync] of Object.entries(SYNC_OF_METRIC)) {
      const held = new Set(state.events.filter((e) => e.metric === metric).map((e) => e.uniqueId));
      expect(new Set(keysOf(recorded, sync).keys())).toEqual(held);
    }
    const winbackSnapshot = keysOf(recorded, WINBACK);
    expect(new Set(winbackSnapshot.keys())).toEqual(members);
    expect(new Set(winbackSnapshot.values())).toEqual(new Set(winback[0]!.profileIds));
    expect(recorded.pendingJobs.size, JSON.stringify(recorded.jobs)).toBe(0);
    expect(recorded.locks).toEqual([]);

    // And one more run finds nothing to send.
    const extraStart = Date.now();
    const extra = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
    expect(extra.code, extra.stdout + extra.stderr).toBe(0);
    expect(
      sandbox
        .requests()
        .filter((r) => r.startedAt >= extraStart && r.method !== 'GET')
        .map((r) => r.operationId),
    ).toEqual([]);

    assertAllValid(sandbox.requests(), { responses: false });
    // Twelve killed runs, and proxy faults whose hung requests cost a request timeout each.
  }, 600_000);
  // A dbt build, a killed run and another run of ten syncs: more than the default timeout on a busy machine.
  it('sends again, in the same run and without reporting a failure, the rows of a job Klaviyo cancelled after its run was killed', async () => {
    const project = await copyDemoProject();
    const built = await runDbt(project, ['build']);
    expect(built.code, built.stdout).toBe(0);
    sandbox = await startSandbox({
      rateLimits: 'off',
      jobDelayMs: JOB_DELAY_MS,
      faults: { failJob: 1, operations: ['bulk_import_profiles'] },
    });
    const env = { KLAVIYO_BASE_URL: sandbox.url, KLAVIYO_API_KEY: 'pk_kill_cancel' };
    // Every profile row, the five with impossible phones included (sent without the phone).
    const model = new Set((await readModel(path.join(project, 'target', 'demo.duckdb'))).profiles.keys());
    // Killed once it polled its job: the job is recorded, and Klaviyo will cancel it.
    const ran = await runAndKill(project, sandbox, env, { phase: 'import', nth: 2, delayMs: 0 });
    expect(ran.landed).toBe('import');
    const before = await readRecorded(path.join(project, 'target', 'demo.duckdb'));
    expect(before.pendingJobs.size).toBe(1);

    sandbox.setFaults({});
    const start = Date.now();
    const again = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
    checkRun(
      'next run',
      before,
      sandbox.requests().filter((r) => r.startedAt >= start),
      sandbox,
    );
    const results = JSON.parse(
      await readFile(path.join(project, 'target', 'klaviyo_run_results.json'), 'utf8'),
    ) as { results: { sync: string; status: string; counts: { failed: number; created: number } }[] };
    const profiles = results.results.find((r) => r.sync === PROFILES)!;
    // Nothing failed and nothing is rejected (the five impossible phones cost only the field).
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(profiles.counts).toMatchObject({ failed: 0, created: model.size });
    expect(sandbox.inspect().profiles.filter((p) => 'order_count' in p.properties)).toHaveLength(model.size);
  }, 300_000);
});
