/**
 * `klaviyo-runner plan` end to end on a real dbt build of the demo on DuckDB: exact counts on a
 * first plan, the three formats, nothing written to the snapshot, and zero changes once a sync
 * against the sandbox has confirmed everything.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../runner/sandbox/server.ts';
import { copyDemoProject, runCli, runDbt } from './helpers/dbt.ts';
import { queryDuckDb } from './helpers/duckdb.ts';

interface PlanJson {
  syncs: {
    sync: string;
    counts: Record<string, number>;
    newProfiles: number;
    rejected: { key: string; column?: string; reason: string }[];
    leftOutByModel: { key: string; reason_code: string | null; reason: string }[];
    leftOutByReason: Record<string, number>;
    droppedFields: { key: string; column: string; reason: string }[];
    estimate: { requests: Record<string, number>; total: number; seconds: number };
  }[];
  totals: { send: number; rejected: number; leftOutByModel: number; requests: number };
}

describe('klaviyo-runner plan', () => {
  let project: string;
  let sandbox: RunningSandbox;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    project = await copyDemoProject();
    const built = await runDbt(project, ['build']);
    if (built.code !== 0) throw new Error(`dbt build failed:\n${built.stdout}`);
    sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 20 });
    env = { KLAVIYO_BASE_URL: sandbox.url, KLAVIYO_API_KEY: 'pk_plan_test' };
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  const planJson = async (): Promise<PlanJson> => {
    const ran = await runCli(['plan', '--project-dir', project, '--format', 'json']);
    expect(ran.code, ran.stderr).toBe(0);
    return JSON.parse(ran.stdout) as PlanJson;
  };

  it('validates, then plans the first load with exact counts, sending nothing', async () => {
    const valid = await runCli(['validate', '--project-dir', project]);
    expect(valid.code, valid.stderr).toBe(0);

    const plan = await planJson();
    const by = Object.fromEntries(plan.syncs.map((s) => [s.sync, s]));
    expect(by.klaviyo_profiles_rfm!.counts).toMatchObject({
      create: 570,
      update: 0,
      unchanged: 0,
      remove: 0,
      rejected: 0,
      send: 570,
      fieldsDropped: 5,
    });
    expect(by.klaviyo_profiles_rfm!.newProfiles).toBe(570);
    // Five phones no numbering plan has: the profiles go by email, without the phone.
    expect(by.klaviyo_profiles_rfm!.droppedFields.map((r) => [r.key, r.column])).toEqual([
      ['C00023', 'phone_number'],
      ['C00029', 'phone_number'],
      ['C00217', 'phone_number'],
      ['C00337', 'phone_number'],
      ['C00470', 'phone_number'],
    ]);
    // One import job for 570 profiles, then their ids read back for the winback list that follows.
    expect(by.klaviyo_profiles_rfm!.estimate.requests.bulk_import_profiles).toBe(1);
    expect(by.klaviyo_placed_orders!.counts).toMatchObject({ create: 1892, rejected: 0, send: 1892 });
    expect(by.klaviyo_placed_orders!.estimate.requests).toEqual({ bulk_create_events: 2 });
    expect(by.klaviyo_ordered_products!.counts).toMatchObject({ create: 5467, rejected: 0, send: 5467 });
    expect(by.klaviyo_ordered_products!.estimate.requests).toEqual({ bulk_create_events: 6 });
    expect(by.klaviyo_cancelled_orders!.counts).toMatchObject({ create: 96, send: 96 });
    expect(by.klaviyo_refunded_orders!.counts).toMatchObject({ create: 68, send: 68 });
    expect(by.klaviyo_fulfilled_orders!.counts).toMatchObject({ create: 1796, send: 1796 });
    // Orders the dbt models left out are named in the plan of the sync they would have gone to.
    expect(by.klaviyo_placed_orders!.counts.leftOutByModel).toBe(230);
    expect(by.klaviyo_placed_orders!.leftOutByReason).toEqual({
      person_unresolved: 220,
      lines_not_shippable: 7,
      duplicate_order: 1,
      future_order: 1,
      no_lines: 1,
    });
    expect(by.klaviyo_placed_orders!.leftOutByModel.find((r) => r.key === 'SO-NOLINES')).toEqual({
      key: 'SO-NOLINES',
      reason_code: 'no_lines',
      reason: 'the order has no lines in the order lines input',
    });
    expect(by.klaviyo_profiles_rfm!.counts.leftOutByModel).toBe(71);
    // The winback list waits for the profile sync to confirm its members; 16 are out of scope.
    expect(by.klaviyo_winback_list!.counts).toMatchObject({
      skippedByScope: 16,
      waitingOnAfter: 123,
      send: 0,
    });
    expect(plan.totals).toMatchObject({
      send: 570 + 1892 + 5467 + 1796 + 96 + 68 + 85 + 484 + 176,
      rejected: 0,
      leftOutByModel: 71 + 230 + 638 + 220 + 9 + 9 + 16 + 65 + 26,
    });

    // Planning created no state schema and sent nothing to Klaviyo.
    const [schemas] = await queryDuckDb(
      path.join(project, 'target', 'demo.duckdb'),
      `select count(*)::integer as n from information_schema.schemata where schema_name = 'klaviyo_runner'`,
    );
    expect(schemas!.n).toBe(0);
    expect(sandbox.requests()).toEqual([]);
  });

  it('renders the same plan as text and as a Markdown pull-request comment', async () => {
    const text = await runCli(['plan', '--project-dir', project]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('create 570, update 0, unchanged 0, remove 0');
    expect(text.stdout).not.toContain('create 570, update 0, unchanged 0, remove 0, rejected');
    expect(text.stdout).toContain('up to 570 new Klaviyo profiles');
    expect(text.stdout).toContain('  sent without phone_number: C00023: phone_number dropped:');
    expect(text.stdout).toMatch(
      /Total: 10634 to send, 0 rejected, 1284 left out by the dbt models, \d+ requests/,
    );
    expect(text.stdout).toContain(
      '  230 left out by the dbt models (person_unresolved 220, lines_not_shippable 7, duplicate_order 1, future_order 1, no_lines 1)',
    );

    const markdown = await runCli(['plan', '--project-dir', project, '--format', 'markdown']);
    expect(markdown.code, markdown.stderr).toBe(0);
    expect(markdown.stdout).toContain('| `klaviyo_profiles_rfm` | profile | 570 | 0 | 0 | 0 | 0 | 71 |');
    expect(markdown.stdout).toContain('| `C00023` | `phone_number` |');
  });

  it('shows zero changes right after a sync confirmed everything', async () => {
    const synced = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
    expect(synced.code).toBe(0);
    const plan = await planJson();
    for (const s of plan.syncs) {
      expect(s.counts, s.sync).toMatchObject({ create: 0, update: 0, remove: 0, send: 0 });
      expect(s.estimate.total, s.sync).toBe(0);
    }
    // Rows sent without their phone were confirmed: neither re-planned nor reported again.
    const profiles = plan.syncs.find((s) => s.sync === 'klaviyo_profiles_rfm')!;
    expect(profiles.counts).toMatchObject({
      unchanged: 570,
      previouslyRejected: 0,
      rejected: 0,
      fieldsDropped: 0,
    });
    expect(plan.syncs.find((s) => s.sync === 'klaviyo_winback_list')!.counts.unchanged).toBe(123);
  });
});
