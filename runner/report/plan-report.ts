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
/**
 * Text from the data (a model's value, a reason quoting one) as inline code: GitHub renders
 * nothing inside a code span, so a value cannot mention someone (`@team`), open HTML (`</details>`)
 * or a link. The fence is one backtick longer than any run of them inside
 * (https://spec.commonmark.org/0.31.2/#code-spans); a line break would end a list item or a row.
 */
export function inlineCode(v: unknown): string {
  const text = String(v).replace(/\r?\n|\r/g, ' ');
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || text === '' ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/**
 * Free text from the data in a sentence (a reason): HTML's special characters as entities, and
 * an @ kept from starting a mention by a zero-width space after it.
 */
export function plainText(v: unknown): string {
  return String(v)
    .replace(/\r?\n|\r/g, ' ')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('@', '@\u200b');
}

// In a table cell a pipe ends the cell, inside a code span too, unless escaped
// (https://github.github.com/gfm/#tables-extension-).
const inCell = (text: string) => text.replaceAll('|', '\\|');
hbs.registerHelper('code', (v: unknown) => inlineCode(v));
hbs.registerHelper('text', (v: unknown) => plainText(v));
hbs.registerHelper('codeCell', (v: unknown) => inCell(inlineCode(v)));
hbs.registerHelper('cell', (v: unknown) => inCell(plainText(v)));
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
