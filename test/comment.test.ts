/**
 * `klaviyo-runner comment` against a stand-in of GitHub's REST API on loopback that checks every
 * request and answer against GitHub's published OpenAPI description: the first run creates the
 * comment, the next ones update it in place, found by its marker among other people's comments
 * over several pages.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PlanResult } from '../runner/plan/plan.ts';
import { commentPlan } from '../runner/github/comment-plan.ts';
import { COMMENT_MARKER } from '../runner/report/pr-comment.ts';
import { runCli } from './helpers/dbt.ts';
import {
  checkGitHubRequest,
  checkGitHubResponse,
  startGitHubStandIn,
  type GitHubStandIn,
} from './helpers/github-standin.ts';

const TOKEN = 'ghs_standInToken123';

function planOf(update: number): PlanResult {
  return {
    generatedAt: '2026-12-01T03:00:00.000Z',
    stateSchema: 'klaviyo_runner',
    stateRelation: '"klaviyo_runner"."snapshot"',
    modelSchemas: ['"demo"."ci_pr"'],
    deferred: [],
    stateFound: true,
    mode: {},
    removedSyncs: [],
    syncs: [
      {
        sync: 'klaviyo_profiles_rfm',
        object: 'profile',
        model: 'klaviyo__profiles',
        relation: '"demo"."ci_pr"."klaviyo__profiles"',
        after: null,
        counts: {
          create: 0,
          update,
          unchanged: 565 - update,
          remove: 0,
          duplicateKeys: 0,
          skippedByScope: 0,
          waitingOnAfter: 0,
          changedEvents: 0,
          changedEventsReported: 0,
          previouslyRejected: 5,
          nullKeys: 0,
          retried: 0,
          resent: 0,
          synced: 565,
          rejected: 0,
          send: update,
          leftOutByModel: 0,
          withheldByModel: 0,
          fieldsDropped: 0,
        },
        newProfiles: 0,
        unsubscribes: 0,
        examples: [],
        rejected: [],
        droppedFields: [],
        leftOutByModel: [],
        leftOutByReason: {},
        withheldByModel: [],
        withheldByReason: {},
        estimate: { requests: { bulk_import_profiles: 1 }, total: 1, seconds: 0.1 },
        guard: { removing: 0, synced: 565, maxPercent: 20, trips: false, allowed: false, message: '' },
        configChanges: [],
        startsOver: false,
        erasures: 0,
        heldBackErased: 0,
        heldBack: [],
      },
    ],
    totals: { send: update, rejected: 0, leftOutByModel: 0, requests: 1, seconds: 0.1 },
    deletions: { syncs: [], people: 0, requests: 0, heldBack: 0 },
    warnings: [],
  };
}

describe('klaviyo-runner comment', () => {
  let github: GitHubStandIn;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    github = await startGitHubStandIn({ token: TOKEN });
    dir = await mkdtemp(path.join(os.tmpdir(), 'kr-comment-'));
    await writeFile(path.join(dir, 'event.json'), JSON.stringify({ pull_request: { number: 42 } }));
    env = {
      GITHUB_TOKEN: TOKEN,
      GITHUB_REPOSITORY: 'acme/shop-dbt',
      GITHUB_API_URL: github.url,
      GITHUB_EVENT_PATH: path.join(dir, 'event.json'),
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_RUN_ID: '9001',
    };
  });
  afterAll(async () => {
    await github?.close();
  });
  afterEach(() => {
    // Every request and answer matched GitHub's description.
    if (github.problems.length > 0)
      throw new Error(`Not as GitHub documents:\n${github.problems.join('\n')}`);
  });

  it('creates the comment on the first run and updates it in place on the second, through the CLI', async () => {
    const planFile = path.join(dir, 'plan.json');
    await writeFile(planFile, JSON.stringify(planOf(12)));
    const first = await runCli(['comment', '--plan', planFile, '--sha', 'abc123def4567890'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(
      /^created https:\/\/github\.com\/acme\/shop-dbt\/pull\/42#issuecomment-\d+\n$/,
    );
    expect(github.comments('acme', 'shop-dbt', 42)).toHaveLength(1);

    await writeFile(planFile, JSON.stringify(planOf(30)));
    const second = await runCli(
      ['comment', '--plan', planFile, '--full-markdown', path.join(dir, 'plan.md')],
      env,
    );
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^updated /);
    const comments = github.comments('acme', 'shop-dbt', 42);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body.startsWith(`${COMMENT_MARKER}\n`)).toBe(true);
    expect(comments[0]!.body).toContain('| `klaviyo_profiles_rfm` | profile | 0 | 30 | 535 | 0 | 0 |');
    expect(await readFile(path.join(dir, 'plan.md'), 'utf8')).toContain('**30** changes to send');
    expect(github.calls.map((c) => `${c.operationId} ${c.status}`)).toEqual([
      'issues/list-comments 200',
      'issues/create-comment 201',
      'issues/list-comments 200',
      'issues/update-comment 200',
    ]);
  });

  it('finds its comment on a later page among other comments, and keeps one per --id', async () => {
    for (let i = 0; i < 150; i += 1) github.addComment('acme', 'shop-dbt', 7, `LGTM ${i}`);
    const planFile = path.join(dir, 'plan7.json');
    await writeFile(planFile, JSON.stringify(planOf(1)));
    const options = { plan: planFile, artifact: 'klaviyo-plan', pr: '7' };
    expect((await commentPlan(options, env)).posted?.action).toBe('created');
    expect((await commentPlan(options, env)).posted?.action).toBe('updated');
    expect((await commentPlan({ ...options, id: 'marketing' }, env)).posted?.action).toBe('created');
    expect((await commentPlan({ ...options, id: 'marketing' }, env)).posted?.action).toBe('updated');
    const ours = github.comments('acme', 'shop-dbt', 7).filter((c) => c.body.includes('klaviyo-runner:plan'));
    expect(ours.map((c) => c.body.split('\n')[0])).toEqual([
      '<!-- klaviyo-runner:plan -->',
      '<!-- klaviyo-runner:plan:marketing -->',
    ]);
    // 152 comments: the second page (per_page=100) was read through the Link header.
    expect(
      github.calls.filter((c) => c.path.endsWith('/issues/7/comments') && c.method === 'GET').length,
    ).toBe(8);
  });

  it('says what is missing, and what a refused token needs, without printing the token', async () => {
    const planFile = path.join(dir, 'plan.json');
    const missing = await runCli(['comment', '--plan', planFile], {
      ...env,
      GITHUB_TOKEN: '',
      GITHUB_EVENT_PATH: '',
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('GITHUB_TOKEN is not set');
    expect(missing.stderr).toContain('no pull request number: run on a `pull_request` event or pass --pr.');

    const refused = await runCli(['comment', '--plan', planFile], { ...env, GITHUB_TOKEN: 'ghs_wrongToken' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('GitHub answered 401 to GET on acme/shop-dbt#42: Bad credentials.');
    expect(refused.stderr).not.toContain('ghs_wrongToken');

    await writeFile(path.join(dir, 'not-a-plan.json'), '{"syncs": 3}');
    const bad = await runCli(['comment', '--plan', path.join(dir, 'not-a-plan.json'), '--dry-run'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('is not a plan written by');
  });

  it('has a stand-in that refuses what the description of GitHub does not allow', () => {
    const headers = {
      authorization: 'Bearer x',
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      'user-agent': 't',
    };
    const url = (p: string) => new URL(`http://127.0.0.1${p}`);
    expect(
      checkGitHubRequest('POST', url('/repos/a/b/issues/1/comments'), headers, { body: 'x' }).problems,
    ).toEqual([]);
    expect(
      checkGitHubRequest('POST', url('/repos/a/b/issues/1/comments'), headers, { text: 'x' }).problems,
    ).toEqual(["issues/create-comment body must have required property 'body'"]);
    expect(
      checkGitHubRequest('GET', url('/repos/a/b/issues/one/comments'), headers, undefined).problems,
    ).toEqual(['issues/list-comments path issue_number must be integer']);
    expect(
      checkGitHubRequest('GET', url('/repos/a/b/issues/1/comments?per_page=100&sort=new'), {}, undefined)
        .problems,
    ).toEqual([
      'issues/list-comments: query parameter sort is not in the description',
      'issues/list-comments: no Authorization: Bearer token',
      'issues/list-comments: Accept is not application/vnd.github+json',
      'issues/list-comments: X-GitHub-Api-Version is not a version GitHub serves (2022-11-28)',
      'issues/list-comments: GitHub refuses requests without a User-Agent',
    ]);
    expect(checkGitHubResponse('POST', '/repos/a/b/issues/1/comments', 201, { id: 1 })[0]).toBe(
      "issues/create-comment response must have required property 'node_id'",
    );
  });
});
