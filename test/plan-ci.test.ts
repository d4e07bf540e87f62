/**
 * `plan` in a pull request, on a real dbt build of the demo on DuckDB: it writes nothing (the
 * DuckDB file is byte for byte the same), plans against a state schema that does not exist, reads
 * the PR's models from a CI schema and production's snapshot from another, and explains each kind
 * of exposure change before its counts; `sync` refuses a stale snapshot until told to start over.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../runner/sandbox/server.ts';
import { copyDemoProject, runCli, runDbt } from './helpers/dbt.ts';
import { queryDuckDb } from './helpers/duckdb.ts';

interface Change {
  kind: string;
  what: string;
  consequence: string;
  needsFlag: boolean;
}
interface PlanJson {
  deferred: string[];
  stateFound: boolean;
  stateRelation: string;
  modelSchemas: string[];
  removedSyncs: { sync: string; change: Change }[];
  syncs: { sync: string; counts: Record<string, number>; configChanges: Change[]; startsOver: boolean }[];
}

type Klaviyo = Record<string, unknown>;
interface Manifest {
  exposures: Record<
    string,
    { name: string; meta?: { klaviyo?: Klaviyo }; config?: { meta?: { klaviyo?: Klaviyo } } }
  >;
}

const fileHash = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

/** Every schema, table and row count in the file, read without writing. */
async function contents(file: string): Promise<string[]> {
  const tables = await queryDuckDb(
    file,
    `select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' order by 1, 2`,
    { readOnly: true },
  );
  const out = [];
  for (const t of tables) {
    const [n] = await queryDuckDb(
      file,
      `select count(*)::integer as n from "${String(t.table_schema)}"."${String(t.table_name)}"`,
      { readOnly: true },
    );
    out.push(`${String(t.table_schema)}.${String(t.table_name)}: ${String(n!.n)}`);
  }
  return out;
}

describe('plan in a pull request', () => {
  let project: string;
  let db: string;
  let sandbox: RunningSandbox;
  let env: NodeJS.ProcessEnv;
  let manifestPath: string;
  let ciManifest: string;
  let prodManifest: string;

  /** Rewrites one exposure's block in the manifest, as dbt parse would after the YAML changed. */
  const editExposure = async (name: string, edit: (k: Klaviyo) => Klaviyo | null, base = ciManifest) => {
    const manifest = JSON.parse(base) as Manifest;
    const id = `exposure.klaviyo_runner.${name}`;
    const exposure = manifest.exposures[id]!;
    const next = edit(structuredClone(exposure.config!.meta!.klaviyo!));
    if (next === null) delete manifest.exposures[id];
    else {
      exposure.meta = { ...exposure.meta, klaviyo: next };
      exposure.config = { ...exposure.config, meta: { ...exposure.config?.meta, klaviyo: next } };
    }
    await writeFile(manifestPath, JSON.stringify(manifest));
  };
  const addExposure = async (from: string, name: string) => {
    const manifest = JSON.parse(ciManifest) as Manifest;
    manifest.exposures[`exposure.klaviyo_runner.${name}`] = {
      ...structuredClone(manifest.exposures[`exposure.klaviyo_runner.${from}`]!),
      name,
    };
    await writeFile(manifestPath, JSON.stringify(manifest));
  };
  const ciPlan = async (args: string[] = [], format = 'json') => {
    const ran = await runCli([
      'plan',
      '--project-dir',
      project,
      '--target',
      'ci',
      '--state-schema',
      'prod_state',
      '--defer',
      '--state',
      path.join(project, 'prod-artifacts'),
      '--format',
      format,
      ...args,
    ]);
    expect(ran.code, ran.stderr).toBe(0);
    return ran.stdout;
  };
  const planJson = async (args: string[] = []) => JSON.parse(await ciPlan(args)) as PlanJson;
  const bySync = (plan: PlanJson) => Object.fromEntries(plan.syncs.map((s) => [s.sync, s]));

  beforeAll(async () => {
    project = await copyDemoProject();
    db = path.join(project, 'target', 'demo.duckdb');
    manifestPath = path.join(project, 'target', 'manifest.json');
    // A second target, as a CI job has: the same warehouse, the models in their own schema.
    const profiles = await readFile(path.join(project, 'profiles.yml'), 'utf8');
    await writeFile(
      path.join(project, 'profiles.yml'),
      `${profiles}    ci:\n      type: duckdb\n      path: "{{ env_var('KLAVIYO_RUNNER_DUCKDB', 'target/demo.duckdb') }}"\n      schema: ci_pr\n      threads: 2\n`,
    );
    const built = await runDbt(project, ['build']);
    if (built.code !== 0) throw new Error(`dbt build failed:\n${built.stdout}`);
    sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 20 });
    env = { KLAVIYO_BASE_URL: sandbox.url, KLAVIYO_API_KEY: 'pk_plan_ci_test' };
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('plans against a state schema that does not exist, leaving the DuckDB file byte for byte as it was', async () => {
    const before = { hash: await fileHash(db), contents: await contents(db) };
    const ran = await runCli([
      'plan',
      '--project-dir',
      project,
      '--state-schema',
      'prod_state',
      '--format',
      'markdown',
    ]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain('**No snapshot found** at `"prod_state"."snapshot"`');
    expect(ran.stdout).toContain('| `klaviyo_profiles_rfm` | profile | 570 | 0 | 0 | 0 | 0 |');
    expect(await fileHash(db)).toBe(before.hash);
    expect(await contents(db)).toEqual(before.contents);
    expect(before.contents.some((t) => t.startsWith('prod_state.'))).toBe(false);
    expect(sandbox.requests()).toEqual([]);
  });

  it('reads the PR models from a CI schema and production state from another, writing nothing', async () => {
    // Production: the models in `main`, synced once without `order_count` on the profiles.
    const exposures = path.join(project, 'exposures', 'klaviyo.yml');
    const yaml = await readFile(exposures, 'utf8');
    await writeFile(exposures, yaml.replace('predicted_ltv, order_count,', 'predicted_ltv,'));
    const parsed = await runDbt(project, ['parse']);
    if (parsed.code !== 0) throw new Error(`dbt parse failed:\n${parsed.stdout}`);
    await mkdir(path.join(project, 'prod-artifacts'));
    await copyFile(manifestPath, path.join(project, 'prod-artifacts', 'manifest.json'));
    prodManifest = await readFile(manifestPath, 'utf8');
    const synced = await runCli(
      ['sync', '--project-dir', project, '--state-schema', 'prod_state', '--no-progress'],
      env,
    );
    // The five impossible phones are dropped and reported; their profiles go by email.
    expect(synced.code, synced.stderr).toBe(0);

    // The pull request adds `order_count` back and touches the winback model; slim CI builds only
    // what changed, in `ci_pr`, deferring the rest to production.
    await writeFile(exposures, yaml);
    const winback = path.join(project, 'models', 'klaviyo', 'klaviyo__winback_list_members.sql');
    await writeFile(winback, `${await readFile(winback, 'utf8')}-- reviewed\n`);
    const ci = await runDbt(project, [
      'build',
      '--target',
      'ci',
      '--select',
      'state:modified+',
      '--defer',
      '--state',
      path.join(project, 'prod-artifacts'),
    ]);
    if (ci.code !== 0) throw new Error(`dbt build --target ci failed:\n${ci.stdout}`);
    ciManifest = await readFile(manifestPath, 'utf8');
    const before = { hash: await fileHash(db), contents: await contents(db) };
    expect(before.contents).toContain('ci_pr.klaviyo__winback_list_members: 139');
    expect(before.contents.some((t) => t.startsWith('ci_pr.klaviyo__profiles'))).toBe(false);

    const plan = await planJson();
    expect(plan).toMatchObject({
      stateFound: true,
      stateRelation: '"prod_state"."snapshot"',
      modelSchemas: ['"demo"."main"', '"demo"."ci_pr"'],
      deferred: [
        '"demo"."main"."klaviyo__added_to_cart_events"',
        '"demo"."main"."klaviyo__cancelled_order_events"',
        '"demo"."main"."klaviyo__fulfilled_order_events"',
        '"demo"."main"."klaviyo__ordered_product_events"',
        '"demo"."main"."klaviyo__placed_order_events"',
        '"demo"."main"."klaviyo__profiles"',
        '"demo"."main"."klaviyo__refunded_order_events"',
        '"demo"."main"."klaviyo__rejected_rows"',
        '"demo"."main"."klaviyo__started_checkout_events"',
        '"demo"."main"."klaviyo__suppressions"',
        '"demo"."main"."klaviyo__viewed_product_events"',
        '"demo"."main"."klaviyo__withheld_fields"',
      ],
      removedSyncs: [],
    });
    const by = bySync(plan);
    // Production's snapshot says Klaviyo has every event and list member already.
    expect(by.klaviyo_placed_orders!.counts).toMatchObject({ create: 0, unchanged: 1892 });
    expect(by.klaviyo_winback_list!.counts).toMatchObject({ create: 0, unchanged: 123 });
    expect(by.klaviyo_placed_orders!.configChanges).toEqual([]);
    // The PR adds `order_count` to the profiles: every confirmed profile is sent again.
    expect(by.klaviyo_profiles_rfm!.configChanges).toEqual([
      {
        kind: 'columns',
        what: 'Columns added `properties.order_count`.',
        consequence:
          "Every row is hashed over the sync's columns, so the 570 rows already in Klaviyo become updates and are sent again.",
        needsFlag: false,
      },
    ]);
    expect(by.klaviyo_profiles_rfm!.counts).toMatchObject({ create: 0, update: 570, rejected: 0, send: 570 });

    const markdown = await ciPlan([], 'markdown');
    expect(markdown).toContain(
      'Models from `"demo"."main"`, `"demo"."ci_pr"`; what Klaviyo holds from the snapshot in `"prod_state"."snapshot"`.',
    );
    expect(markdown.indexOf('#### Configuration changes')).toBeLessThan(markdown.indexOf('| sync |'));
    expect(markdown).toContain('- `klaviyo_profiles_rfm`: Columns added `properties.order_count`.');
    expect(await fileHash(db)).toBe(before.hash);
    expect(await contents(db)).toEqual(before.contents);
  }, 300_000);

  it('says a removed property stays in Klaviyo unless on_remove clears it', async () => {
    const drop = (onRemove: string) =>
      editExposure('klaviyo_profiles_rfm', (k) => ({
        ...k,
        properties: (k.properties as string[]).filter((p) => p !== 'rfm_score'),
        on_remove: onRemove,
      }));
    await drop('ignore');
    let rfm = bySync(await planJson(['--select', 'klaviyo_profiles_rfm'])).klaviyo_profiles_rfm!;
    expect(rfm.configChanges[0]!.what).toBe(
      'Columns added `properties.order_count`; removed `properties.rfm_score`.',
    );
    expect(rfm.configChanges[0]!.consequence).toContain(
      'Klaviyo keeps the last value of `rfm_score` on each profile (`on_remove: ignore`; `unset_properties` would clear it).',
    );
    expect(rfm.counts).toMatchObject({ update: 570, send: 570 });
    await drop('unset_properties');
    rfm = bySync(await planJson(['--select', 'klaviyo_profiles_rfm'])).klaviyo_profiles_rfm!;
    expect(rfm.configChanges[0]!.consequence).toContain(
      '`rfm_score` is cleared from every profile that has a value (`on_remove: unset_properties`).',
    );
  });

  it('explains a changed key, metric or list, with the counts of starting over', async () => {
    await editExposure('klaviyo_placed_orders', (k) => ({ ...k, metric: 'Order Placed' }));
    let orders = bySync(await planJson(['--select', 'klaviyo_placed_orders'])).klaviyo_placed_orders!;
    expect(orders.configChanges.map((c) => [c.kind, c.needsFlag])).toEqual([['metric', true]]);
    expect(orders.configChanges[0]!.what).toBe(
      '`metric` changed from `Placed Order` to `Order Placed`: the 1892 events already sent stay under `Placed Order` (Klaviyo events are immutable).',
    );
    expect(orders.startsOver).toBe(true);
    expect(orders.counts).toMatchObject({ create: 1892, unchanged: 0, send: 1892 });

    await editExposure('klaviyo_placed_orders', (k) => ({ ...k, key: 'order_status' }));
    orders = bySync(await planJson(['--select', 'klaviyo_placed_orders'])).klaviyo_placed_orders!;
    expect(orders.configChanges[0]!.kind).toBe('key');
    expect(orders.configChanges[0]!.consequence).toContain(
      'Klaviyo would hold every event already sent twice',
    );

    await editExposure('klaviyo_winback_list', (k) => ({ ...k, list: { name: 'Winback 2027' } }));
    const list = bySync(await planJson(['--select', 'klaviyo_winback_list'])).klaviyo_winback_list!;
    expect(list.configChanges[0]).toMatchObject({
      kind: 'list',
      what: "`list` changed from list `Winback` to list `Winback 2027`: the snapshot's 123 members are on the old list.",
      needsFlag: true,
    });
    expect(list.counts).toMatchObject({ create: 123, unchanged: 0, send: 123 });
  });

  it('names a new sync and a removed one, and says nothing is deleted in Klaviyo', async () => {
    await addExposure('klaviyo_placed_orders', 'klaviyo_placed_orders_eu');
    const added = bySync(await planJson(['--select', 'klaviyo_placed_orders_eu'])).klaviyo_placed_orders_eu!;
    expect(added.configChanges).toMatchObject([{ kind: 'new_sync', needsFlag: false }]);
    expect(added.counts).toMatchObject({ create: 1892 });

    await editExposure('klaviyo_winback_list', () => null);
    const plan = await planJson();
    expect(plan.removedSyncs).toMatchObject([
      { sync: 'klaviyo_winback_list', change: { kind: 'removed_sync' } },
    ]);
    expect(plan.removedSyncs[0]!.change.consequence).toContain('Nothing is deleted in Klaviyo');
    expect(await ciPlan([], 'markdown')).toContain(
      '- `klaviyo_winback_list`: `klaviyo_winback_list` (list_membership) was synced before and is no longer in the project.',
    );
  });

  it('sync refuses a stale snapshot, then with --allow-config-change sends every event under the new metric', async () => {
    // The pull request merged: production's manifest with the new metric.
    await editExposure('klaviyo_placed_orders', (k) => ({ ...k, metric: 'Order Placed' }), prodManifest);
    const args = ['sync', '--project-dir', project, '--state-schema', 'prod_state'];
    const sent = () => sandbox.requests().filter((r) => r.operationId === 'bulk_create_events').length;
    const before = sent();
    const refused = await runCli([...args, '--select', 'klaviyo_placed_orders', '--no-progress'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('klaviyo_placed_orders (exposures/klaviyo.yml): `metric` changed');
    expect(refused.stderr).toContain('--allow-config-change');
    expect(sent()).toBe(before);

    const allowed = await runCli(
      [...args, '--select', 'klaviyo_placed_orders', '--no-progress', '--allow-config-change'],
      env,
    );
    expect(allowed.code, allowed.stderr).toBe(0);
    const results = JSON.parse(
      await readFile(path.join(project, 'target', 'klaviyo_run_results.json'), 'utf8'),
    ) as {
      results: { sync: string; counts: { events_sent: number } }[];
    };
    expect(results.results[0]!.counts.events_sent).toBe(1892);
    const planned = await runCli([
      'plan',
      '--project-dir',
      project,
      '--state-schema',
      'prod_state',
      '--select',
      'klaviyo_placed_orders',
      '--format',
      'json',
    ]);
    const after = (JSON.parse(planned.stdout) as PlanJson).syncs[0]!;
    expect(after.configChanges).toEqual([]);
    expect(after.counts).toMatchObject({ create: 0, unchanged: 1892 });
  });
});
