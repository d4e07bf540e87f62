import { Command } from 'commander';
import { ConfigError } from '../errors.ts';
import type { ProjectOptions } from '../manifest/load.ts';
import { addProjectOptions } from './options.ts';

export function validateCommand(): Command {
  return addProjectOptions(new Command('validate'))
    .description(
      "check every exposure's config.meta.klaviyo, its model and the model's columns; report every problem",
    )
    .action(async (options: ProjectOptions) => {
      // Loaded when the command runs, so `--help` and the other commands do not pay for it.
      const { validate } = await import('../validate/validate.ts');
      const result = await validate(options);
      for (const warning of result.warnings) console.error(`warning: ${warning}`);
      if (result.problems.length > 0) {
        throw new ConfigError(
          `${result.problems.length} problem(s) in the project's Klaviyo syncs:`,
          result.problems,
        );
      }
      for (const s of result.syncs) console.log(`ok  ${s.name} (${s.object} ← ${s.model})`);
      console.log(`${result.syncs.length} sync(s) valid.`);
    });
}
