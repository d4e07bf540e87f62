/**
 * Privacy deletions end to end: a deletion model built by real dbt on DuckDB beside the demo, the
 * real CLI, the sandbox over HTTP. Three people synced by the demo are erased, by email, by phone
 * and by external id: Klaviyo no longer holds them or their events, our state holds nothing of
 * them but hashes, no other sync re-creates them, a second run requests nothing, and a run killed
 * mid-way and resumed requests each deletion once. Every request is checked against Klaviyo's
 * OpenAPI description.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../runner/sandbox/server.ts';
import { copyDemoProject, repoRoot, runCli, runDbt } from './helpers/dbt.ts';
import { queryDuckDb } from './helpers/duckdb.ts';
import { assertAllValid } from './helpers/openapi-contract.ts';
import { writesSince } from './helpers/sandbox.ts';

const DELETIONS = 'klaviyo_privacy_deletions';
const MODEL = 'privacy_deletion_requests';
const EXPOSURE = `
  - name: ${DELETIONS}
    label: Klaviyo privacy deletions
    type: application
    owner: { name: Privacy office, email: privacy@example.com }
    depends_on: [ref('${MODEL}')]
    config:
      meta:
        klaviyo:
          object: deletion
          key: request_id
          identity: { email: email, phone_number: phone, external_id: customer_ref }
`;

interface Person {
  person_id: string;
  email: string;
  phone_number: string | null;
}
interface Request {
  request_id: string;
  email?: string;
  phone?: string;
  customer_ref?: string;
}

const text = (v: string | undefined) => (v === undefined ? 'null' : `'${v}'`);

/** The deletion model: the requests given, or none. */
async function writeRequests(project: string, requests: Request[]): Promise<void> {
  const rows =
    requests.length === 0
      ? `select cast(null as varchar) as request_id, cast(null as varchar) as email,
           cast(null as varchar) as phone, cast(null as varchar) as customer_ref
         where false`
      : `select * from (values ${requests
          .map((r) => `('${r.request_id}', ${text(r.email)}, ${text(r.phone)}, ${text(r.customer_ref)})`)
          .join(', ')}) as t (request_id, email, phone, customer_ref)`;
  await writeFile(path.join(project, 'models', `${MODEL}.sql`), `${rows}\n`);
}

async function setUp(): Promise<{ project: string; db: string }> {
  const project = await copyDemoProject();
  await writeRequests(project, []);
  const exposures = path.join(project, 'exposures', 'klaviyo.yml');
  await writeFile(exposures, `${await readFile(exposures, 'utf8')}${EXPOSURE}`);
  const built = await runDbt(project, ['build']);
  if (built.code !== 0) throw new Error(`dbt build failed:\n${built.stdout}`);
  return { project, db: path.join(project, 'target', 'demo.duckdb') };
}

async function rebuildRequests(project: string, requests: Request[]): Promise<void> {
  await writeRequests(project, requests);
  const built = await runDbt(project, ['run', '--select', MODEL]);
  if (built.code !== 0) throw new Error(`dbt run failed:\n${built.stdout}`);
}

/** Demo people with a US phone, so a deletion by phone reads it as the profile sync does. */
async function demoPeople(db: string, n: number): Promise<Person[]> {
  return (await queryDuckDb(
    db,
    `select person_id, email, phone_number from main.klaviyo__profiles
     where phone_number is not null and country = 'US' and email is not null
     order by person_id limit ${n}`,
  )) as unknown as Person[];
}

async function results(project: string) {
  return JSON.parse(await readFile(path.join(project, 'target', 'klaviyo_run_results.json'), 'utf8')) as {
    results: {
      sync: string;
      status: string;
      counts: Record<string, number>;
      held_back: { key: string; reason: string }[];
      requests: Record<string, number>;
    }[];
  };
}

const deletionRequests = (sandbox: RunningSandbox) =>
  sandbox
    .requests()
    .filter((r) => r.operationId === 'request_profile_deletion' && r.status === 202)
    .map((r) => {
      const data = (r.body as { data: { attributes: { profile: { data: Record<string, unknown> } } } }).data
        .attributes.profile.data;
      return JSON.stringify({ id: data.id, ...(data.attributes as object) });
    });

describe('a deletion sync', () => {
  let project: string;
  let db: string;
  let sandbox: RunningSandbox;
  let people: Person[];
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    ({ project, db } = await setUp());
    sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 20 });
    env = { KLAVIYO_BASE_URL: sandbox.url, KLAVIYO_API_KEY: 'pk_deletion_test' };
    const first = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
    if (first.code !== 0) throw new Error(`the first sync failed:\n${first.stderr}`);
    people = await demoPeople(db, 3);
    await rebuildRequests(project, [
      { request_id: 'r-email', email: people[0]!.email.toUpperCase() },
      { request_id: 'r-phone', phone: people[1]!.phone_number! },
      { request_id: 'r-external', customer_ref: people[2]!.person_id },
    ]);
  });
  afterAll(async () => {
    if (sandbox !== undefined) {
      assertAllValid(sandbox.requests().filter((r) => r.path.startsWith('/api/')));
      await sandbox.close();
    }
  });

  it('lists the deletions first and prominently in the plan', async () => {
    const planned = await runCli(['plan', '--project-dir', project], env);
    expect(planned.code, planned.stderr).toBe(0);
    const lines = planned.stdout.split('\n');
    const warning = lines.findIndex((l) => l.startsWith('PRIVACY DELETIONS FIRST: 3 people to erase'));
    expect(warning, planned.stdout).toBeGreaterThan(0);
    expect(lines.findIndex((l) => l.startsWith(`${DELETIONS} (deletion`))).toBeGreaterThan(warning);
    expect(lines.findIndex((l) => l.startsWith(`${DELETIONS} (deletion`))).toBeLessThan(
      lines.findIndex((l) => l.startsWith('klaviyo_profiles_rfm (profile')),
    );
    expect(planned.stdout).toContain('ERASE 3 people from Klaviyo (3 deletion requests)');
    const md = await runCli(['plan', '--project-dir', project, '--format', 'markdown'], env);
    expect(md.stdout).toContain('> **Privacy deletions:** 3 people to erase from Klaviyo');
    // A plan lands in pull requests: it names the deletion rows by key, never by identifier.
    for (const out of [planned.stdout, md.stdout]) {
      expect(out).toContain('r-email');
      expect(out.toLowerCase()).not.toContain(people[0]!.email);
      expect(out).not.toContain(people[2]!.person_id);
    }
    expect(deletionRequests(sandbox)).toEqual([]);
  });

  it('erases the people from Klaviyo and from our state, and no other sync re-creates them', async () => {
    const profileOf = (p: Person) => sandbox.inspect().profiles.find((q) => q.email === p.email);
    const before = people.map((p) => profileOf(p)!);
    expect(before.every((p) => p !== undefined)).toBe(true);
    const eventsBefore = sandbox.inspect().events.filter((e) => before.some((p) => p.id === e.profileId));
    expect(eventsBefore.length).toBeGreaterThan(0);

    const run = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('erased     3 people (3 deletion requests)');

    // Klaviyo: the three profiles and their events are gone, and nothing re-created them.
    const state = sandbox.inspect();
    for (const p of people) expect(profileOf(p), p.email).toBeUndefined();
    expect(state.events.filter((e) => before.some((p) => p.id === e.profileId))).toEqual([]);
    expect(deletionRequests(sandbox).sort()).toEqual(
      [{ email: people[0]!.email }, { phone_number: people[1]!.phone_number }, { id: before[2]!.id }]
        .map((r) => JSON.stringify(r))
        .sort(),
    );

    // Our state: no row of theirs in any other sync, and the deletion rows without their values.
    const keys = people.map((p) => `'${p.person_id}'`).join(', ');
    const left = await queryDuckDb(
      db,
      `select sync, key from klaviyo_runner.snapshot where sync <> '${DELETIONS}'
       and (key in (${keys}) or ${people.map((p) => `row_json like '%${p.email}%'`).join(' or ')})`,
    );
    expect(left).toEqual([]);
    const own = await queryDuckDb(
      db,
      `select key, row_json from klaviyo_runner.snapshot where sync = '${DELETIONS}' order by key`,
    );
    expect(own).toEqual([
      { key: 'r-email', row_json: null },
      { key: 'r-external', row_json: null },
      { key: 'r-phone', row_json: null },
    ]);
    const recorded = await queryDuckDb(
      db,
      `select key, identifier, status from klaviyo_runner.deletions where key like 'r-%' order by key`,
    );
    expect(recorded).toEqual([
      { key: 'r-email', identifier: 'email', status: 'requested' },
      { key: 'r-external', identifier: 'external_id', status: 'requested' },
      { key: 'r-phone', identifier: 'phone_number', status: 'requested' },
    ]);
    const stored = JSON.stringify(await queryDuckDb(db, 'select * from klaviyo_runner.deletions'));
    for (const p of people) expect(stored).not.toContain(p.email);

    // The other syncs hold their rows back, each with the reason.
    const out = await results(project);
    const profiles = out.results.find((r) => r.sync === 'klaviyo_profiles_rfm')!;
    expect(profiles.counts.held_back_erased).toBe(3);
    expect(profiles.held_back.map((h) => h.key).sort()).toEqual(people.map((p) => p.person_id).sort());
    expect(profiles.held_back[0]!.reason).toMatch(/privacy deletion erased the person/);
    const placed = out.results.find((r) => r.sync === 'klaviyo_placed_orders')!;
    expect(placed.counts.held_back_erased).toBeGreaterThan(0);
    const deletion = out.results.find((r) => r.sync === DELETIONS)!;
    expect(deletion.counts).toMatchObject({ erased: 3, deletion_requests: 3 });
    expect(deletion.counts.forgotten).toBeGreaterThanOrEqual(3);
  });

  it('sends nothing the second time, and still holds the rows back', async () => {
    const before = sandbox.requests().length;
    const run = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
    expect(run.code, run.stderr).toBe(0);
    const writes = writesSince(sandbox, before);
    expect(writes.map((r) => r.operationId)).toEqual([]);
    for (const p of people) expect(sandbox.inspect().profiles.some((q) => q.email === p.email)).toBe(false);
    const profiles = (await results(project)).results.find((r) => r.sync === 'klaviyo_profiles_rfm')!;
    expect(profiles.counts.held_back_erased).toBe(3);
  });

  it('leaves erased people out of a CSV export, and exports no deletion sync', async () => {
    const csv = path.join(project, 'target', 'profiles.csv');
    const exported = await runCli(
      ['export', '--project-dir', project, '--select', 'klaviyo_profiles_rfm', '--output', csv],
      env,
    );
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain('3 row(s) of erased people left out, as a sync holds them back');
    const file = (await readFile(csv, 'utf8')).toLowerCase();
    expect(file).toContain('@');
    for (const p of people) expect(file).not.toContain(p.email);
    const refused = await runCli(
      [
        'export',
        '--project-dir',
        project,
        '--select',
        DELETIONS,
        '--output',
        path.join(project, 'target', 'x.csv'),
      ],
      env,
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `export: ${DELETIONS} (exposures/klaviyo.yml) is a sync of \`object: deletion\``,
    );
  });
});

describe('a deletion sync killed mid-run', () => {
  let sandbox: RunningSandbox;
  let project: string;
  let db: string;
  let env: NodeJS.ProcessEnv;
  let people: Person[];
  let requests: Request[];

  beforeAll(async () => {
    ({ project, db } = await setUp());
    sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 20 });
    env = { KLAVIYO_BASE_URL: sandbox.url, KLAVIYO_API_KEY: 'pk_deletion_kill' };
    const first = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
    if (first.code !== 0) throw new Error(`the first sync failed:\n${first.stderr}`);
    people = await demoPeople(db, 8);
    // Half by email, half by external id (through their profile ids).
    requests = people.map((p, i) =>
      i % 2 === 0
        ? { request_id: `k-${i}`, email: p.email }
        : { request_id: `k-${i}`, customer_ref: p.person_id },
    );
    await rebuildRequests(project, requests);
  });
  afterAll(async () => {
    if (sandbox !== undefined) {
      assertAllValid(sandbox.requests().filter((r) => r.path.startsWith('/api/')));
      await sandbox.close();
    }
  });

  it('requests each deletion once across the killed run and the one that resumes it', async () => {
    // Killed as soon as Klaviyo answered the third deletion request, before the run records it.
    const child = spawn(
      process.execPath,
      [path.join(repoRoot, 'bin', 'klaviyo-runner.js'), 'sync', '--project-dir', project, '--no-progress'],
      { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1', ...env } },
    );
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const watch = setInterval(() => {
      if (deletionRequests(sandbox).length >= 3) child.kill('SIGKILL');
    }, 1);
    await exited;
    clearInterval(watch);
    const sentBeforeKill = deletionRequests(sandbox).length;
    expect(sentBeforeKill).toBeGreaterThanOrEqual(3);
    expect(sentBeforeKill).toBeLessThan(8);

    const resumed = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    const sent = deletionRequests(sandbox);
    // Four people by email, four by external id (through their profile ids): eight requests, none twice.
    expect(sent.length).toBe(8);
    expect(new Set(sent).size).toBe(8);
    for (const p of people) expect(sandbox.inspect().profiles.some((q) => q.email === p.email)).toBe(false);
  });

  it('checks a request whose answer was never recorded instead of resending it', async () => {
    // As a run killed between Klaviyo's 202 and its own record leaves it.
    await queryDuckDb(
      db,
      `update klaviyo_runner.deletions set status = 'pending' where key = 'k-0' and identifier = 'email';
       delete from klaviyo_runner.snapshot where sync = '${DELETIONS}' and key = 'k-0'`,
    );
    const again = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(deletionRequests(sandbox).length).toBe(8);
    expect(
      await queryDuckDb(
        db,
        `select status from klaviyo_runner.deletions where key = 'k-0' and identifier = 'email'`,
      ),
    ).toEqual([{ status: 'requested' }]);
  });

  it('asks nothing for a person named again under another request id', async () => {
    await rebuildRequests(project, [...requests, { request_id: 'k-again', email: people[0]!.email }]);
    const repeated = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
    expect(repeated.code, repeated.stderr).toBe(0);
    expect(deletionRequests(sandbox).length).toBe(8);
    const deletion = (await results(project)).results.find((r) => r.sync === DELETIONS)!;
    expect(deletion.counts).toMatchObject({ erased: 1, deletion_requests: 0 });
  });
});
