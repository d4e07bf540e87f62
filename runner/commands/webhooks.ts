import { Command } from 'commander';
import { ConfigError } from '../errors.ts';
import { DEFAULT_SOURCE_SCHEMA } from '../extract/defaults.ts';
import type { LogFormat } from '../report/log.ts';
import { checkedOptions } from './checked.ts';

const checkServeOptions = checkedOptions<{
  port: number;
  flushInterval: number;
  tolerance: number;
  maxBody: number;
  logFormat: LogFormat;
}>('webhooks', {
  port: { flag: '--port', must: '0 to 65535', schema: { type: 'integer', minimum: 0, maximum: 65535 } },
  flushInterval: {
    flag: '--flush-interval',
    must: 'a whole number of milliseconds, at least 10',
    schema: { type: 'integer', minimum: 10 },
  },
  tolerance: {
    flag: '--tolerance',
    must: 'a whole number of seconds, at least 1',
    schema: { type: 'integer', minimum: 1 },
  },
  maxBody: {
    flag: '--max-body',
    must: 'a whole number of bytes, at least 1',
    schema: { type: 'integer', minimum: 1 },
  },
  logFormat: { flag: '--log-format', must: 'text or json', schema: { enum: ['text', 'json'] } },
});

interface ServeCommandOptions {
  projectDir: string;
  profilesDir?: string;
  target?: string;
  schema: string;
  host: string;
  spool?: string;
}

function createCommand(): Command {
  return new Command('create')
    .description('subscribe an endpoint to topics; Klaviyo signs with KLAVIYO_WEBHOOK_SECRET')
    .requiredOption('--url <url>', 'where Klaviyo delivers (https)')
    .requiredOption('--topic <topic...>', 'topic ids, e.g. event:klaviyo.email_delivered')
    .option('--name <name>', 'the webhook name shown in Klaviyo', 'klaviyo-runner')
    .option('--description <text>', 'a description shown in Klaviyo')
    .action(async (options: { url: string; topic: string[]; name: string; description?: string }) => {
      const { createSubscription } = await import('../webhooks/manage.ts');
      const w = await createSubscription({ ...options, topics: options.topic });
      console.log(`Created webhook ${w.id} (${w.name}) → ${w.endpointUrl}: ${w.topics.join(', ')}`);
    });
}

function listCommand(): Command {
  return new Command('list')
    .description("list the account's webhooks with their topics")
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const { listSubscriptions } = await import('../webhooks/manage.ts');
      const all = await listSubscriptions();
      if (options.json === true) return console.log(JSON.stringify(all, null, 2));
      if (all.length === 0) return console.log('No webhooks.');
      for (const w of all)
        console.log(
          `${w.id}  ${w.enabled ? 'enabled ' : 'disabled'}  ${w.name} → ${w.endpointUrl}: ${w.topics.join(', ')}`,
        );
    });
}

function deleteCommand(): Command {
  return new Command('delete')
    .description('delete a webhook by id')
    .argument('<id>', 'the webhook id (see `webhooks list`)')
    .action(async (id: string) => {
      const { deleteSubscription } = await import('../webhooks/manage.ts');
      await deleteSubscription(id);
      console.log(`Deleted webhook ${id}.`);
    });
}

export function webhooksCommand(): Command {
  const command = new Command('webhooks')
    .description(
      'receive Klaviyo system webhooks into the warehouse (verified with KLAVIYO_WEBHOOK_SECRET), or manage the subscriptions',
    )
    .option('--port <port>', 'port to listen on (0 picks a free one)', '8788')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--project-dir <dir>', 'the dbt project directory (holds dbt_project.yml)', process.cwd())
    .option('--profiles-dir <dir>', 'where profiles.yml lives')
    .option('--target <name>', 'the profiles.yml target to land in')
    .option('--schema <schema>', 'warehouse schema of the webhook_events table', DEFAULT_SOURCE_SCHEMA)
    .option('--spool <dir>', 'local spool directory (default: .klaviyo-runner/webhooks-spool in the project)')
    .option('--flush-interval <ms>', 'how often the spool is landed in the warehouse', '5000')
    .option('--tolerance <seconds>', 'how far Klaviyo-Timestamp may be from now', '300')
    .option('--max-body <bytes>', 'largest delivery accepted', String(5 * 1024 * 1024))
    .option('--log-format <format>', 'text or json', 'text')
    .action(async (raw: ServeCommandOptions) => {
      const { port, flushInterval, tolerance, maxBody, logFormat } = await checkServeOptions(raw);
      const [{ createLogger }, { serveWebhooks }] = await Promise.all([
        import('../report/log.ts'),
        import('../webhooks/serve.ts'),
      ]);
      const logger = createLogger(logFormat);
      let receiver;
      try {
        receiver = await serveWebhooks({
          ...raw,
          port,
          spoolDir: raw.spool,
          flushIntervalMs: flushInterval,
          toleranceMs: tolerance * 1000,
          maxBodyBytes: maxBody,
          logger,
        });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE')
          throw new ConfigError(
            `--port ${port}: the port is in use on ${raw.host}; pick another, or --port 0 for a free one.`,
          );
        if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EACCES')
          throw new ConfigError(`--host ${raw.host} --port ${port}: cannot listen there (${code}).`);
        throw error;
      }
      console.log(`Receiving Klaviyo webhooks on ${receiver.url} (landing in ${raw.schema}.webhook_events).`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await receiver.close();
    });
  for (const sub of [createCommand(), listCommand(), deleteCommand()]) command.addCommand(sub.exitOverride());
  return command;
}
