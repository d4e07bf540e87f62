/**
 * Marketing consent end to end: a list sync that subscribes only the rows whose consent column
 * says yes, consent given long ago as a historical import with its time, consent without a time as
 * an ordinary subscription, never implied by list membership. Real dbt on DuckDB, the real CLI, the
 * sandbox over HTTP, every request checked against Klaviyo's OpenAPI description.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../runner/sandbox/server.ts';
import { copyDemoProject, runCli, runDbt } from './helpers/dbt.ts';
import { queryDuckDb } from './helpers/duckdb.ts';
import { assertAllValid } from './helpers/openapi-contract.ts';

describe('a list sync that subscribes with consent', () => {
  let project: string;
  let sandbox: RunningSandbox;

  beforeAll(async () => {
    project = await copyDemoProject();
    // The winback model gains a consent column and, for some, the time consent was given.
    const model = path.join(project, 'models', 'klaviyo', 'klaviyo__winback_list_members.sql');
    await writeFile(
      model,
      (await readFile(model, 'utf8')).replace(
        'profiles.rfm_segment\n',
        `profiles.rfm_segment,
        coalesce(suppressions.email_consent = 'SUBSCRIBED', false) as marketing_consent,
        case when suppressions.email_consent = 'SUBSCRIBED' and profiles.person_id < 'C00300'
            then timestamp '2025-06-01 00:00:00' end as consented_at\n`,
      ),
    );
    const exposures = path.join(project, 'exposures', 'klaviyo.yml');
    await writeFile(
      exposures,
      (await readFile(exposures, 'utf8')).replace(
        '          list: { name: Winback }\n',
        '          list: { name: Winback }\n          subscribe: { channels: [email], consent: marketing_consent, consented_at: consented_at }\n',
      ),
    );
    const built = await runDbt(project, ['build']);
    if (built.code !== 0) throw new Error(`dbt build failed:\n${built.stdout}`);
    sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 20 });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('subscribes exactly the consenting members, with their consent times, and sends nothing the second time', async () => {
    const env = { KLAVIYO_BASE_URL: sandbox.url, KLAVIYO_API_KEY: 'pk_consent_test' };
    const first = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
    expect(first.code, first.stderr).toBe(0); // the demo's five impossible phones cost only the field

    const db = path.join(project, 'target', 'demo.duckdb');
    const members = (await queryDuckDb(
      db,
      `select m.email, m.marketing_consent, cast(m.consented_at as varchar) as consented_at
       from main.klaviyo__winback_list_members m
       join klaviyo_runner.snapshot s on s.sync = 'klaviyo_winback_list' and s.key = m.person_id`,
    )) as { email: string; marketing_consent: boolean; consented_at: string | null }[];
    const consenting = members.filter((m) => m.marketing_consent);
    const dated = consenting.filter((m) => m.consented_at !== null);
    expect(members.length).toBe(123);
    expect(consenting.length).toBeGreaterThan(0);
    expect(dated.length).toBeGreaterThan(0);
    expect(dated.length).toBeLessThan(consenting.length);

    const results = JSON.parse(
      await readFile(path.join(project, 'target', 'klaviyo_run_results.json'), 'utf8'),
    ) as { results: { sync: string; counts: Record<string, number> }[] };
    const winback = results.results.find((r) => r.sync === 'klaviyo_winback_list')!;
    expect(winback.counts).toMatchObject({ list_added: 123, subscribed: consenting.length });

    // In Klaviyo: consenting members are subscribed, with the time they gave consent where known;
    // the other members are on the list without any subscription.
    const state = sandbox.inspect();
    const byEmail = new Map(state.profiles.map((p) => [p.email, p]));
    const held = members.map((m) => {
      const marketing = byEmail.get(m.email)!.subscriptions.email.marketing as {
        consent: string;
        consented_at?: string;
      };
      const subscribed = marketing.consent === 'SUBSCRIBED';
      return {
        email: m.email,
        subscribed,
        at: subscribed && m.consented_at !== null ? marketing.consented_at : null,
      };
    });
    expect(held).toEqual(
      members.map((m) => ({
        email: m.email,
        subscribed: m.marketing_consent,
        at: m.marketing_consent && m.consented_at !== null ? '2025-06-01T00:00:00Z' : null,
      })),
    );
    const subscribes = sandbox.requests().filter((r) => r.operationId === 'bulk_subscribe_profiles');
    expect(subscribes.map((r) => r.status)).toEqual([202, 202]);
    assertAllValid(sandbox.requests().filter((r) => r.status < 300));

    const before = sandbox.requests().length;
    const second = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(
      sandbox
        .requests()
        .slice(before)
        .filter((r) => r.method !== 'GET'),
    ).toEqual([]);
  });
});
