/**
 * A dbt-duckdb profile that attaches a second DuckDB file and builds the synced model there
 * (https://github.com/duckdb/dbt-duckdb#attaching-additional-databases): the manifest names the
 * model `"mart"."main"."customers"`, which the runner reads by attaching the file as the profile
 * does, while its state stays in the target's own file. Real dbt on DuckDB, the real CLI, the
 * sandbox over HTTP, every request checked against Klaviyo's OpenAPI description.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../runner/sandbox/server.ts';
import { runCli, runDbt, scratchProject } from './helpers/dbt.ts';
import { queryDuckDb } from './helpers/duckdb.ts';
import { assertAllValid } from './helpers/openapi-contract.ts';

const PROJECT = {
  // `mart.duckdb` is relative: dbt runs in the project directory (runDbt), the runner elsewhere.
  'profiles.yml': `attach_shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{ env_var('KLAVIYO_RUNNER_DUCKDB') }}"
      threads: 2
      attach:
        - path: mart.duckdb
          alias: mart
`,
  'models/customers.sql': `{{ config(database='mart') }}
select 'C' || cast(i as varchar) as customer_id,
  'customer' || cast(i as varchar) || '@example.com' as email,
  'First' || cast(i as varchar) as first_name
from range(1, 26) as t(i)
`,
  'models/exposures.yml': `version: 2
exposures:
  - name: mart_profiles
    type: application
    owner: { name: Data }
    depends_on: [ref('customers')]
    config:
      meta:
        klaviyo:
          object: profile
          key: customer_id
          identity: { email: email }
          attributes: { first_name: first_name }
`,
};

describe('a model built into a database the profile attaches', () => {
  let project: string;
  let db: string;
  let sandbox: RunningSandbox;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    project = await scratchProject('attach_shop', PROJECT);
    db = path.join(project, 'target', 'demo.duckdb');
    const built = await runDbt(project, ['build']);
    if (built.code !== 0) throw new Error(`dbt build failed:\n${built.stdout}`);
    sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 5 });
    env = { KLAVIYO_BASE_URL: sandbox.url, KLAVIYO_API_KEY: 'pk_attach_test', KLAVIYO_RUNNER_DUCKDB: db };
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('plans and syncs it, the runner state in the target file and the attached file unchanged', async () => {
    const manifest = JSON.parse(await readFile(path.join(project, 'target', 'manifest.json'), 'utf8')) as {
      nodes: Record<string, { relation_name: string }>;
    };
    expect(manifest.nodes['model.attach_shop.customers']!.relation_name).toBe('"mart"."main"."customers"');
    const mart = path.join(project, 'mart.duckdb');
    const martTables = () =>
      queryDuckDb(mart, 'select schema_name, table_name from duckdb_tables() order by all', {
        readOnly: true,
      });
    const before = await martTables();

    const plan = await runCli(['plan', '--project-dir', project], env);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('create 25, update 0, unchanged 0, remove 0');

    const first = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/profiles {3}25 created, 0 updated, 0 unchanged, 0 removed/);
    const profiles = sandbox.inspect().profiles;
    expect(profiles.map((p) => p.email).sort()).toEqual(
      Array.from({ length: 25 }, (_, i) => `customer${i + 1}@example.com`).sort(),
    );
    assertAllValid(sandbox.requests());

    // The snapshot is in the target's file, as for any model; the attached file holds only dbt's.
    const [snapshot] = await queryDuckDb(
      db,
      `select count(*) as n from klaviyo_runner.snapshot where sync = 'mart_profiles'`,
      { readOnly: true },
    );
    expect(Number(snapshot!.n)).toBe(25);
    expect(await martTables()).toEqual(before);

    const second = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/profiles {3}0 created, 0 updated, 25 unchanged, 0 removed/);
  }, 180_000);
});
