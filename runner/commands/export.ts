import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { ConfigError, ExitCode } from '../errors.ts';
import type { ProjectOptions } from '../manifest/load.ts';
import { addProjectOptions } from './options.ts';

export function exportCommand(): Command {
  return addProjectOptions(new Command('export'))
    .description(
      "write one profile or list sync's rows as a file in Klaviyo's CSV import format, sending nothing and marking nothing as sent",
    )
    .requiredOption('--output <file>', 'the CSV file to write (replaced when complete)')
    .action(async (options: ProjectOptions & { output: string }) => {
      // Checked before reading the warehouse, so a typo in the path costs no query.
      await checkOutput(options.output);
      // Loaded when the command runs, so `--help` and the other commands do not pay for it.
      const [{ exportCsv }, { renderExportSummary }] = await Promise.all([
        import('../export/export.ts'),
        import('../export/summary.ts'),
      ]);
      const result = await exportCsv(options);
      process.stdout.write(renderExportSummary(result));
      // As sync: rows the runner refused make the run exit 1, with the file still written.
      if (result.rejectedCount > 0) process.exitCode = ExitCode.rowsRejectedOrFailed;
    });
}

/** `--output` must name a file (new or existing) in a folder that exists. */
async function checkOutput(output: string): Promise<void> {
  const dir = path.dirname(path.resolve(output));
  const folder = await stat(dir).catch(() => null);
  if (folder === null || !folder.isDirectory())
    throw new ConfigError(`--output ${output}: the folder ${dir} does not exist; create it first.`);
  const existing = await stat(output).catch(() => null);
  if (existing?.isDirectory() === true)
    throw new ConfigError(
      `--output ${output} is a folder; name a file, e.g. ${path.join(output, 'profiles.csv')}.`,
    );
}
