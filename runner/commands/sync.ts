import { Command, Option } from 'commander';
import { ExitCode, InterruptedError } from '../errors.ts';
import type { LogFormat } from '../report/log.ts';
import type { ProjectOptions } from '../manifest/load.ts';
import { checkedOptions } from './checked.ts';
import { addProjectOptions, addRunModeOptions, type RunModeOptions } from './options.ts';

const positiveSeconds = {
  must: 'a positive number of seconds',
  schema: { type: 'number', exclusiveMinimum: 0 },
};
const checkSyncOptions = checkedOptions<{ logFormat: LogFormat; jobTimeout: number; requestTimeout: number }>(
  'sync',
  {
    logFormat: { flag: '--log-format', must: 'text or json', schema: { enum: ['text', 'json'] } },
    jobTimeout: { flag: '--job-timeout', ...positiveSeconds },
    requestTimeout: { flag: '--request-timeout', ...positiveSeconds },
  },
);

export function syncCommand(): Command {
  return addRunModeOptions(addProjectOptions(new Command('sync')))
    .description(
      'send what changed to Klaviyo, confirm every row, and record the results in target/klaviyo_run_results.json',
    )
    .addOption(
      new Option('--log-format <format>', 'text lines for people, or NDJSON for machines')
        .choices(['text', 'json'])
        .default('text'),
    )
    .option('--no-progress', 'no progress bars, even on a terminal')
    .option(
      '--allow-config-change',
      'start over the syncs whose exposure changed its key, metric or list (plan explains what that sends)',
    )
    .option(
      '--job-timeout <seconds>',
      'how long to wait for a Klaviyo import job before leaving it to the next run',
      '900',
    )
    .option(
      '--request-timeout <seconds>',
      'how long one request to Klaviyo may wait to connect, for an answer, or between parts of it; Klaviyo unreachable for 3 times this stops the run',
      '30',
    )
    .action(
      async (
        raw: ProjectOptions &
          RunModeOptions & {
            progress: boolean;
            allowConfigChange?: boolean;
          },
      ) => {
        const { logFormat, jobTimeout: timeout, requestTimeout } = await checkSyncOptions(raw);
        const options = { ...raw, logFormat };
        // Loaded when the command runs, so `--help` and the other commands do not pay for it.
        const [{ createLogger }, { renderSyncSummary }, { sync }] = await Promise.all([
          import('../report/log.ts'),
          import('../report/summary.ts'),
          import('../sync/sync.ts'),
        ]);
        const logger = createLogger(options.logFormat);
        const interrupt = new AbortController();
        const onSignal = (signal: NodeJS.Signals) => {
          // A second signal ends the process at once; the first lets the run release its locks
          // and record itself as interrupted.
          if (interrupt.signal.aborted) process.exit(ExitCode.couldNotRun);
          interrupt.abort(
            new InterruptedError(`interrupted by ${signal}; the next run picks up where this one stopped`),
          );
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        let results;
        try {
          results = await sync({
            ...options,
            logger,
            poll: { timeoutMs: timeout * 1000 },
            client: {
              requestTimeoutMs: requestTimeout * 1000,
              unreachableAfterMs: 3 * requestTimeout * 1000,
            },
            signal: interrupt.signal,
            progress: options.progress && process.stderr.isTTY === true && options.logFormat === 'text',
          });
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
        if (options.logFormat === 'json')
          logger.log('info', 'run.done', 'run finished', {
            status: results.status,
            results: results.results.map((r) => ({ sync: r.sync, status: r.status, counts: r.counts })),
          });
        else process.stdout.write(renderSyncSummary(results));
        // A sync skipped because another run holds its lock could not run: exit 2 (README).
        if (results.status === 'error' || results.status === 'skipped' || results.status === 'interrupted')
          process.exitCode = ExitCode.couldNotRun;
        else if (
          results.results.some(
            (r) =>
              r.status === 'partial' ||
              r.status === 'stopped' ||
              r.counts.rejected > 0 ||
              r.counts.failed > 0,
          )
        )
          process.exitCode = ExitCode.rowsRejectedOrFailed;
      },
    );
}
