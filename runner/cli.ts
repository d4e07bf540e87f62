/**
 * klaviyo-runner's entry: composes the commands and is the one place errors become exit codes.
 * Commands throw the typed errors of errors.ts after saying what to do; anything else is a bug.
 */
import { Command, CommanderError } from 'commander';
import {
  ConfigError,
  ExitCode,
  GitHubError,
  InterruptedError,
  KlaviyoError,
  LockedError,
  WarehouseError,
} from './errors.ts';
import { boundHeapGrowth } from './heap.ts';
import { validateCommand } from './commands/validate.ts';
import { planCommand } from './commands/plan.ts';
import { syncCommand } from './commands/sync.ts';
import { sandboxCommand } from './commands/sandbox.ts';
import { extractCommand } from './commands/extract.ts';
import { versionText } from './commands/version.ts';
import { commentCommand } from './commands/comment.ts';
import { exportCommand } from './commands/export.ts';
import { webhooksCommand } from './commands/webhooks.ts';

export function program(): Command {
  const root = new Command('klaviyo-runner')
    .description('Sync dbt models to Klaviyo: profiles, events and list members, declared as dbt exposures.')
    .version(
      versionText(),
      '-V, --version',
      'print the versions of the runner, the Klaviyo API and the dbt manifest',
    )
    .exitOverride()
    // Every command but the sandbox: the stand-in keeps all it is sent alive (heap.ts).
    .hook('preAction', (_root, command) => {
      if (command.name() !== 'sandbox') boundHeapGrowth();
    });
  // exitOverride is not inherited by commands added with addCommand: without it on each, commander
  // exits 1 on a usage error (`sync --bogus`), the code that means "rows rejected".
  for (const command of [
    validateCommand(),
    planCommand(),
    syncCommand(),
    commentCommand(),
    extractCommand(),
    exportCommand(),
    sandboxCommand(),
    webhooksCommand(),
  ])
    root.addCommand(command.exitOverride());
  return root;
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.couldNotRun;
  if (
    error instanceof ConfigError ||
    error instanceof WarehouseError ||
    error instanceof KlaviyoError ||
    error instanceof GitHubError ||
    error instanceof LockedError ||
    error instanceof InterruptedError
  ) {
    return ExitCode.couldNotRun;
  }
  return ExitCode.internal;
}

async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (error) {
    const code = exitCodeFor(error);
    if (error instanceof CommanderError) {
      // commander has already printed its message (or the help/version text).
    } else if (code === ExitCode.internal) {
      console.error('klaviyo-runner hit a bug. Please report it with the output below.');
      console.error(error);
    } else {
      console.error(`error: ${(error as Error).message}`);
    }
    process.exitCode = code;
  }
}

await main(process.argv);
