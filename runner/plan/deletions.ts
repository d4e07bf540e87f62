/**
 * What a deletion row still asks of Klaviyo (docs/privacy-deletions.md): per identifier not yet
 * requested, one profile deletion; an external id, and an identifier an interrupted run left
 * pending, first cost a `get_profiles` lookup. `plan` counts it; `sync` (sync/deletions.ts) does it.
 */
import { identifierHash, type DeletionStatus } from '../state/deletions.ts';
import type { DeletionPayload } from '../transform/payload.ts';

export interface DeletionWork {
  /** Hashes of every identifier the row names: the person the other syncs hold back. */
  hashes: string[];
  /** Deletion requests still to send (an external id counted as one profile). */
  requests: number;
  /** `get_profiles` lookups before them. */
  lookups: number;
}

export function deletionWork(
  statuses: ReadonlyMap<string, DeletionStatus>,
  payload: DeletionPayload,
): DeletionWork {
  const work: DeletionWork = { hashes: [], requests: 0, lookups: 0 };
  for (const identifier of ['email', 'phone_number', 'external_id'] as const) {
    const value = payload.profile[identifier];
    if (value === undefined) continue;
    const hash = identifierHash(identifier, value);
    work.hashes.push(hash);
    const status = statuses.get(hash);
    if (status === 'requested' || status === 'nothing_to_erase') continue;
    work.requests += 1;
    if (identifier === 'external_id' || status === 'pending') work.lookups += 1;
  }
  return work;
}
