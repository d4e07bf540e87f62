/** The human summary printed at the end of `sync`, rendered from the run results (Handlebars). */
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import type { RunResults } from './run-results.ts';

const hbs = Handlebars.create();
hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
hbs.registerHelper('gt', (a: number, b: number) => a > b);
hbs.registerHelper('reasons', (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([code, n]) => `${code} ${n}`)
    .join(', '),
);
hbs.registerHelper('first', (items: unknown[], n: number) => items.slice(0, n));
hbs.registerHelper('seconds', (s: number) => `${s.toFixed(1)}s`);
hbs.registerHelper('requestTotal', (requests: Record<string, number>) => {
  const total = Object.values(requests).reduce((a, b) => a + b, 0);
  const parts = Object.entries(requests).map(([op, n]) => `${op} ${n}`);
  return parts.length === 0 ? '0' : `${total} (${parts.join(', ')})`;
});

const template = hbs.compile(
  readFileSync(new URL('./templates/sync-summary.txt.hbs', import.meta.url), 'utf8'),
  { noEscape: true },
);

export function renderSyncSummary(results: RunResults): string {
  return template(results);
}
