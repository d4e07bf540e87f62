import { Command } from 'commander';
import { ExitCode } from '../errors.ts';
import type { ProjectOptions } from '../manifest/load.ts';
import { addProjectOptions, checkOutputFile } from './options.ts';

export function exportCommand(): Command {
  return addProjectOptions(new Command('export'))
    .description(
      "write one profile or list sync's rows as a file in Klaviyo's CSV import format, sending nothing and marking nothing as sent",
    )
    .requiredOption('--output <file>', 'the CSV file to write (replaced when complete)')
    .action(async (options: ProjectOptions & { output: string }) => {
      // Checked before reading the warehouse, so a typo in the path costs no query.
      await checkOutputFile(options.output, 'profiles.csv');
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
