/**
 * `klaviyo-runner comment`: a plan written by `plan --format json` becomes one pull-request
 * comment, created on the first run and updated in place on every later push (found by its hidden
 * marker). The full plan, uncut, can be written beside it for the workflow to upload.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { ConfigError } from '../errors.ts';
import type { PlanResult } from '../plan/plan.ts';
import { renderMarkdown } from '../report/plan-report.ts';
import { buildComment, COMMENT_MARKER, type Comment } from '../report/pr-comment.ts';
import { upsertComment, type Posted } from './issue-comments.ts';
import { pullRequestRef, type PullRequestOptions } from './pull-request.ts';

export interface CommentPlanOptions extends PullRequestOptions {
  /** The plan, as `klaviyo-runner plan --format json` wrote it. */
  plan: string;
  /** Write the whole plan as Markdown here (the workflow uploads it as an artifact). */
  fullMarkdown?: string;
  /** The artifact the workflow uploads the full plan as, named where the comment is cut. */
  artifact: string;
  /** The commit planned, shown under the heading. */
  sha?: string;
  /** Tells apart the comments of several plans on one pull request (e.g. two dbt projects). */
  id?: string;
  /** Print the comment instead of posting it. */
  dryRun?: boolean;
}

export interface CommentPlanResult extends Comment {
  posted: Posted | null;
}

async function readPlan(file: string): Promise<PlanResult> {
  let plan: unknown;
  try {
    plan = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`Cannot read the plan ${file}: ${(error as Error).message}`);
  }
  const p = plan as Partial<PlanResult> | null;
  if (
    p === null ||
    typeof p !== 'object' ||
    !Array.isArray(p.syncs) ||
    !Array.isArray(p.removedSyncs) ||
    typeof p.totals !== 'object' ||
    p.syncs.some(
      (s) => typeof s?.counts !== 'object' || !Array.isArray(s.rejected) || !Array.isArray(s.configChanges),
    )
  )
    throw new ConfigError(
      `${file} is not a plan written by this version's \`klaviyo-runner plan --format json\` (syncs, removedSyncs, totals).`,
    );
  return p as PlanResult;
}

/** Where the full plan is: the artifact of this workflow run when running in GitHub Actions. */
function fullPlanAt(artifact: string, env: NodeJS.ProcessEnv): string {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: run } = env;
  if (server === undefined || repo === undefined || run === undefined)
    return `the \`${artifact}\` artifact of this workflow run`;
  return `the \`${artifact}\` artifact of [workflow run ${run}](${server}/${repo}/actions/runs/${run})`;
}

export const markerOf = (id: string | undefined) =>
  id === undefined || id === '' ? COMMENT_MARKER : COMMENT_MARKER.replace(' -->', `:${id} -->`);

export async function commentPlan(
  options: CommentPlanOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CommentPlanResult> {
  if (options.id !== undefined && !/^[\w.-]+$/.test(options.id))
    throw new ConfigError(
      `--id \`${options.id}\` may hold only letters, digits, dots, dashes and underscores.`,
    );
  const plan = await readPlan(options.plan);
  if (options.fullMarkdown !== undefined)
    await writeFile(options.fullMarkdown, renderMarkdown(plan, { examples: true, rejectedRows: 1000 }));
  const ref = options.dryRun === true ? null : await pullRequestRef(options, env);
  const context = `<sub>${options.sha === undefined ? '' : `Commit ${options.sha.slice(0, 12)} · `}planned ${plan.generatedAt} · updated on every push</sub>`;
  const comment = buildComment(plan, { fullPlan: fullPlanAt(options.artifact, env), context });
  const marker = markerOf(options.id);
  const body = comment.body.replace(COMMENT_MARKER, marker);
  if (ref === null) return { ...comment, body, posted: null };
  return { ...comment, body, posted: await upsertComment(ref, marker, body) };
}
