/** `klaviyo-runner validate` on a real dbt project: green on the demo, every problem named when broken. */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyDemoProject, runCli, runDbt } from './helpers/dbt.ts';

describe('klaviyo-runner validate', () => {
  // A dbt build and four CLI runs: more than the default timeout on a busy machine.
  it('passes the demo, then names every problem of a broken exposure', async () => {
    const project = await copyDemoProject();
    expect((await runDbt(project, ['build'])).code).toBe(0);
    const ok = await runCli(['validate', '--project-dir', project]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('10 sync(s) valid.');

    const file = path.join(project, 'exposures', 'klaviyo.yml');
    const yaml = await readFile(file, 'utf8');
    await writeFile(
      file,
      yaml
        .replace(
          'properties:\n            [rfm_segment,',
          'properties:\n            [rfm_colour, rfm_segment,',
        )
        .replace(
          '          metric: Ordered Product\n',
          '          metric: Ordered Product\n          colour: red\n',
        )
        // The same exposure also names a column its model lacks, and scopes by a model that does not
        // exist: reported in the same run as the unknown key, not on the next one.
        .replace(
          'properties_json: properties\n          backfill: first_load\n\n  - name: klaviyo_winback_list',
          'properties_json: line_properties\n          backfill: first_load\n          scope: { suppressions: no_such_model, exclude: [suppressed] }\n\n  - name: klaviyo_winback_list',
        ),
    );
    expect((await runDbt(project, ['parse'])).code).toBe(0);
    const broken = await runCli(['validate', '--project-dir', project]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('error: 4 problem(s) in the project');
    expect(broken.stderr).toContain(
      '- exposure `klaviyo_ordered_products` (exposures/klaviyo.yml): config.meta.klaviyo has an unknown key `colour`.',
    );
    expect(broken.stderr).toContain(
      '- exposure `klaviyo_profiles_rfm` (exposures/klaviyo.yml): model `klaviyo__profiles` has no column `rfm_colour` (named in config.meta.klaviyo).',
    );
    expect(broken.stderr).toContain(
      '- exposure `klaviyo_ordered_products` (exposures/klaviyo.yml): config.meta.klaviyo.scope.suppressions names `no_such_model`, which is not a built model in this project.',
    );
    expect(broken.stderr).toContain(
      '- exposure `klaviyo_ordered_products` (exposures/klaviyo.yml): model `klaviyo__ordered_product_events` has no column `line_properties` (named in config.meta.klaviyo).',
    );

    // Without the warehouse the columns cannot be known: said once, and the exposures' own
    // problems are still all named.
    await rm(path.join(project, 'target', 'demo.duckdb'));
    const closed = await runCli(['validate', '--project-dir', project], {
      KLAVIYO_RUNNER_DUCKDB: path.join(project, 'target', 'demo.duckdb'),
    });
    expect(closed.code).toBe(2);
    expect(closed.stderr).toContain('error: 3 problem(s) in the project');
    expect(closed.stderr).toContain(
      '- The warehouse could not be opened, so the columns of 10 synced model(s) were not checked: No DuckDB file at',
    );
    expect(closed.stderr).not.toContain('has no column');
  }, 300_000);

  it('refuses a missing manifest with what to do', async () => {
    const project = await copyDemoProject();
    const ran = await runCli(['plan', '--project-dir', project]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain(
      `No dbt manifest at ${path.join(project, 'target', 'manifest.json')}. Run \`dbt build\` (or \`dbt parse\`) in the project first.`,
    );
  });
});
