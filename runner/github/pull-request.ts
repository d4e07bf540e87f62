/**
 * Which pull request to comment on, from what GitHub Actions puts in every job's environment
 * (https://docs.github.com/en/actions/reference/workflows-and-actions/variables): GITHUB_REPOSITORY,
 * GITHUB_API_URL, and the triggering event's payload at GITHUB_EVENT_PATH, whose `pull_request.number`
 * names the pull request. `--repo` and `--pr` override them, e.g. outside Actions.
 */
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors.ts';
import type { PullRequestRef } from './issue-comments.ts';

export interface PullRequestOptions {
  repo?: string;
  pr?: string;
}

async function numberFromEvent(eventPath: string | undefined): Promise<number | undefined> {
  if (eventPath === undefined || eventPath === '') return undefined;
  let event: unknown;
  try {
    event = JSON.parse(await readFile(eventPath, 'utf8'));
  } catch (error) {
    throw new ConfigError(
      `GITHUB_EVENT_PATH (${eventPath}) is not a readable JSON event: ${(error as Error).message}`,
    );
  }
  const e = event as { pull_request?: { number?: unknown }; issue?: { number?: unknown } };
  const n = e.pull_request?.number ?? e.issue?.number;
  return typeof n === 'number' ? n : undefined;
}

export async function pullRequestRef(
  options: PullRequestOptions,
  env: NodeJS.ProcessEnv,
): Promise<PullRequestRef> {
  const problems: string[] = [];
  const token = env.GITHUB_TOKEN;
  if (token === undefined || token === '')
    problems.push('GITHUB_TOKEN is not set: pass `${{ github.token }}` to the step as GITHUB_TOKEN.');
  const repo = options.repo ?? env.GITHUB_REPOSITORY ?? '';
  const [owner, name, extra] = repo.split('/');
  if (owner === undefined || owner === '' || name === undefined || name === '' || extra !== undefined)
    problems.push(`the repository must be owner/name (--repo or GITHUB_REPOSITORY), got \`${repo}\`.`);
  const number = options.pr !== undefined ? Number(options.pr) : await numberFromEvent(env.GITHUB_EVENT_PATH);
  if (number === undefined || !Number.isInteger(number) || number <= 0)
    problems.push(
      options.pr !== undefined
        ? `--pr must be a pull request number, got \`${options.pr}\`.`
        : 'no pull request number: run on a `pull_request` event or pass --pr.',
    );
  if (problems.length > 0) throw new ConfigError('Cannot comment on the pull request:', problems);
  return {
    apiUrl: (env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, ''),
    token: token!,
    owner: owner!,
    repo: name!,
    number: number!,
  };
}
