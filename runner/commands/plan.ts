import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { ConfigError } from '../errors.ts';
import type { PlanFormat } from '../report/plan-report.ts';
import type { ProjectOptions } from '../manifest/load.ts';
import { checkedOptions } from './checked.ts';
import { addProjectOptions, addRunModeOptions, checkOutputFile, type RunModeOptions } from './options.ts';

const checkPlanOptions = checkedOptions<{ format: PlanFormat }>('plan', {
  format: {
    flag: '--format',
    must: 'text, json or markdown',
    schema: { enum: ['text', 'json', 'markdown'] },
  },
});

export function planCommand(): Command {
  return addRunModeOptions(addProjectOptions(new Command('plan')))
    .description('show exactly what a sync would change in Klaviyo, without sending anything')
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'),
    )
    .option('--output <file>', 'write the plan to a file instead of stdout')
    .option(
      '--defer',
      "as dbt's --defer: models the last dbt invocation did not build are read where --state's manifest says (production)",
    )
    .option('--state <dir>', "the directory of production's manifest.json, for --defer")
    .action(async (raw: ProjectOptions & RunModeOptions & { output?: string }) => {
      const options = { ...raw, ...(await checkPlanOptions(raw)) };
      // Checked before planning, so a typo in the path costs no warehouse query.
      if (options.output !== undefined) await checkOutputFile(options.output, 'plan.md');
      // Loaded when the command runs, so `--help` and the other commands do not pay for it.
      const [{ plan }, { renderPlan }] = await Promise.all([
        import('../plan/plan.ts'),
        import('../report/plan-report.ts'),
      ]);
      const rendered = renderPlan(await plan(options), options.format);
      if (options.output === undefined) process.stdout.write(rendered);
      else {
        try {
          await writeFile(options.output, rendered);
        } catch (error) {
          throw new ConfigError(`--output ${options.output}: ${(error as Error).message}`);
        }
      }
    });
}
