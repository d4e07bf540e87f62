import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { plan } from '../plan/plan.ts';
import { renderPlan, type PlanFormat } from '../report/plan-report.ts';
import { addProjectOptions, type ProjectOptions } from './options.ts';

export function planCommand(): Command {
  return addProjectOptions(new Command('plan'))
    .description('show exactly what a sync would change in Klaviyo, without sending anything')
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'),
    )
    .option('--output <file>', 'write the plan to a file instead of stdout')
    .action(async (options: ProjectOptions & { format: PlanFormat; output?: string }) => {
      const rendered = renderPlan(await plan(options), options.format);
      if (options.output !== undefined) await writeFile(options.output, rendered);
      else process.stdout.write(rendered);
    });
}
