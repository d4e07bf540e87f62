/**
 * The dbt-style options shared by the commands that read a dbt project, in one place so that
 * `validate`, `plan` and `sync` spell them the same way dbt does.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../errors.ts';

export function addProjectOptions(command: Command): Command {
  return command
    .option('--project-dir <dir>', 'the dbt project directory (holds dbt_project.yml)', process.cwd())
    .option(
      '--profiles-dir <dir>',
      'where profiles.yml lives (default: $DBT_PROFILES_DIR, the project dir, then ~/.dbt)',
    )
    .option('--target <name>', 'the profiles.yml target to read the warehouse connection from')
    .option('--target-path <dir>', "dbt's target path, where manifest.json is (default: target)")
    .option(
      '-s, --select <selector...>',
      'syncs to run: exposure names, tag:<tag>, or the synced model name',
      [],
    )
    .option('--exclude <selector...>', 'syncs to leave out, same selectors as --select', [])
    .option('--state-schema <schema>', 'warehouse schema of the sync snapshot (default: klaviyo_runner)')
    .option(
      '--state-database <database>',
      "database of the state schema, when it is not the target's (production's state read from a CI database)",
    );
}

/** What `plan` and `sync` take beyond the diff; `plan` with the same flags shows what `sync` would do. */
export interface RunModeOptions {
  retryRejected?: boolean;
  fullRefresh?: boolean;
  allowMassRemoval?: boolean;
}

export function addRunModeOptions(command: Command): Command {
  return command
    .option(
      '--retry-rejected',
      'send rows held back after an earlier rejection again (after a fix outside the model: an account setting, a Klaviyo outage)',
    )
    .option(
      '--full-refresh',
      'resend every row of the selected syncs as on their first load (events with the backfill flag), held-back rows included',
    )
    .option(
      '--allow-mass-removal',
      'go ahead when a sync would remove or clear more than its max_removal_percent of synced rows',
    );
}

/** `--output` must name a file (new or existing) in a folder that exists; `example` names one. */
export async function checkOutputFile(output: string, example: string): Promise<void> {
  const dir = path.dirname(path.resolve(output));
  const folder = await stat(dir).catch(() => null);
  if (folder === null || !folder.isDirectory())
    throw new ConfigError(`--output ${output}: the folder ${dir} does not exist; create it first.`);
  const existing = await stat(output).catch(() => null);
  if (existing?.isDirectory() === true)
    throw new ConfigError(`--output ${output} is a folder; name a file, e.g. ${path.join(output, example)}.`);
}
