import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import type { PlanFormat } from '../report/plan-report.ts';
import { addProjectOptions, addRunModeOptions, type ProjectOptions, type RunModeOptions } from './options.ts';

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
    .action(async (options: ProjectOptions & RunModeOptions & { format: PlanFormat; output?: string }) => {
      // Loaded when the command runs, so `--help` and the other commands do not pay for it.
      const [{ plan }, { renderPlan }] = await Promise.all([
        import('../plan/plan.ts'),
        import('../report/plan-report.ts'),
      ]);
      const rendered = renderPlan(await plan(options), options.format);
      if (options.output !== undefined) await writeFile(options.output, rendered);
      else process.stdout.write(rendered);
    });
}
