/**
 * `--select` / `--exclude`, dbt-style: an exposure name, `tag:<tag>`, or the synced model's name.
 * The result is ordered so a sync declared `after` another comes after it; a selected sync whose
 * `after` target is not selected still runs, against what that sync confirmed in earlier runs.
 */
import { ConfigError } from '../errors.ts';
import type { SyncSpec } from './spec.ts';

function matches(spec: SyncSpec, selector: string): boolean {
  if (selector.startsWith('tag:')) return spec.tags.includes(selector.slice(4));
  return spec.name === selector || spec.model.name === selector;
}

export function selectSpecs(specs: SyncSpec[], select: string[], exclude: string[]): SyncSpec[] {
  const unknown = [...select, ...exclude].filter((s) => !specs.some((spec) => matches(spec, s)));
  if (unknown.length > 0) {
    throw new ConfigError(
      `No sync matches ${unknown.map((s) => `\`${s}\``).join(', ')}. Syncs in this project: ${specs.map((s) => s.name).join(', ') || 'none'}.`,
    );
  }
  const chosen = specs.filter(
    (spec) =>
      (select.length === 0 || select.some((s) => matches(spec, s))) && !exclude.some((s) => matches(spec, s)),
  );
  return orderByAfter(chosen);
}

/** Topological order on `after`, else by object and name; a cycle is a configuration error. */
export function orderByAfter(specs: SyncSpec[]): SyncSpec[] {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const ordered: SyncSpec[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (spec: SyncSpec, path: string[]): void => {
    const seen = state.get(spec.name);
    if (seen === 'done') return;
    if (seen === 'visiting')
      throw new ConfigError(`Syncs wait for each other in a cycle: ${[...path, spec.name].join(' → ')}.`);
    state.set(spec.name, 'visiting');
    const after = spec.config.after !== undefined ? byName.get(spec.config.after) : undefined;
    if (after !== undefined) visit(after, [...path, spec.name]);
    state.set(spec.name, 'done');
    ordered.push(spec);
  };
  // Deletions before anything else, so no sync of the same run writes to a person being erased
  // (docs/privacy-deletions.md). Then profiles, events and lists: an event or a list member then
  // finds the profile with its attributes already set, rather than creating a bare one.
  const rank = { deletion: -1, profile: 0, event: 1, list_membership: 2 } as const;
  const byRank = [...specs].sort(
    (a, b) => rank[a.config.object] - rank[b.config.object] || a.name.localeCompare(b.name),
  );
  for (const spec of byRank) visit(spec, []);
  return ordered;
}
