/**
 * The mass-removal guard. A list model that builds empty after an upstream outage or a bad filter
 * would take every member off the list; a profile model whose columns turn NULL would clear every
 * synced property. Before such a sync sends anything, the share of synced rows it would remove or
 * clear is compared with the exposure's `max_removal_percent` (default 20). Over it, the sync
 * stops before sending anything, unless the run says `--allow-mass-removal`: a removal that large
 * is more often a broken build than a decision, and Klaviyo cannot undo it.
 */
import type { SyncSpec } from '../manifest/spec.ts';
import type { DiffMode, PlanCounts } from '../state/diff.ts';
import { objectOf } from '../objects/index.ts';

/** What a run is asked to do beyond the diff: release held-back rows, resend all, allow a mass removal. */
export interface RunMode extends DiffMode {
  allowMassRemoval?: boolean;
}

/** The schema's default (schema/klaviyo-sync.schema.json, max_removal_percent). */
export const DEFAULT_MAX_REMOVAL_PERCENT = 20;

export interface RemovalGuard {
  /** Rows whose removal or property clearing changes Klaviyo. */
  removing: number;
  /** Rows of the sync the snapshot holds. */
  synced: number;
  maxPercent: number;
  /** Whether the removal goes over the threshold. */
  trips: boolean;
  /** Whether the run goes ahead anyway (`--allow-mass-removal`). */
  allowed: boolean;
  message: string;
}

function percent(part: number, whole: number): string {
  return `${((100 * part) / whole).toFixed(1).replace(/\.0$/, '')}%`;
}

export function removalGuard(
  spec: SyncSpec,
  synced: number,
  removing: number,
  allowMassRemoval = false,
): RemovalGuard {
  const maxPercent = spec.config.max_removal_percent ?? DEFAULT_MAX_REMOVAL_PERCENT;
  const trips = synced > 0 && removing * 100 > synced * maxPercent;
  const numbers = `${removing} of ${synced} synced rows (${percent(removing, Math.max(synced, 1))}) would be removed or cleared in Klaviyo, over this sync's max_removal_percent of ${maxPercent}%`;
  const message = !trips
    ? ''
    : allowMassRemoval
      ? `${numbers}; going ahead as --allow-mass-removal says`
      : `${numbers}; stopped before sending anything. Check the model (an empty or partial build?); if the removal is meant, run again with --allow-mass-removal or raise max_removal_percent`;
  return { removing, synced, maxPercent, trips, allowed: allowMassRemoval, message };
}

/**
 * At most how many rows the diff counts can remove or clear: the removals a sync acts on, plus
 * every update of a profile sync (any may clear a property). When even this bound is within the
 * threshold, `sync` needs no counting pass before sending.
 */
export function removalBound(spec: SyncSpec, counts: PlanCounts): number {
  return objectOf(spec).removalBound(spec, counts);
}
