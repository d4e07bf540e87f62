/**
 * The dbt half: the demo project builds green on DuckDB with exact counts and its manifest holds
 * the four syncs, each valid against the one exposure schema; and a shop's own project that
 * installs the package builds the Klaviyo models from its own sources, without the demo.
 */
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../runner/manifest/read.ts';
import { buildSpecs } from '../runner/manifest/specs.ts';
import { queryDuckDb } from './helpers/duckdb.ts';
import { copyDemoProject, repoRoot, run, runDbt } from './helpers/dbt.ts';

const rows = queryDuckDb;

describe('the demo dbt project', () => {
  it('builds green with the demo data and declares four valid syncs', async () => {
    const project = await copyDemoProject();
    const built = await runDbt(project, ['build']);
    expect(built.code, built.stdout).toBe(0);
    expect(built.stdout).toMatch(/Done\. PASS=73 WARN=0 ERROR=0 SKIP=0/);
    const db = path.join(project, 'target', 'demo.duckdb');
    const [counts] = await rows(
      db,
      `select
      (select count(*)::integer from main.demo_customers) as crm_rows,
      (select count(*)::integer from main.demo_orders) as orders,
      (select count(*)::integer from main.demo_order_lines) as lines,
      (select count(*)::integer from main.klaviyo__profiles) as profiles,
      (select count(*)::integer from main.klaviyo__placed_order_events) as placed,
      (select count(*)::integer from main.klaviyo__ordered_product_events) as ordered,
      (select count(*)::integer from main.klaviyo__winback_list_members) as winback`,
    );
    expect(counts).toEqual({
      crm_rows: 596,
      orders: 2119,
      lines: 6104,
      profiles: 570,
      placed: 1892,
      ordered: 5467,
      winback: 138,
    });
    // Nothing is dropped silently: every person is a profile or a rejected row with its reason.
    const reasons = await rows(
      db,
      `select reason_code, count(*)::integer as n from main.klaviyo__rejected_rows group by 1 order by 1`,
    );
    expect(reasons).toEqual([
      { reason_code: 'invalid_email', n: 21 },
      { reason_code: 'line_not_shippable', n: 7 },
      { reason_code: 'no_email', n: 45 },
      { reason_code: 'order_not_shippable', n: 7 },
      { reason_code: 'shared_email', n: 5 },
    ]);

    const manifest = JSON.parse(await readFile(path.join(project, 'target', 'manifest.json'), 'utf8')) as {
      exposures: Record<string, { name: string; config: { meta: { klaviyo: unknown } } }>;
    };
    const schema = JSON.parse(
      await readFile(path.join(repoRoot, 'schema', 'klaviyo-sync.schema.json'), 'utf8'),
    ) as object;
    const validate = new Ajv2020({ strict: false }).compile(schema);
    const exposures = Object.values(manifest.exposures);
    expect(exposures.map((e) => e.name).sort()).toEqual([
      'klaviyo_ordered_products',
      'klaviyo_placed_orders',
      'klaviyo_profiles_rfm',
      'klaviyo_winback_list',
    ]);
    for (const e of exposures)
      expect(validate(e.config.meta.klaviyo), JSON.stringify(validate.errors)).toBe(true);
  });

  it('regenerates byte-identical seeds from the committed generator', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kr-seeds-'));
    await cp(path.join(repoRoot, 'scripts'), path.join(dir, 'scripts'), { recursive: true });
    await cp(path.join(repoRoot, 'seeds'), path.join(dir, 'seeds'), { recursive: true });
    const ran = await run(
      process.execPath,
      ['--import', 'tsx', path.join(dir, 'scripts', 'generate-demo-seeds.ts')],
      { cwd: repoRoot },
    );
    expect(ran.code, ran.stderr).toBe(0);
    for (const file of [
      'demo_customers.csv',
      'demo_orders.csv',
      'demo_order_lines.csv',
      'demo_klaviyo_suppressions.csv',
    ]) {
      expect(await readFile(path.join(dir, 'seeds', 'demo', file), 'utf8')).toBe(
        await readFile(path.join(repoRoot, 'seeds', 'demo', file), 'utf8'),
      );
    }
  });
});

describe('a project installing the package', () => {
  it('builds the Klaviyo models from its own sources and none of the demo', async () => {
    const project = await mkdtemp(path.join(os.tmpdir(), 'kr-consumer-'));
    await cp(path.join(repoRoot, 'test', 'dbt'), project, { recursive: true });
    await writeFile(path.join(project, 'packages.yml'), `packages:\n  - local: ${repoRoot}\n`);
    const dbt = path.join(repoRoot, '.venv', 'bin', 'dbt');
    const env = {
      DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
      KLAVIYO_CONSUMER_DUCKDB: path.join(project, 'target', 'consumer.duckdb'),
    };
    expect(
      (await run(dbt, ['deps', '--profiles-dir', project, '--project-dir', project], { cwd: project, env }))
        .code,
    ).toBe(0);
    const built = await run(dbt, ['build', '--profiles-dir', project, '--project-dir', project], {
      cwd: project,
      env,
    });
    expect(built.code, built.stdout).toBe(0);
    const db = path.join(project, 'target', 'consumer.duckdb');
    expect(
      await rows(
        db,
        `select person_id, email, phone_number, order_count::integer as order_count from main.klaviyo__profiles order by 1`,
      ),
    ).toEqual([
      { person_id: '1', email: 'jo@example.com', phone_number: '+12125552368', order_count: 2 },
      { person_id: '2', email: 'sam@example.com', phone_number: null, order_count: 0 },
    ]);
    expect(
      await rows(
        db,
        `select event_id, cast(value as double) as value from main.klaviyo__placed_order_events order by 1`,
      ),
    ).toEqual([
      { event_id: '1001', value: 120 },
      { event_id: '1002', value: 80.5 },
      { event_id: '1003', value: 40 },
    ]);
    expect(
      await rows(
        db,
        `select count(*)::integer as n from information_schema.tables where table_name like 'demo_%' or table_name like 'stg_demo__%'`,
      ),
    ).toEqual([{ n: 0 }]);
    // The manifest of a project that installs the package, read the way the runner reads any
    // user's manifest: the package's models under the package's name, no syncs declared.
    const manifestPath = path.join(project, 'target', 'manifest.json');
    const manifest = parseManifest(await readFile(manifestPath, 'utf8'), manifestPath);
    expect(manifest.nodes['model.klaviyo_runner.klaviyo__profiles']?.relation_name).toBe(
      '"consumer"."main"."klaviyo__profiles"',
    );
    expect(buildSpecs(manifest, null)).toEqual({ specs: [], problems: [] });
  });
});
