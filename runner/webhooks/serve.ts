/**
 * `klaviyo-runner webhooks --port N`: the receiver wired to the project's warehouse (the dbt
 * target's connection from profiles.yml) and to the webhook's secret from `KLAVIYO_WEBHOOK_SECRET`
 * (docs/webhooks.md). Each flush opens the warehouse, lands the spool and closes it again, so a
 * DuckDB file stays free for `dbt build` between flushes.
 */
import path from 'node:path';
import { readConnection } from '../config/profiles.ts';
import { ConfigError } from '../errors.ts';
import { DEFAULT_STATE_SCHEMA, type ProjectOptions } from '../manifest/load.ts';
import { openWarehouse } from '../source/open.ts';
import type { Logger } from '../report/log.ts';
import { DEFAULT_SOURCE_SCHEMA } from '../extract/defaults.ts';
import { landEvents } from './land.ts';
import { startReceiver, type RunningReceiver } from './receiver.ts';

/** Where the spool lives in the project unless `--spool` says otherwise. */
export const DEFAULT_SPOOL_DIR = path.join('.klaviyo-runner', 'webhooks-spool');

export interface ServeOptions extends Pick<ProjectOptions, 'projectDir' | 'profilesDir' | 'target'> {
  port: number;
  host?: string;
  schema?: string;
  /**
   * Default: `.klaviyo-runner/webhooks-spool` in the project, outside `target/`, which `dbt clean`
   * deletes with whatever acknowledged events it still holds.
   */
  spoolDir?: string;
  flushIntervalMs?: number;
  toleranceMs?: number;
  maxBodyBytes?: number;
  logger: Logger;
}

export async function serveWebhooks(
  options: ServeOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningReceiver> {
  const secret = env.KLAVIYO_WEBHOOK_SECRET;
  if (secret === undefined || secret === '')
    throw new ConfigError(
      'KLAVIYO_WEBHOOK_SECRET is not set: export the secret_key the webhook was created with (`klaviyo-runner webhooks create` sets it), so deliveries can be verified.',
    );
  const schema = options.schema ?? DEFAULT_SOURCE_SCHEMA;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(schema))
    throw new ConfigError(`--schema \`${schema}\` must be a plain identifier.`);
  if (schema === DEFAULT_STATE_SCHEMA)
    throw new ConfigError(`--schema must not be the runner's state schema (${DEFAULT_STATE_SCHEMA}).`);
  const projectDir = path.resolve(options.projectDir);
  const { connection } = await readConnection({
    projectDir,
    profilesDir: options.profilesDir,
    target: options.target,
    env,
  });
  return startReceiver({
    port: options.port,
    host: options.host,
    secret,
    spoolDir: options.spoolDir ?? path.join(projectDir, DEFAULT_SPOOL_DIR),
    flushIntervalMs: options.flushIntervalMs,
    toleranceMs: options.toleranceMs,
    maxBodyBytes: options.maxBodyBytes,
    logger: options.logger,
    land: async (events) => {
      const wh = await openWarehouse(connection);
      try {
        return await landEvents(wh, schema, events);
      } finally {
        await wh.close();
      }
    },
  });
}
