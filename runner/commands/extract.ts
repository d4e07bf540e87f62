import { Command } from 'commander';
import { DEFAULT_SOURCE_SCHEMA } from '../extract/defaults.ts';

export function extractCommand(): Command {
  return new Command('extract')
    .description(
      "bring Klaviyo's profiles (with consent and suppressions), lists, members, metrics and events into the warehouse",
    )
    .option('--project-dir <dir>', 'the dbt project directory (holds dbt_project.yml)', process.cwd())
    .option('--profiles-dir <dir>', 'where profiles.yml lives')
    .option('--target <name>', 'the profiles.yml target to write to')
    .option('--schema <schema>', 'warehouse schema to write the tables to', DEFAULT_SOURCE_SCHEMA)
    .option('--full', 'read everything again instead of what changed since the last extract')
    .action(
      async (options: {
        projectDir: string;
        profilesDir?: string;
        target?: string;
        schema: string;
        full?: boolean;
      }) => {
        // Loaded when the command runs, so `--help` and the other commands do not pay for it.
        const { extract } = await import('../extract/extract.ts');
        const result = await extract(options);
        const rows = Object.entries(result.rows)
          .map(([table, n]) => `${table} ${n}`)
          .join(', ');
        const requests = Object.values(result.requests).reduce((a, b) => a + b, 0);
        console.log(`Extracted into ${result.schema}: ${rows} (${requests} Klaviyo requests).`);
      },
    );
}
