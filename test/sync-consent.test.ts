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
import { writesSince } from './helpers/sandbox.ts';
import {
  copyDemoProject,
  subscribeWinbackWithConsent,
  runCli,
  runDbt,
  scratchProject,
} from './helpers/dbt.ts';
import { queryDuckDb } from './helpers/duckdb.ts';
import { assertAllValid } from './helpers/openapi-contract.ts';

describe('a list sync that subscribes with consent', () => {
  let project: string;
  let sandbox: RunningSandbox;

  beforeAll(async () => {
    project = await copyDemoProject();
    await subscribeWinbackWithConsent(project);
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
    expect(writesSince(sandbox, before)).toEqual([]);
  });
});

/**
 * What a person withdrew, on email and SMS: a consent column that turns false unsubscribes both
 * channels; a consent column turning true again subscribes only with consent dated after the
 * withdrawal; an email the suppressions model marks UNSUBSCRIBED leaves the list and is
 * unsubscribed from email while SMS stays. The built tables are changed in the warehouse, as a
 * rebuild after the person's choice would change them.
 */
// Each test runs the CLI several times in a row; on a loaded machine that outlasts the default.
describe('a list sync that subscribes email and SMS, when consent is withdrawn', { timeout: 600_000 }, () => {
  let project: string;
  let db: string;
  let sandbox: RunningSandbox;
  let env: NodeJS.ProcessEnv;
  const select = ['--select', 'klaviyo_profiles_rfm', 'klaviyo_winback_list'];
  const sql = (statement: string) => queryDuckDb(db, statement);
  const sync = () => runCli(['sync', '--project-dir', project, '--no-progress', ...select], env);
  const winback = async () =>
    (
      JSON.parse(await readFile(path.join(project, 'target', 'klaviyo_run_results.json'), 'utf8')) as {
        results: {
          sync: string;
          counts: Record<string, number>;
          rejected: { key: string; reason: string }[];
          dropped_fields: { key: string; column: string; reason: string }[];
        }[];
      }
    ).results.find((r) => r.sync === 'klaviyo_winback_list')!;
  const profileOf = (email: string) => sandbox.inspect().profiles.find((p) => p.email === email)!;
  const consentOf = (email: string) => {
    const s = profileOf(email).subscriptions;
    return { email: s.email.marketing.consent, sms: s.sms.marketing.consent };
  };
  const winbackIds = () => sandbox.inspect().lists.find((l) => l.name === 'Winback')!.profileIds;
  type Member = { person_id: string; email: string; phone_number: string | null };

  beforeAll(async () => {
    project = await copyDemoProject();
    db = path.join(project, 'target', 'demo.duckdb');
    const model = path.join(project, 'models', 'klaviyo', 'klaviyo__winback_list_members.sql');
    await writeFile(
      model,
      (await readFile(model, 'utf8')).replace(
        'profiles.rfm_segment\n',
        `profiles.rfm_segment,
        profiles.phone_number,
        coalesce(suppressions.email_consent = 'SUBSCRIBED', false) as marketing_consent,
        case when suppressions.email_consent = 'SUBSCRIBED' and profiles.person_id < 'C00300'
            then timestamp '2025-06-01 00:00:00' end as consented_at\n`,
      ),
    );
    const exposures = path.join(project, 'exposures', 'klaviyo.yml');
    const yaml = (await readFile(exposures, 'utf8')).replace(
      '          list: { name: Winback }\n',
      '          list: { name: Winback }\n          subscribe: { channels: [email, sms], consent: marketing_consent, consented_at: consented_at }\n',
    );
    // The list sync's identity gains the phone SMS consent belongs to.
    const at = yaml.indexOf('model: klaviyo__winback_list_members');
    await writeFile(
      exposures,
      yaml.slice(0, at) +
        yaml
          .slice(at)
          .replace(
            'identity: { email: email, external_id: external_id }',
            'identity: { email: email, phone_number: phone_number, external_id: external_id }',
          ),
    );
    const built = await runDbt(project, ['build']);
    if (built.code !== 0) throw new Error(`dbt build failed:\n${built.stdout}`);
    sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 20 });
    env = { KLAVIYO_BASE_URL: sandbox.url, KLAVIYO_API_KEY: 'pk_withdrawal_test' };
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('subscribes email and SMS with consent, and only email for a member without a phone', async () => {
    const first = await sync();
    expect(first.code, first.stderr).toBe(0);
    const members = (await sql(
      `select m.person_id, m.email, m.phone_number, m.marketing_consent, cast(m.consented_at as varchar) as consented_at
       from main.klaviyo__winback_list_members m
       join klaviyo_runner.snapshot s on s.sync = 'klaviyo_winback_list' and s.key = m.person_id
       order by m.person_id`,
    )) as (Member & { marketing_consent: boolean; consented_at: string | null })[];
    const consenting = members.filter((m) => m.marketing_consent);
    expect(consenting.length).toBeGreaterThan(3);
    expect(consenting.some((m) => m.consented_at !== null)).toBe(true);
    const noPhone = consenting.filter((m) => m.phone_number === null);
    expect(noPhone.length).toBeGreaterThan(0);
    // In Klaviyo: each channel subscribed for exactly the consenting members with its identifier,
    // dated where known; every member is on the list.
    const held = members.map((m) => {
      const p = profileOf(m.email).subscriptions;
      return [m.person_id, p.email.marketing.consent, p.sms.marketing.consent];
    });
    expect(held).toEqual(
      members.map((m) => [
        m.person_id,
        m.marketing_consent ? 'SUBSCRIBED' : 'NEVER_SUBSCRIBED',
        m.marketing_consent && m.phone_number !== null ? 'SUBSCRIBED' : 'NEVER_SUBSCRIBED',
      ]),
    );
    const dated = consenting.filter((m) => m.consented_at !== null && m.phone_number !== null);
    expect(dated.map((m) => profileOf(m.email).subscriptions.sms.marketing.consented_at)).toEqual(
      dated.map(() => '2025-06-01T00:00:00Z'),
    );
    // Their SMS consent is reported as dropped, by key, with the phone column and the reason.
    const { dropped_fields: dropped, rejected } = await winback();
    expect(rejected).toEqual([]);
    expect(
      dropped
        .filter((d) => d.reason.startsWith('sms consent'))
        .map((d) => d.key)
        .sort(),
    ).toEqual(noPhone.map((m) => m.person_id).sort());
    expect(dropped.find((d) => d.reason.startsWith('sms consent'))).toMatchObject({
      column: 'phone_number',
      reason: 'sms consent not sent: the row has no valid phone_number',
    });
    expect(winbackIds().length).toBe(members.length);
    assertAllValid(sandbox.requests().filter((r) => r.status < 300));
  });

  it('unsubscribes both channels when the consent column turns false, and subscribes again only with newer consent', async () => {
    const chosen = (await sql(
      `select m.person_id, m.email, m.phone_number from main.klaviyo__winback_list_members m
       join klaviyo_runner.snapshot s on s.sync = 'klaviyo_winback_list' and s.key = m.person_id
       where m.marketing_consent and m.phone_number is not null order by m.person_id limit 2`,
    )) as Member[];
    const keys = chosen.map((m) => `'${m.person_id}'`).join(', ');
    await sql(
      `update main.klaviyo__winback_list_members set marketing_consent = false where person_id in (${keys})`,
    );

    const plan = await runCli(['plan', '--project-dir', project, '--format', 'json', ...select], env);
    expect(plan.code, plan.stderr).toBe(0);
    const planned = (JSON.parse(plan.stdout) as { syncs: { sync: string; unsubscribes: number }[] }).syncs;
    expect(planned.find((s) => s.sync === 'klaviyo_winback_list')!.unsubscribes).toBe(2);

    const since = sandbox.requests().length;
    const withdrawn = await sync();
    expect(withdrawn.code, withdrawn.stderr).toBe(0);
    expect((await winback()).counts).toMatchObject({ unsubscribed: 2, subscribed: 0, list_removed: 0 });
    const sent = sandbox
      .requests()
      .slice(since)
      .filter((r) => r.operationId === 'bulk_unsubscribe_profiles');
    expect(sent.map((r) => r.status)).toEqual([202]);
    assertAllValid(sent);
    for (const m of chosen) {
      expect(consentOf(m.email)).toEqual({ email: 'UNSUBSCRIBED', sms: 'UNSUBSCRIBED' });
      // Membership follows the model, not consent: still on the list.
      expect(winbackIds()).toContain(profileOf(m.email).id);
    }
    const quiet = sandbox.requests().length;
    expect((await sync()).code).toBe(0);
    expect(writesSince(sandbox, quiet)).toEqual([]);

    // The consent column says yes again, with no newer consent time: not subscribed, and said why.
    await sql(
      `update main.klaviyo__winback_list_members set marketing_consent = true where person_id in (${keys})`,
    );
    const refused = await sync();
    expect(refused.code, refused.stderr).toBe(1);
    const { rejected } = await winback();
    expect(rejected.map((r) => r.key).sort()).toEqual(chosen.map((m) => m.person_id).sort());
    expect(rejected[0]!.reason).toMatch(
      /^consent was withdrawn \(email unsubscribe sent to Klaviyo at [\dT:.-]+Z, sms unsubscribe sent to Klaviyo at [\dT:.-]+Z\); subscribing again needs consent dated after it in consented_at$/,
    );
    for (const m of chosen)
      expect(consentOf(m.email)).toEqual({ email: 'UNSUBSCRIBED', sms: 'UNSUBSCRIBED' });

    // New consent, dated after the withdrawal: subscribed again, as a historical import with that time.
    await sql(
      `update main.klaviyo__winback_list_members
       set consented_at = make_timestamp(epoch_us(current_timestamp)) - interval 1 second
       where person_id in (${keys})`,
    );
    const again = await sync();
    expect(again.code, again.stderr).toBe(0);
    expect((await winback()).counts).toMatchObject({ subscribed: 2 });
    for (const m of chosen) expect(consentOf(m.email)).toEqual({ email: 'SUBSCRIBED', sms: 'SUBSCRIBED' });
  });

  it('takes a member the suppressions model marks unsubscribed off the list and unsubscribes the email only', async () => {
    const [member] = (await sql(
      `select m.person_id, m.email, m.phone_number from main.klaviyo__winback_list_members m
       join klaviyo_runner.snapshot s on s.sync = 'klaviyo_winback_list' and s.key = m.person_id
       where m.marketing_consent and m.phone_number is not null order by m.person_id desc limit 1`,
    )) as Member[];
    expect(consentOf(member!.email)).toEqual({ email: 'SUBSCRIBED', sms: 'SUBSCRIBED' });
    await sql(
      `update main.klaviyo__suppressions set email_consent = 'UNSUBSCRIBED' where email = '${member!.email}'`,
    );
    const ran = await sync();
    expect(ran.code, ran.stderr).toBe(0);
    expect((await winback()).counts).toMatchObject({ list_removed: 1, unsubscribed: 1 });
    expect(consentOf(member!.email)).toEqual({ email: 'UNSUBSCRIBED', sms: 'SUBSCRIBED' });
    expect(winbackIds()).not.toContain(profileOf(member!.email).id);
  });
});

/**
 * Each member's consent stands alone: a row without an email is added to the list and its email
 * channel reported as dropped, never sent to Klaviyo (which refuses email consent without an
 * email, and the request with it); a row subscribes the channels it can take; a consent value the
 * boolean rule cannot read is reported; consent with a time and consent without one go in separate
 * requests whose outcomes are their own.
 */
describe('a list sync whose members cannot all take every channel', { timeout: 300_000 }, () => {
  const optins = `select id, email, phone, consent, consented_at from (values
  (1, 'ok1@optin.example', null, 'true', null),
  (2, 'ok2@optin.example', null, 'true', timestamp '2025-06-01 00:00:00'),
  (3, null, '+14155552633', 'true', null),
  (4, 'maybe@optin.example', '+14155552634', 'oui', null)
) t(id, email, phone, consent, consented_at)
`;
  const list = (name: string, label: string, channels: string) => `  - name: ${name}
    type: application
    owner: { name: Data }
    depends_on: [ref('optins')]
    config:
      meta:
        klaviyo:
          object: list_membership
          key: id
          identity: { email: email, phone_number: phone }
          list: { name: ${label} }
          subscribe: { channels: [${channels}], consent: consent, consented_at: consented_at }
`;
  const exposures = `version: 2
exposures:
  - name: optin_profiles
    type: application
    owner: { name: Data }
    depends_on: [ref('optins')]
    config:
      meta:
        klaviyo: { object: profile, key: id, identity: { email: email, phone_number: phone } }
${list('optin_email', 'Newsletter', 'email')}${list('optin_both', 'Alerts', 'email, sms')}`;
  let sandbox: RunningSandbox | undefined;
  afterAll(async () => {
    await sandbox?.close();
  });

  it('adds every member, subscribes the channels each can take, reports the rest, and sends nothing the second time', async () => {
    const project = await scratchProject('optins', {
      'models/optins.sql': optins,
      'models/exposures.yml': exposures,
    });
    const db = path.join(project, 'target', 'demo.duckdb');
    const built = await runDbt(project, ['build']);
    expect(built.code, built.stdout).toBe(0);
    sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 20 });
    const env = { KLAVIYO_BASE_URL: sandbox.url, KLAVIYO_API_KEY: 'pk_optins', KLAVIYO_RUNNER_DUCKDB: db };
    const first = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
    expect(first.code, first.stdout + first.stderr).toBe(0);

    const results = (
      JSON.parse(await readFile(path.join(project, 'target', 'klaviyo_run_results.json'), 'utf8')) as {
        results: {
          sync: string;
          counts: Record<string, number>;
          dropped_fields: { key: string; column: string; reason: string }[];
        }[];
      }
    ).results;
    const of = (sync: string) => results.find((r) => r.sync === sync)!;
    const unread =
      'not_a_boolean: "oui" is not true or false (accepted: true/false, yes/no, y/n, t/f, 1/0); the member is added without subscribing';
    expect(of('optin_email').counts).toMatchObject({ list_added: 4, subscribed: 2, rejected: 0, failed: 0 });
    expect(of('optin_email').dropped_fields).toEqual([
      { key: '3', column: 'email', reason: 'email consent not sent: the row has no email' },
      { key: '4', column: 'consent', reason: unread },
    ]);
    expect(of('optin_both').counts).toMatchObject({ list_added: 4, subscribed: 3, rejected: 0, failed: 0 });
    expect(of('optin_both').dropped_fields).toEqual([
      { key: '1', column: 'phone', reason: 'sms consent not sent: the row has no valid phone_number' },
      { key: '2', column: 'phone', reason: 'sms consent not sent: the row has no valid phone_number' },
      { key: '3', column: 'email', reason: 'email consent not sent: the row has no email' },
      { key: '4', column: 'consent', reason: unread },
    ]);

    const state = sandbox.inspect();
    const consent = state.profiles
      .map((p) => [
        p.email ?? p.phone_number,
        p.subscriptions.email.marketing.consent,
        p.subscriptions.sms.marketing.consent,
      ])
      .sort();
    expect(consent).toEqual([
      ['+14155552633', 'NEVER_SUBSCRIBED', 'SUBSCRIBED'],
      ['maybe@optin.example', 'NEVER_SUBSCRIBED', 'NEVER_SUBSCRIBED'],
      ['ok1@optin.example', 'SUBSCRIBED', 'NEVER_SUBSCRIBED'],
      ['ok2@optin.example', 'SUBSCRIBED', 'NEVER_SUBSCRIBED'],
    ]);
    for (const l of state.lists) expect(l.profileIds.length, l.name).toBe(4);
    const subscribes = sandbox.requests().filter((r) => r.operationId === 'bulk_subscribe_profiles');
    expect(subscribes.map((r) => r.status)).toEqual([202, 202, 202, 202]);
    assertAllValid(sandbox.requests().filter((r) => r.status < 300));

    const before = sandbox.requests().length;
    const second = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(writesSince(sandbox, before)).toEqual([]);
  });
});

/**
 * A scoped sync reads each email as the runner sends it: a tab or newline around it, a mailto:
 * prefix or upper case does not let a suppressed person through. And a scope that has no email to
 * match by is refused before anything is read or sent.
 */
describe('a scoped sync against its suppressions model', () => {
  const models = {
    'models/people.sql': `select * from (values
    ('1', 's1@scope.example' || chr(9)),
    ('2', 'mailto:s2@scope.example'),
    ('3', ' S3@Scope.Example' || chr(10)),
    ('4', 'kept@scope.example' || chr(9))
) as t (id, email)
`,
    'models/phones.sql': `select '1' as id, '+14155552671' as phone\n`,
    'models/suppressions.sql': `select * from (values
    ('s1@scope.example', 'UNSUBSCRIBED', false),
    ('s2@scope.example', 'SUBSCRIBED', true),
    ('S3@scope.example ', 'UNSUBSCRIBED', false),
    ('kept@scope.example', 'SUBSCRIBED', false)
) as t (email, email_consent, is_suppressed)
`,
  };
  const exposure = (name: string, model: string, identity: string) => `
  - name: ${name}
    type: application
    owner: { name: Data }
    depends_on: [ref('${model}'), ref('suppressions')]
    config:
      meta:
        klaviyo:
          object: profile
          model: ${model}
          key: id
          identity: ${identity}
          scope: { suppressions: suppressions, exclude: [suppressed, unsubscribed] }
`;
  let sandbox: RunningSandbox | undefined;
  afterAll(async () => {
    await sandbox?.close();
  });

  it('writes none of the suppressed emails, however the model spells them', async () => {
    const project = await scratchProject('scope_emails', {
      ...models,
      'models/exposures.yml': `version: 2\nexposures:${exposure('scoped_people', 'people', '{ email: email }')}`,
    });
    const built = await runDbt(project, ['build']);
    expect(built.code, built.stdout).toBe(0);
    sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 20 });
    const env = {
      KLAVIYO_BASE_URL: sandbox.url,
      KLAVIYO_API_KEY: 'pk_scope_test',
      KLAVIYO_RUNNER_DUCKDB: path.join(project, 'target', 'demo.duckdb'),
    };
    const ran = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
    expect(ran.code, ran.stderr).toBe(0);
    expect(sandbox.inspect().profiles.map((p) => p.email)).toEqual(['kept@scope.example']);
    const results = JSON.parse(
      await readFile(path.join(project, 'target', 'klaviyo_run_results.json'), 'utf8'),
    ) as { results: { sync: string; counts: Record<string, number> }[] };
    expect(results.results[0]!.counts).toMatchObject({ created: 1, skipped_by_scope: 3 });
  });

  it('refuses a scope on a sync whose identity has no email, naming the exposure', async () => {
    const project = await scratchProject('scope_phones', {
      ...models,
      'models/exposures.yml': `version: 2\nexposures:${exposure('scoped_phones', 'phones', '{ phone_number: phone }')}`,
    });
    const built = await runDbt(project, ['build']);
    expect(built.code, built.stdout).toBe(0);
    const env = { KLAVIYO_RUNNER_DUCKDB: path.join(project, 'target', 'demo.duckdb') };
    const problem =
      '- exposure `scoped_phones` (models/exposures.yml): config.meta.klaviyo.scope matches each row to the suppressions model by its email, and config.meta.klaviyo.identity names no `email` column';
    for (const command of ['validate', 'plan']) {
      const ran = await runCli([command, '--project-dir', project], env);
      expect(ran.code, ran.stdout).toBe(2);
      expect(ran.stderr).toContain(problem);
    }
  });
});
