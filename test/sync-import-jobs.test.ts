/**
 * A profile sync of several import jobs keeps them at Klaviyo together (objects/profile.ts): each
 * job is recorded once Klaviyo accepted it, so a run killed while several wait on Klaviyo leaves
 * them all recorded, and the next run polls each by its id and sends none of their profiles again.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type RecordedRequest, type RunningSandbox } from '../runner/sandbox/server.ts';
import { repoRoot, runCli, runDbt, scratchProject } from './helpers/dbt.ts';
import { writesSince } from './helpers/sandbox.ts';

/** Four import jobs of 10,000 profiles at most. */
const PEOPLE = 40_000;

const PROJECT = {
  'models/people.sql': `select 'P' || lpad(cast(i as varchar), 6, '0') as person_id,
  'person' || cast(i as varchar) || '@example.com' as email,
  'First' || cast(i % 97 as varchar) as first_name,
  i % 5 as score
from range(1, ${PEOPLE + 1}) as t(i)
`,
  'models/exposures.yml': `version: 2
exposures:
  - name: people_profiles
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
`,
};

const isImport = (r: RecordedRequest) => r.operationId === 'bulk_import_profiles';
const isPoll = (r: RecordedRequest) => r.operationId === 'get_bulk_import_profiles_job';
const jobIdOf = (r: RecordedRequest) => (r.responseBody as { data?: { id?: string } } | undefined)?.data?.id;
const polledJob = (r: RecordedRequest) => r.path.split('/').filter(Boolean).pop();
const emailsOf = (r: RecordedRequest) =>
  (
    r.body as { data: { attributes: { profiles: { data: { attributes: { email?: string } }[] } } } }
  ).data.attributes.profiles.data.map((p) => p.attributes.email!);

describe('a profile sync of several import jobs', () => {
  let sandbox: RunningSandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
  });

  it('killed while its jobs wait at Klaviyo, resumes every recorded job and sends none of their profiles again', async () => {
    const project = await scratchProject('jobs_shop', PROJECT);
    const db = path.join(project, 'target', 'demo.duckdb');
    const built = await runDbt(project, ['build']);
    expect(built.code, built.stdout).toBe(0);
    // A job completes three seconds after Klaviyo accepts it: all four are accepted before the first.
    sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 1500 });
    const env = { KLAVIYO_BASE_URL: sandbox.url, KLAVIYO_API_KEY: 'pk_jobs', KLAVIYO_RUNNER_DUCKDB: db };
    const child = spawn(
      process.execPath,
      [path.join(repoRoot, 'bin', 'klaviyo-runner.js'), 'sync', '--project-dir', project, '--no-progress'],
      { env: { ...process.env, ...env }, stdio: 'ignore' },
    );
    let ended = false;
    const exited = new Promise((resolve) => child.on('exit', resolve)).finally(() => (ended = true));
    // Killed once every job is accepted and the oldest has been polled since: a job is polled only
    // after it is recorded, and the later jobs were recorded as they were accepted, before it.
    const deadline = Date.now() + 120_000;
    const ready = () => {
      const requests = sandbox!.requests();
      const lastImport = requests.findLastIndex(isImport);
      return (
        requests.filter((r) => isImport(r) && r.status === 202).length === PEOPLE / 10_000 &&
        requests.slice(lastImport + 1).some(isPoll)
      );
    };
    while (!ready()) {
      if (ended || Date.now() > deadline)
        throw new Error('the run never had its four jobs at Klaviyo at once');
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await exited;
    expect(sandbox.inspect().importJobs.every((j) => j.status !== 'complete')).toBe(true);

    const first = sandbox.requests().length;
    const again = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
    expect(again.code, again.stderr).toBe(0);
    const before = sandbox.requests().slice(0, first);
    const after = sandbox.requests().slice(first);
    // The next run polls the recorded jobs by their ids before it imports anything.
    const firstImport = after.findIndex(isImport);
    const resumed = new Set(
      after
        .slice(0, firstImport < 0 ? after.length : firstImport)
        .filter(isPoll)
        .map(polledJob),
    );
    expect(resumed.size).toBeGreaterThanOrEqual(2);
    const resumedEmails = new Set(
      before.filter((r) => isImport(r) && resumed.has(jobIdOf(r))).flatMap(emailsOf),
    );
    const resent = after.filter(isImport).flatMap(emailsOf);
    expect(resent.filter((email) => resumedEmails.has(email))).toEqual([]);
    expect(resumedEmails.size + resent.length).toBeGreaterThanOrEqual(PEOPLE);

    const profiles = sandbox.inspect().profiles;
    expect(profiles).toHaveLength(PEOPLE);
    expect(new Set(profiles.map((p) => p.email)).size).toBe(PEOPLE);
    const settled = sandbox.requests().length;
    const third = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
    expect(third.code, third.stderr).toBe(0);
    expect(writesSince(sandbox, settled)).toEqual([]);
  }, 300_000);
});
