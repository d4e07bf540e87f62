/**
 * A list member whose row now names another email: the profile id the snapshot kept belongs to the
 * former email, so the member is looked up by the new one, added, and the former profile taken off
 * the list; when Klaviyo changed the email on the same profile, nothing is taken off. Rows whose
 * identity did not change keep the snapshot's id. Real dbt on DuckDB, the real CLI, the sandbox
 * over HTTP.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../runner/sandbox/server.ts';
import { runCli, runDbt, scratchProject } from './helpers/dbt.ts';
import { queryDuckDb } from './helpers/duckdb.ts';
import { assertAllValid } from './helpers/openapi-contract.ts';
import { writesSince } from './helpers/sandbox.ts';

const members = (rows: [number, string, number | null][]) =>
  `select id, email, score from (values
${rows.map(([id, email, score]) => `  (${id}, '${email}', ${score === null ? 'cast(null as integer)' : score})`).join(',\n')}
) t(id, email, score)
`;

const EXPOSURES = `version: 2
exposures:
  - name: member_profiles
    type: application
    owner: { name: Data }
    depends_on: [ref('members')]
    config:
      meta:
        klaviyo: { object: profile, key: id, identity: { email: email }, properties: [score] }
  - name: member_list
    type: application
    owner: { name: Data }
    depends_on: [ref('members')]
    config:
      meta:
        klaviyo: { object: list_membership, key: id, identity: { email: email }, list: { name: Members } }
`;

describe('a list sync whose member changes email', { timeout: 300_000 }, () => {
  let sandbox: RunningSandbox | undefined;
  afterAll(async () => {
    await sandbox?.close();
  });

  it('adds the profile of the new email, takes the former one off, and trusts the snapshot for the rest', async () => {
    const project = await scratchProject('members', {
      'models/members.sql': members([
        [1, 'old1@lists.example', 5],
        [2, 'keep2@lists.example', 5],
        [3, 'same3@lists.example', 5],
        [4, 'old4@lists.example', 5],
      ]),
      'models/exposures.yml': EXPOSURES,
    });
    const db = path.join(project, 'target', 'demo.duckdb');
    expect((await runDbt(project, ['build'])).code).toBe(0);
    sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 20 });
    const box = sandbox;
    const env = { KLAVIYO_BASE_URL: box.url, KLAVIYO_API_KEY: 'pk_members', KLAVIYO_RUNNER_DUCKDB: db };
    // Clearing member 1's score is one row in four: over the default guard against mass removal.
    const sync = () =>
      runCli(['sync', '--project-dir', project, '--no-progress', '--allow-mass-removal'], env);
    const first = await sync();
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const idOf = (email: string) => box.inspect().profiles.find((p) => p.email === email)!.id;
    const listIds = () => [...box.inspect().lists.find((l) => l.name === 'Members')!.profileIds].sort();
    const [old1, keep2, same3, old4] = [
      'old1@lists.example',
      'keep2@lists.example',
      'same3@lists.example',
      'old4@lists.example',
    ].map(idOf);
    expect(listIds()).toEqual([old1, keep2, same3, old4].sort());
    // Member 4's score is cleared: the profile sync learns (and keeps) the id of old4's profile.
    await writeFile(
      path.join(project, 'models', 'members.sql'),
      members([
        [1, 'old1@lists.example', 5],
        [2, 'keep2@lists.example', 5],
        [3, 'same3@lists.example', 5],
        [4, 'old4@lists.example', null],
      ]),
    );
    expect((await runDbt(project, ['build'])).code).toBe(0);
    expect((await sync()).code).toBe(0);

    // Klaviyo changes the email on the same profile (a person edits it there), and the model follows;
    // members 1 and 4 become other people's emails, and member 1 loses the score.
    const patched = await fetch(`${box.url}/api/profiles/${same3}`, {
      method: 'PATCH',
      headers: {
        authorization: 'Klaviyo-API-Key pk_members',
        revision: '2026-07-15',
        'content-type': 'application/vnd.api+json',
      },
      body: JSON.stringify({
        data: { type: 'profile', id: same3, attributes: { email: 'renamed3@lists.example' } },
      }),
    });
    expect(patched.status).toBe(200);
    await writeFile(
      path.join(project, 'models', 'members.sql'),
      members([
        [1, 'new1@lists.example', null],
        [2, 'keep2@lists.example', 5],
        [3, 'renamed3@lists.example', 5],
        [4, 'new4@lists.example', null],
      ]),
    );
    expect((await runDbt(project, ['build'])).code).toBe(0);

    // The plan counts the former profiles' removal and the lookups of the changed members only.
    const planned = await runCli(['plan', '--project-dir', project, '--format', 'json'], env);
    expect(planned.code, planned.stderr).toBe(0);
    const estimate = (
      JSON.parse(planned.stdout) as {
        syncs: { sync: string; estimate: { requests: Record<string, number> } }[];
      }
    ).syncs.find((s) => s.sync === 'member_list')!.estimate.requests;
    expect(estimate).toMatchObject({
      get_profiles: 1,
      add_profiles_to_list: 1,
      remove_profiles_from_list: 1,
    });

    const since = box.requests().length;
    const second = await sync();
    expect(second.code, second.stdout + second.stderr).toBe(0);
    const new1 = idOf('new1@lists.example');
    expect(new1).not.toBe(old1);
    const new4 = idOf('new4@lists.example');
    expect(listIds()).toEqual([new1, keep2, same3, new4].sort());
    const sent = box.requests().slice(since);
    const ids = (op: string) =>
      sent
        .filter((r) => r.operationId === op)
        .flatMap((r) => (r.body as { data: { id: string }[] }).data.map((d) => d.id))
        .sort();
    expect(ids('add_profiles_to_list')).toEqual([new1, same3, new4].sort());
    expect(ids('remove_profiles_from_list')).toEqual([old1, old4].sort());
    // Only the members whose email changed are looked up: one request, 100 emails a request.
    expect(sent.filter((r) => r.operationId === 'get_profiles').length).toBe(2);
    // The score is cleared on the profile the row names now, not on the former one.
    expect(sent.filter((r) => r.operationId === 'update_profile').map((r) => r.path)).toEqual([
      `/api/profiles/${new1}`,
    ]);
    assertAllValid(sent.filter((r) => r.status < 300));
    const snapshot = (await queryDuckDb(
      db,
      `select sync, key, klaviyo_profile_id from klaviyo_runner.snapshot where key in ('1', '4') order by key, sync`,
    )) as { sync: string; key: string; klaviyo_profile_id: string | null }[];
    // Both syncs' snapshots name the profile of the new email, so no later run uses the former one.
    expect(snapshot.map((s) => s.klaviyo_profile_id)).toEqual([new1, new1, new4, new4]);

    const quiet = box.requests().length;
    const third = await sync();
    expect(third.code, third.stderr).toBe(0);
    expect(writesSince(box, quiet)).toEqual([]);
  });
});

describe('a list sync whose list id names no list', { timeout: 300_000 }, () => {
  let sandbox: RunningSandbox | undefined;
  afterAll(async () => {
    await sandbox?.close();
  });

  it('stops that sync at the first 404 naming the exposure and the id, rejects no row, and sends them all once fixed', async () => {
    const exposures = (list: string) => EXPOSURES.replace('list: { name: Members }', `list: { id: ${list} }`);
    const project = await scratchProject('nolist', {
      'models/members.sql': members([
        [1, 'a1@nolist.example', 5],
        [2, 'b2@nolist.example', 5],
        [3, 'c3@nolist.example', 5],
      ]),
      'models/exposures.yml': exposures('NOLIST'),
    });
    const db = path.join(project, 'target', 'demo.duckdb');
    expect((await runDbt(project, ['build'])).code).toBe(0);
    sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 20 });
    const box = sandbox;
    const env = { KLAVIYO_BASE_URL: box.url, KLAVIYO_API_KEY: 'pk_nolist', KLAVIYO_RUNNER_DUCKDB: db };
    const sync = () => runCli(['sync', '--project-dir', project, '--no-progress'], env);
    const results = async () =>
      (
        JSON.parse(await readFile(path.join(project, 'target', 'klaviyo_run_results.json'), 'utf8')) as {
          results: {
            sync: string;
            status: string;
            message: string;
            counts: { failed: number; rejected: number; list_added: number };
          }[];
        }
      ).results;

    const first = await sync();
    // A configuration error: exit 2, with one message naming the exposure and the list id.
    expect(first.code, first.stdout + first.stderr).toBe(2);
    expect(first.stdout + first.stderr).toContain('member_list: Klaviyo has no list with id `NOLIST`');
    const [profiles, list] = await results();
    expect(profiles).toMatchObject({ sync: 'member_profiles', status: 'success' });
    expect(list).toMatchObject({
      sync: 'member_list',
      status: 'error',
      counts: { failed: 0, rejected: 0, list_added: 0 },
    });
    expect(list!.message).toContain('Klaviyo has no list with id `NOLIST`');
    // The 404 of the first list request is the signal: no request spent checking the list first.
    const adds = box.requests().filter((r) => r.operationId === 'add_profiles_to_list');
    expect(adds.map((r) => r.status)).toEqual([404]);
    expect(adds[0]!.path).toBe('/api/lists/NOLIST/relationships/profiles');
    const remembered = await queryDuckDb(
      db,
      `select key from klaviyo_runner.rejected where sync = 'member_list'
       union all select key from klaviyo_runner.snapshot where sync = 'member_list'`,
    );
    expect(remembered).toEqual([]);

    // Once the exposure names a list that exists, the next run adds every member.
    const created = await fetch(`${box.url}/api/lists`, {
      method: 'POST',
      headers: {
        authorization: 'Klaviyo-API-Key pk_nolist',
        revision: '2026-07-15',
        'content-type': 'application/vnd.api+json',
      },
      body: JSON.stringify({ data: { type: 'list', attributes: { name: 'Real members' } } }),
    });
    const listId = ((await created.json()) as { data: { id: string } }).data.id;
    await writeFile(path.join(project, 'models', 'exposures.yml'), exposures(listId));
    expect((await runDbt(project, ['build'])).code).toBe(0);
    const second = await sync();
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect((await results())[1]).toMatchObject({ status: 'success', counts: { list_added: 3 } });
    expect(box.inspect().lists.find((l) => l.id === listId)!.profileIds).toHaveLength(3);
  });
});

describe('a profile id the snapshot kept, deleted in Klaviyo since', { timeout: 300_000 }, () => {
  let sandbox: RunningSandbox | undefined;
  afterAll(async () => {
    await sandbox?.close();
  });

  const people = (rows: [number, string, number | null, string | null][]) =>
    `select id, email, score, tier from (values
${rows.map(([id, email, score, tier]) => `  (${id}, '${email}', ${score === null ? 'cast(null as integer)' : score}, ${tier === null ? 'cast(null as varchar)' : `'${tier}'`})`).join(',\n')}
) t(id, email, score, tier)
`;

  it('forgets the id at the 404, looks the row up again by its email, and clears the property there', async () => {
    const project = await scratchProject('stale', {
      'models/people.sql': people([
        [1, 'p1@stale.example', 5, 'gold'],
        [2, 'p2@stale.example', 5, 'gold'],
      ]),
      'models/exposures.yml': `version: 2
exposures:
  - name: people_sync
    type: application
    owner: { name: Data }
    depends_on: [ref('people')]
    config:
      meta:
        klaviyo: { object: profile, key: id, identity: { email: email }, properties: [score, tier] }
`,
    });
    const db = path.join(project, 'target', 'demo.duckdb');
    const model = path.join(project, 'models', 'people.sql');
    expect((await runDbt(project, ['build'])).code).toBe(0);
    sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 20 });
    const box = sandbox;
    const env = { KLAVIYO_BASE_URL: box.url, KLAVIYO_API_KEY: 'pk_stale', KLAVIYO_RUNNER_DUCKDB: db };
    const sync = () =>
      runCli(['sync', '--project-dir', project, '--no-progress', '--allow-mass-removal'], env);
    const call = (method: string, route: string, body: unknown) =>
      fetch(`${box.url}${route}`, {
        method,
        headers: {
          authorization: 'Klaviyo-API-Key pk_stale',
          revision: '2026-07-15',
          'content-type': 'application/vnd.api+json',
        },
        body: JSON.stringify(body),
      });
    const profileOf = (email: string) => box.inspect().profiles.find((p) => p.email === email);
    const keptId = async () =>
      (
        (await queryDuckDb(
          db,
          `select klaviyo_profile_id from klaviyo_runner.snapshot where sync = 'people_sync' and key = '1'`,
        )) as { klaviyo_profile_id: string | null }[]
      )[0]!.klaviyo_profile_id;

    expect((await sync()).code).toBe(0);
    // Clearing the score looks the profile up, and the snapshot keeps its id.
    await writeFile(
      model,
      people([
        [1, 'p1@stale.example', null, 'gold'],
        [2, 'p2@stale.example', 5, 'gold'],
      ]),
    );
    expect((await runDbt(project, ['build'])).code).toBe(0);
    expect((await sync()).code).toBe(0);
    const former = profileOf('p1@stale.example')!.id;
    expect(await keptId()).toBe(former);

    // In Klaviyo the profile is deleted, and the person comes back as a new profile, the tier kept.
    const erased = await call('POST', '/api/data-privacy-deletion-jobs', {
      data: {
        type: 'data-privacy-deletion-job',
        attributes: { profile: { data: { type: 'profile', attributes: { email: 'p1@stale.example' } } } },
      },
    });
    expect(erased.status).toBe(202);
    const made = await call('POST', '/api/profiles', {
      data: {
        type: 'profile',
        attributes: { email: 'p1@stale.example', properties: { tier: 'gold', score: 9 } },
      },
    });
    expect(made.status).toBe(201);
    const current = profileOf('p1@stale.example')!.id;
    expect(current).not.toBe(former);

    // The tier is cleared: the kept id answers 404, the row is found by its email, and cleared there.
    await writeFile(
      model,
      people([
        [1, 'p1@stale.example', null, null],
        [2, 'p2@stale.example', 5, 'gold'],
      ]),
    );
    expect((await runDbt(project, ['build'])).code).toBe(0);
    const since = box.requests().length;
    const fixed = await sync();
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
    const sent = box.requests().slice(since);
    expect(sent.filter((r) => r.operationId === 'update_profile').map((r) => [r.path, r.status])).toEqual([
      [`/api/profiles/${former}`, 404],
      [`/api/profiles/${current}`, 200],
    ]);
    expect(profileOf('p1@stale.example')!.properties).not.toHaveProperty('tier');
    // The snapshot names the profile Klaviyo has now: the next run neither fails nor sends.
    expect(await keptId()).toBe(current);
    const quiet = box.requests().length;
    const again = await sync();
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(
      box
        .requests()
        .slice(quiet)
        .filter((r) => r.method !== 'GET'),
    ).toEqual([]);
  });
});
