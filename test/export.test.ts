/**
 * `klaviyo-runner export` end to end: real dbt on DuckDB, the real CLI, the file read back with a
 * CSV parser and checked column by column against the model and against what `plan` says a sync
 * would send and reject. The sandbox stands by to show that export sends nothing, and the state
 * tables show that nothing is marked as sent.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../runner/sandbox/server.ts';
import { copyDemoProject, subscribeWinbackWithConsent, runCli, runDbt } from './helpers/dbt.ts';
import { queryDuckDb } from './helpers/duckdb.ts';
import { assertAllValid } from './helpers/openapi-contract.ts';

type Record = { [column: string]: string };

const PROFILE_HEADER = [
  'Email',
  'Phone Number',
  'External ID',
  'First Name',
  'Last Name',
  'Address',
  'City',
  'Region',
  'Zip Code',
  'Country',
  'rfm_segment',
  'rfm_score',
  'recency_score',
  'frequency_score',
  'monetary_score',
  'predicted_ltv',
  'order_count',
  'lifetime_revenue',
  'first_order_at',
  'last_order_at',
];

describe('export', () => {
  let project: string;
  let db: string;
  let sandbox: RunningSandbox;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    project = await copyDemoProject();
    await subscribeWinbackWithConsent(project);
    const built = await runDbt(project, ['build']);
    if (built.code !== 0) throw new Error(`dbt build failed:\n${built.stdout}`);
    // Then one person listed twice in the profiles model: a duplicate key, which a sync refuses.
    // Rebuilt alone with `dbt run`, as a user's broken model would be, without its unique tests.
    const profiles = path.join(project, 'models', 'klaviyo', 'klaviyo__profiles.sql');
    await writeFile(
      profiles,
      (await readFile(profiles, 'utf8')).replace(
        /select \* from final\s*$/,
        "select * from final\nunion all\nselect * from final where person_id = 'C00001'\n",
      ),
    );
    const rebuilt = await runDbt(project, ['run', '--select', 'klaviyo__profiles']);
    if (rebuilt.code !== 0) throw new Error(`dbt run failed:\n${rebuilt.stdout}`);
    db = path.join(project, 'target', 'demo.duckdb');
    sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 20 });
    env = { KLAVIYO_BASE_URL: sandbox.url, KLAVIYO_API_KEY: 'pk_export_test' };
  }, 600_000);
  afterAll(async () => {
    await sandbox?.close();
  });

  const exportTo = async (sync: string, file: string) => {
    const output = path.join(project, file);
    const ran = await runCli(['export', '--project-dir', project, '--select', sync, '--output', output], env);
    return { ran, output };
  };
  const readCsv = async (file: string): Promise<{ header: string[]; rows: Record[] }> => {
    const text = await readFile(file, 'utf8');
    const all = parse(text);
    return {
      header: all[0]!,
      rows: parse<Record>(text, { columns: true }),
    };
  };

  it("writes a profile sync's rows in Klaviyo's import columns, rejecting what a sync rejects", async () => {
    const { ran, output } = await exportTo('klaviyo_profiles_rfm', 'profiles.csv');
    // The duplicate key is a rejected row: exit 1, the file written.
    expect(ran.code, ran.stderr).toBe(1);
    expect(ran.stdout).toContain('569 row(s) written');
    expect(ran.stdout).toContain(
      'C00001 [person_id]: key appears more than once in the model; fix the model so each key is one row',
    );
    const { header, rows } = await readCsv(output);
    expect(header).toEqual(PROFILE_HEADER);
    expect(rows).toHaveLength(569);

    // Column by column, against the model row of the same person.
    const model = (await queryDuckDb(
      db,
      `select person_id, email, phone_number, first_name, last_name, address1, city, region, zip, country,
              rfm_segment, rfm_score, cast(predicted_ltv as double) as predicted_ltv, order_count,
              strftime(first_order_at, '%Y-%m-%dT%H:%M:%SZ') as first_order_at
       from main.klaviyo__profiles where person_id <> 'C00001' order by person_id`,
    )) as { [c: string]: string | number | null }[];
    const byId = new Map(rows.map((r) => [r['External ID'], r]));
    expect([...byId.keys()].sort()).toEqual(model.map((m) => String(m.person_id)).sort());
    const text = (v: string | number | null | undefined) => (v === null || v === undefined ? '' : String(v));
    let phonesDropped = 0;
    for (const m of model) {
      const r = byId.get(String(m.person_id))!;
      expect(r.Email).toBe(m.email);
      const dropped = r['Phone Number'] === '' && m.phone_number !== null;
      if (dropped) phonesDropped += 1;
      expect(r['Phone Number']).toBe(dropped ? '' : text(m.phone_number));
      expect(r['First Name']).toBe(text(m.first_name));
      expect(r['Last Name']).toBe(text(m.last_name));
      expect(r.Address).toBe(text(m.address1));
      expect(r.City).toBe(text(m.city));
      expect(r.Region).toBe(text(m.region));
      expect(r['Zip Code']).toBe(text(m.zip));
      expect(r.Country).toBe(text(m.country));
      expect(r.rfm_segment).toBe(text(m.rfm_segment));
      expect(r.rfm_score).toBe(text(m.rfm_score));
      expect(r.order_count).toBe(text(m.order_count));
      expect(r.first_order_at).toBe(text(m.first_order_at));
      expect(r.predicted_ltv).toBe(text(m.predicted_ltv));
    }
    // The five phones no numbering plan has are left out of their rows, as a sync leaves them out.
    expect(phonesDropped).toBe(5);
    expect(ran.stdout).toContain('5 row(s) written without a field');

    // What plan says a first load would send and reject is what the file holds and the run refused.
    const planned = await runCli(
      [
        'plan',
        '--project-dir',
        project,
        '--format',
        'json',
        '--select',
        'klaviyo_profiles_rfm',
        '--full-refresh',
      ],
      env,
    );
    const plan = JSON.parse(planned.stdout) as {
      syncs: { counts: { send: number }; rejected: { key: string; reason: string }[] }[];
    };
    expect(plan.syncs[0]!.counts.send).toBe(rows.length);
    expect(plan.syncs[0]!.rejected.map((r) => r.key)).toEqual(['C00001']);
  }, 300_000);

  it('writes list members with the consent columns the list import reads, waiting as a sync waits', async () => {
    // Before the profiles are confirmed, the list's rows wait for them (`after`), as in a sync.
    const before = await exportTo('klaviyo_winback_list', 'winback-before.csv');
    expect(before.ran.code, before.ran.stderr).toBe(0);
    expect((await readCsv(before.output)).rows).toEqual([]);
    expect(before.ran.stdout).toMatch(/\d+ row\(s\) waiting for the `after` sync/);

    const synced = await runCli(
      ['sync', '--project-dir', project, '--select', 'klaviyo_profiles_rfm', '--no-progress'],
      env,
    );
    expect(synced.code, synced.stderr).toBe(1); // the duplicate key, rejected
    const requestsBefore = sandbox.requests().length;

    const { ran, output } = await exportTo('klaviyo_winback_list', 'winback.csv');
    expect(ran.code, ran.stderr).toBe(0);
    const { header, rows } = await readCsv(output);
    expect(header).toEqual([
      'Email',
      'External ID',
      'Email Marketing Consent',
      'Email Marketing Consent Timestamp',
    ]);
    const members = (await queryDuckDb(
      db,
      `select m.email, m.person_id, m.marketing_consent, strftime(m.consented_at, '%Y-%m-%dT%H:%M:%SZ') as consented_at
       from main.klaviyo__winback_list_members m
       join klaviyo_runner.snapshot s on s.sync = 'klaviyo_profiles_rfm' and s.key = m.person_id
       left join main.klaviyo__suppressions x on x.email = m.email
       where coalesce(x.email_consent, '') not in ('UNSUBSCRIBED', 'NEVER_SUBSCRIBED')
       order by m.person_id`,
    )) as { email: string; person_id: string; marketing_consent: boolean; consented_at: string | null }[];
    expect(rows.map((r) => r['External ID'])).toEqual(members.map((m) => m.person_id));
    for (const [i, m] of members.entries()) {
      const r = rows[i]!;
      expect(r.Email).toBe(m.email);
      expect(r['Email Marketing Consent']).toBe(m.marketing_consent ? 'Subscribed' : '');
      expect(r['Email Marketing Consent Timestamp']).toBe(m.marketing_consent ? (m.consented_at ?? '') : '');
    }
    expect(rows.some((r) => r['Email Marketing Consent'] === 'Subscribed')).toBe(true);
    expect(rows.some((r) => r['Email Marketing Consent'] === '')).toBe(true);

    // Nothing was sent and nothing is marked as sent: no request reached the sandbox, and the
    // list sync has no snapshot row.
    expect(sandbox.requests()).toHaveLength(requestsBefore);
    expect(
      await queryDuckDb(
        db,
        `select count(*)::integer as n from klaviyo_runner.snapshot where sync = 'klaviyo_winback_list'`,
      ),
    ).toEqual([{ n: 0 }]);
    assertAllValid(sandbox.requests().filter((r) => r.status < 300));
  }, 300_000);

  it('refuses an event sync, several syncs, and a folder that does not exist, naming them', async () => {
    const event = await exportTo('klaviyo_placed_orders', 'orders.csv');
    expect(event.ran.code).toBe(2);
    expect(event.ran.stderr).toContain(
      'klaviyo_placed_orders (exposures/klaviyo.yml) is a sync of `object: event`',
    );
    const several = await runCli(
      [
        'export',
        '--project-dir',
        project,
        '--select',
        'tag:klaviyo',
        '--output',
        path.join(project, 'x.csv'),
      ],
      env,
    );
    expect(several.code).toBe(2);
    expect(several.stderr).toMatch(/matched 10 \(.*klaviyo_profiles_rfm.*\)\. Name one\./);
    const folder = await exportTo('klaviyo_profiles_rfm', path.join('no-such-folder', 'p.csv'));
    expect(folder.ran.code).toBe(2);
    expect(folder.ran.stderr).toContain('does not exist; create it first');
  }, 120_000);
});
