/**
 * The mass-removal guard, before a sync sends anything. The diff's counts bound what the run can
 * remove or clear; only when that bound is over the threshold is the exact number counted, by the
 * same pass `plan` makes (plan/guard.ts).
 */
import type { SyncSpec } from '../manifest/spec.ts';
import type { Keyed, KlaviyoObject } from '../objects/object.ts';
import { removalGuard, type RunMode } from '../plan/guard.ts';
import { planSync } from '../plan/plan.ts';
import type { Logger } from '../report/log.ts';
import type { PlanCounts } from '../state/diff.ts';
import type { State } from '../state/schema.ts';

/** Why the sync must not go on (the guard's message), or null; `--allow-mass-removal` only warns. */
export async function massRemovalStop(
  state: State,
  spec: SyncSpec,
  object: KlaviyoObject<Keyed>,
  mode: RunMode,
  counts: PlanCounts,
  log: Logger,
): Promise<string | null> {
  const allow = mode.allowMassRemoval === true;
  if (!removalGuard(spec, counts.synced, object.removalBound(spec, counts), allow).trips) return null;
  const guard = (await planSync(state, spec, mode)).guard;
  if (!guard.trips) return null;
  log.log(allow ? 'warn' : 'error', 'sync.mass_removal', `${spec.name}: ${guard.message}`, {
    sync: spec.name,
    removing: guard.removing,
    synced: guard.synced,
    max_removal_percent: guard.maxPercent,
  });
  return allow ? null : guard.message;
}
