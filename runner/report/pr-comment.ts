/**
 * The plan as one pull-request comment. GitHub refuses a comment body over 65,536 characters
 * (https://docs.github.com/en/rest/issues/comments#create-an-issue-comment answers 422
 * "body is too long"), so a long plan is cut in a fixed order: the summary table and the
 * configuration changes always stay; the field-level examples go first, then rejected rows beyond
 * what fits. The comment says what was cut and where the full plan is. A hidden marker lets the
 * poster find and update its own comment on every push instead of adding one.
 */
import type { PlanResult } from '../plan/plan.ts';
import { renderMarkdown, type MarkdownLimits } from './plan-report.ts';

export const COMMENT_MARKER = '<!-- klaviyo-runner:plan -->';
export const GITHUB_COMMENT_LIMIT = 65_536;

export interface CommentOptions {
  /** Where the full plan is, e.g. "the `klaviyo-plan` artifact of [run 42](…)". */
  fullPlan?: string;
  /** The largest body allowed (GitHub's limit unless a test says otherwise). */
  maxChars?: number;
  /** A line under the heading, e.g. which commit and target the plan is of. */
  context?: string;
}

export interface Comment {
  body: string;
  /** What was left out to fit, for the log (empty: the whole plan). */
  cut: string[];
}

function body(result: PlanResult, limits: MarkdownLimits, context: string | undefined): string {
  const markdown = renderMarkdown(result, limits);
  return `${COMMENT_MARKER}\n${context === undefined ? '' : `${context}\n\n`}${markdown}`;
}

const listed = (result: PlanResult) => Math.max(0, ...result.syncs.map((s) => s.rejected.length));

/** The whole plan when it fits; otherwise the plan with examples, then rejected rows, left out. */
export function buildComment(result: PlanResult, options: CommentOptions = {}): Comment {
  const max = options.maxChars ?? GITHUB_COMMENT_LIMIT;
  const where = options.fullPlan ?? '`klaviyo-runner plan --format json`';
  const full: MarkdownLimits = { examples: true, rejectedRows: listed(result) };
  const whole = body(result, full, options.context);
  if (whole.length <= max) return { body: whole, cut: [] };

  const totalRejected = result.syncs.reduce((a, s) => a + s.counts.rejected, 0);
  const attempt = (rejectedRows: number) => {
    const cut = ['field-level examples'];
    if (rejectedRows < full.rejectedRows) cut.push(`rejected rows beyond ${rejectedRows} per sync`);
    const note = `> This comment leaves out ${cut.join(' and ')} to stay under GitHub's ${GITHUB_COMMENT_LIMIT.toLocaleString('en-US')}-character limit${totalRejected > 0 ? ` (${totalRejected} rows are rejected in all)` : ''}. The full plan is in ${where}.`;
    const limits: MarkdownLimits = {
      examples: false,
      rejectedRows,
      fullPlan: `the full plan is in ${where}`,
      note,
    };
    return { body: body(result, limits, options.context), cut };
  };
  // The most rejected rows per sync that still fit: a binary search over the row count.
  let low = 0;
  let high = full.rejectedRows;
  let best = attempt(0);
  while (low <= high) {
    const mid = Math.floor((low + high) / 2);
    const tried = attempt(mid);
    if (tried.body.length <= max) {
      best = tried;
      low = mid + 1;
    } else high = mid - 1;
  }
  if (best.body.length <= max) return best;
  // Hundreds of syncs: even the summary does not fit. Keep what does, and say so.
  const notice = `\n\n> Cut at GitHub's comment limit. The full plan is in ${where}.\n`;
  return {
    body: best.body.slice(0, max - notice.length) + notice,
    cut: [...best.cut, 'the end of the summary'],
  };
}
