/**
 * Which syncs of a run go side by side, and which wait for others. Klaviyo's rate limits are per
 * tier and shared by the whole run (klaviyo/client.ts), so syncs that do not depend on each other
 * run at once and the run takes about as long as its busiest tier, not the sum of its syncs.
 *
 * A sync waits for (every wait is for the other sync to finish, whatever its outcome) the syncs
 * its object runs after (`runs` in its module under objects/: privacy deletions first, list
 * memberships after the profile syncs, event syncs after them unless their events go as
 * backfill), and the sync it names in `after`, whose confirmed rows its diff reads. A member
 * whose profile only an event sync creates needs `after` that sync.
 *
 * Until Klaviyo has answered the run once, syncs go one at a time: a refused key or an unreachable
 * Klaviyo then stops the run at the first sync that meets it, and the rest are recorded as not run,
 * rather than every sync started beside it failing the same way. The sync with the smallest
 * batches goes first then (`nextReady`), so that first answer comes soon.
 */
import type { SyncSpec } from '../manifest/spec.ts';
import type { RunMode } from '../plan/guard.ts';
import { firstLoadDone } from '../state/runs.ts';
import type { State } from '../state/schema.ts';
import { objectOf } from '../objects/index.ts';

/** Syncs of a run at once at most: each holds its own batches in flight and a warehouse stream. */
export const SIDE_BY_SIDE = 4;

/**
 * Whether this run sends the sync's events as historical backfill (no flow fires for them): on its
 * first load by default, and on a full refresh, which sends its history again.
 */
async function goesAsBackfill(state: State, spec: SyncSpec, mode: RunMode): Promise<boolean> {
  const backfill = spec.config.backfill ?? 'first_load';
  if (backfill !== 'first_load') return backfill;
  return mode.fullRefresh === true || !(await firstLoadDone(state, spec.name));
}

/**
 * The run's syncs that send as backfill this run, read once before any starts: they set both the
 * order (waitsFor) and how each sync sends its events.
 */
export async function backfilledSyncs(state: State, specs: SyncSpec[], mode: RunMode): Promise<Set<string>> {
  const out = new Set<string>();
  for (const spec of specs) if (await goesAsBackfill(state, spec, mode)) out.add(spec.name);
  return out;
}

/** The names of the syncs each sync of the run waits for (only syncs of this run). */
export function waitsFor(specs: SyncSpec[], backfills: ReadonlySet<string>): Map<string, string[]> {
  const names = new Set(specs.map((s) => s.name));
  const runs = (spec: SyncSpec) => objectOf(spec).runs;
  const firsts = specs.filter((s) => runs(s) === 'first').map((s) => s.name);
  const profiles = specs.filter((s) => runs(s) === 'profiles').map((s) => s.name);
  const waits = new Map<string, string[]>();
  for (const spec of specs) {
    const before = new Set<string>();
    const order = runs(spec);
    if (order !== 'first') firsts.forEach((n) => before.add(n));
    const after = spec.config.after;
    if (after !== undefined && names.has(after)) before.add(after);
    if (
      order === 'after_profiles' ||
      (order === 'after_profiles_unless_backfill' && !backfills.has(spec.name))
    )
      profiles.forEach((n) => before.add(n));
    before.delete(spec.name);
    waits.set(spec.name, [...before]);
  }
  return waits;
}

/**
 * Which of the pending syncs starts next, among those ready: the first in the run's order, except
 * before Klaviyo has answered the run, when the one whose batches are smallest goes (an event
 * sync's 1,000 events before a profile sync's import job of 10,000 profiles). Its first request
 * goes soonest once its rows are read, so the run learns sooner whether Klaviyo takes its key, and
 * the others start beside it sooner.
 */
function nextReady(pending: SyncSpec[], ready: (spec: SyncSpec) => boolean, wide: boolean): number {
  let next = -1;
  for (const [i, spec] of pending.entries()) {
    if (!ready(spec)) continue;
    if (wide) return i;
    if (next < 0 || batchRows(spec) < batchRows(pending[next]!)) next = i;
  }
  return next;
}

const batchRows = (spec: SyncSpec) => objectOf(spec).limits.rows;

/**
 * Runs `start` for each sync once every sync it waits for has finished, one at a time until `widen`
 * settles and at most `limit` at once after, in the order given among those ready (the run's
 * `after` order, select.ts). `stopped` is asked
 * before each start: once it gives a reason, no further sync starts and `skip` records it instead.
 * An error thrown by `start` stops further starts too; it is thrown once the syncs running finish.
 */
export async function sideBySide(
  specs: SyncSpec[],
  waits: Map<string, string[]>,
  limit: number,
  widen: Promise<void>,
  start: (spec: SyncSpec) => Promise<void>,
  stopped: () => Error | null,
  skip: (spec: SyncSpec, reason: Error) => void,
): Promise<void> {
  let wide = false;
  const widened = widen.then(() => {
    wide = true;
    return null;
  });
  const finished = new Set<string>();
  const pending = [...specs];
  const running = new Map<string, Promise<string>>();
  /** The first error `start` threw, if any. */
  const failures: unknown[] = [];
  const ready = (spec: SyncSpec) => (waits.get(spec.name) ?? []).every((n) => finished.has(n));
  while (pending.length > 0 || running.size > 0) {
    const reason = failures.length > 0 ? (failures[0] as Error) : stopped();
    if (reason !== null) for (const spec of pending.splice(0)) skip(spec, reason);
    for (
      let next = nextReady(pending, ready, wide);
      next >= 0 && running.size < (wide ? limit : 1);
      next = nextReady(pending, ready, wide)
    ) {
      const spec = pending.splice(next, 1)[0]!;
      const name = spec.name;
      running.set(
        name,
        start(spec).then(
          () => name,
          (error: unknown) => {
            failures.push(error);
            return name;
          },
        ),
      );
    }
    // Nothing running and nothing ready: a wait on a sync outside the run, which waitsFor never
    // names. Guarded so such a mistake shows rather than hangs.
    if (running.size === 0 && pending.length > 0)
      throw new Error(`syncs wait for syncs outside the run: ${pending.map((s) => s.name).join(', ')}`);
    if (running.size === 0) break;
    const done = await Promise.race([...running.values(), ...(wide ? [] : [widened])]);
    if (done === null) continue;
    running.delete(done);
    finished.add(done);
  }
  if (failures.length > 0) throw failures[0];
}
