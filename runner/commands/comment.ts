import { Command } from 'commander';
import type { CommentPlanOptions } from '../github/comment-plan.ts';

export function commentCommand(): Command {
  return new Command('comment')
    .description(
      'post a plan (from `plan --format json`) as one pull-request comment, updated in place on every push',
    )
    .requiredOption('--plan <file>', 'the plan JSON written by `klaviyo-runner plan --format json --output`')
    .option(
      '--full-markdown <file>',
      'also write the whole plan, uncut, as Markdown (to upload as an artifact)',
    )
    .option(
      '--artifact <name>',
      'the artifact holding the full plan, named when the comment is cut',
      'klaviyo-plan',
    )
    .option('--repo <owner/name>', 'the repository (default: $GITHUB_REPOSITORY)')
    .option('--pr <number>', "the pull request (default: the event's, from $GITHUB_EVENT_PATH)")
    .option('--sha <commit>', 'the commit the plan is of, shown in the comment')
    .option('--id <id>', 'tells apart several plan comments on one pull request')
    .option('--dry-run', 'print the comment instead of posting it')
    .action(async (options: CommentPlanOptions) => {
      // Loaded when the command runs, so `--help` and the other commands do not pay for it.
      const { commentPlan } = await import('../github/comment-plan.ts');
      const result = await commentPlan(options);
      if (result.posted === null) process.stdout.write(result.body);
      else
        process.stdout.write(
          `${result.posted.action} ${result.posted.url}${result.cut.length > 0 ? ` (left out: ${result.cut.join(', ')})` : ''}\n`,
        );
    });
}
