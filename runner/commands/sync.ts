import { Command, Option } from 'commander';
import { ExitCode } from '../errors.ts';
import { createLogger, type LogFormat } from '../report/log.ts';
import { renderSyncSummary } from '../report/summary.ts';
import { sync } from '../sync/sync.ts';
import { addProjectOptions, type ProjectOptions } from './options.ts';

export function syncCommand(): Command {
  return addProjectOptions(new Command('sync'))
    .description('send what changed to Klaviyo, confirm every row, and record the results in target/klaviyo_run_results.json')
    .addOption(new Option('--log-format <format>', 'text lines for people, or NDJSON for machines').choices(['text', 'json']).default('text'))
    .option('--no-progress', 'no progress bars, even on a terminal')
    .action(async (options: ProjectOptions & { logFormat: LogFormat; progress: boolean }) => {
      const logger = createLogger(options.logFormat);
      const results = await sync({ ...options, logger, progress: options.progress && process.stderr.isTTY === true && options.logFormat === 'text' });
      if (options.logFormat === 'json') logger.log('info', 'run.done', 'run finished', { status: results.status, results: results.results.map((r) => ({ sync: r.sync, status: r.status, counts: r.counts })) });
      else process.stdout.write(renderSyncSummary(results));
      if (results.status === 'error') process.exitCode = ExitCode.couldNotRun;
      else if (results.results.some((r) => r.counts.rejected > 0 || r.counts.failed > 0)) process.exitCode = ExitCode.rowsRejectedOrFailed;
    });
}
