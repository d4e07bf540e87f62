/** Renders a plan for a terminal, a pull-request comment (Markdown) or a machine (JSON). */
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import type { PlanResult } from '../plan/plan.ts';

export type PlanFormat = 'text' | 'json' | 'markdown';

/** How much of a plan the Markdown shows; a pull-request comment shows less when it must (pr-comment.ts). */
export interface MarkdownLimits {
  /** Field-level examples of changed rows. */
  examples: boolean;
  /** Rejected rows listed per sync. */
  rejectedRows: number;
  /** Where the full plan is, named where rows are left out. */
  fullPlan?: string;
  /** A closing paragraph saying what was cut. */
  note?: string;
}

export const DEFAULT_MARKDOWN_LIMITS: MarkdownLimits = { examples: true, rejectedRows: 20 };

const hbs = Handlebars.create();
hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
hbs.registerHelper('gt', (a: number, b: number) => a > b);
hbs.registerHelper('minus', (a: number, b: number) => a - b);
hbs.registerHelper('reasons', (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([code, n]) => `${code} ${n}`)
    .join(', '),
);
hbs.registerHelper('first', (items: unknown[], n: number) => items.slice(0, n));
// A table cell: a pipe or a line break in a reason would end the cell or the row.
hbs.registerHelper('cell', (v: unknown) => String(v).replaceAll('|', '\\|').replace(/\r?\n/g, ' '));
hbs.registerHelper('json', (v: unknown) => {
  const text = JSON.stringify(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
});
hbs.registerHelper('duration', (seconds: number) =>
  seconds < 60
    ? `${seconds.toFixed(1)} s`
    : seconds < 3600
      ? `${(seconds / 60).toFixed(1)} min`
      : `${(seconds / 3600).toFixed(1)} h`,
);

const load = (name: string) =>
  hbs.compile(readFileSync(new URL(`./templates/${name}`, import.meta.url), 'utf8'), { noEscape: true });
const markdown = load('plan.md.hbs');
const text = load('plan.txt.hbs');

export function renderPlan(result: PlanResult, format: PlanFormat): string {
  if (format === 'json') return `${JSON.stringify(result, null, 2)}\n`;
  return format === 'markdown' ? renderMarkdown(result) : text(result);
}

export function renderMarkdown(result: PlanResult, limits: MarkdownLimits = DEFAULT_MARKDOWN_LIMITS): string {
  const hasConfigChanges =
    result.removedSyncs.length > 0 || result.syncs.some((s) => s.configChanges.length > 0);
  return markdown({ ...result, hasConfigChanges, limits });
}
