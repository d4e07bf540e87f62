/** `klaviyo-runner validate` on a real dbt project: green on the demo, every problem named when broken. */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyDemoProject, runCli, runDbt } from './helpers/dbt.ts';

describe('klaviyo-runner validate', () => {
  it('passes the demo, then names every problem of a broken exposure', async () => {
    const project = await copyDemoProject();
    expect((await runDbt(project, ['build'])).code).toBe(0);
    const ok = await runCli(['validate', '--project-dir', project]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('7 sync(s) valid.');

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
        ),
    );
    expect((await runDbt(project, ['parse'])).code).toBe(0);
    const broken = await runCli(['validate', '--project-dir', project]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('error: 2 problem(s) in the project');
    expect(broken.stderr).toContain(
      '- exposure `klaviyo_ordered_products` (exposures/klaviyo.yml): config.meta.klaviyo has an unknown key `colour`.',
    );
    expect(broken.stderr).toContain(
      '- exposure `klaviyo_profiles_rfm` (exposures/klaviyo.yml): model `klaviyo__profiles` has no column `rfm_colour` (named in config.meta.klaviyo).',
    );
  });

  it('refuses a missing manifest with what to do', async () => {
    const project = await copyDemoProject();
    const ran = await runCli(['plan', '--project-dir', project]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain(
      `No dbt manifest at ${path.join(project, 'target', 'manifest.json')}. Run \`dbt build\` (or \`dbt parse\`) in the project first.`,
    );
  });
});
