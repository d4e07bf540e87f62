/**
 * Deletions (docs/privacy-deletions.md): each new or changed row of a deletion model names a
 * person to erase. Per identifier the row carries, Klaviyo's profile deletion is requested once: an
 * email or a phone number directly, an external id through the profile ids `get_profiles` finds
 * for it (the Data Privacy API takes no external ids). Each request is recorded `pending` before
 * it is sent and `requested` once Klaviyo answered 202, so a run killed in between asks Klaviyo
 * whether the profile is still there before it asks again, and no run asks for an identifier any
 * run asked for before. A row enters the snapshot (its hash, not its values) once all its
 * identifiers are done. When the sync is done, the erased people leave the other syncs' state.
 */
import { KlaviyoError, stopsTheRun } from '../errors.ts';
import { requestProfileDeletion, type DeletionIdentifier } from '../klaviyo/privacy.ts';
import { findProfiles } from '../klaviyo/profiles.ts';
import type { RowOutcome } from '../state/changes.ts';
import type { StreamedChange } from '../state/diff.ts';
import {
  forgetErased,
  identifierHash,
  identityHashes,
  readDeletions,
  recordDeletions,
  type DeletionStatus,
  type ErasedIdentifier,
} from '../state/deletions.ts';
import { buildDeletion } from '../transform/deletion.ts';
import type { DeletionPayload } from '../transform/payload.ts';
import {
  addRequests,
  forgetRemoved,
  type ApplyContext,
  type Applier,
  type KlaviyoObject,
  type Pending,
} from './object.ts';

const IDENTIFIERS = ['email', 'phone_number', 'external_id'] as const;

/** What one identifier of a row asks of Klaviyo. */
interface Wanted {
  identifier: ErasedIdentifier;
  value: string;
  hash: string;
}

/** A refusal Klaviyo attributes to this request (a 4xx but 429): the row is rejected, not retried. */
function refusedByKlaviyo(error: unknown): error is KlaviyoError {
  return (
    error instanceof KlaviyoError &&
    !stopsTheRun(error) &&
    error.status !== undefined &&
    error.status >= 400 &&
    error.status < 500 &&
    error.status !== 429
  );
}

class DeletionApplier implements Applier<DeletionPayload> {
  private statuses: Map<string, DeletionStatus> | null = null;

  constructor(private readonly c: ApplyContext) {}

  async send(items: Pending<DeletionPayload>[]): Promise<void> {
    this.statuses ??= await readDeletions(this.c.state);
    const outcomes: RowOutcome[] = [];
    for (const item of items) {
      this.c.signal?.throwIfAborted();
      outcomes.push(await this.erase(item.payload));
    }
    // The snapshot keeps an erased person's row by its hash alone, not its values.
    await this.c.settle(
      items.map((i) => ({ ...i, change: { ...i.change, json: null } })),
      outcomes,
    );
  }

  /** A row that leaves the deletion model erases nobody back: the person stays erased and held back. */
  remove(changes: StreamedChange[]): Promise<void> {
    return forgetRemoved(this.c, changes);
  }

  async finish(): Promise<void> {
    const { c } = this;
    const forgotten = await c.write(() => forgetErased(c.state, c.spec.name, c.runId, c.specs));
    for (const [sync, rows] of forgotten) {
      c.count('forgotten', rows);
      c.log(
        'info',
        'deletion.forgotten',
        `${c.spec.name}: ${rows} row(s) of erased people removed from ${sync}'s state`,
        {
          sync: c.spec.name,
          from: sync,
          rows,
        },
      );
    }
  }

  /** Requests the deletion of each identifier of one row that no run requested before. */
  private async erase(payload: DeletionPayload): Promise<RowOutcome> {
    const { c } = this;
    const statuses = this.statuses!;
    const wanted: Wanted[] = IDENTIFIERS.filter((id) => payload.profile[id] !== undefined).map(
      (identifier) => {
        const value = payload.profile[identifier]!;
        return { identifier, value, hash: identifierHash(identifier, value) };
      },
    );
    for (const w of wanted) {
      const status = statuses.get(w.hash);
      if (status === 'requested' || status === 'nothing_to_erase') continue;
      try {
        const done = await this.request(payload.key, w, status === 'pending');
        await c.write(() =>
          recordDeletions(c.state, c.spec.name, c.runId, [
            { key: payload.key, identifier: w.identifier, hash: w.hash, status: done },
          ]),
        );
        statuses.set(w.hash, done);
      } catch (error) {
        if (refusedByKlaviyo(error))
          return {
            key: payload.key,
            status: 'rejected',
            reason: `Klaviyo refused the deletion by ${w.identifier}: ${error.message}`,
          };
        // Left pending: the next run asks Klaviyo whether the profile is gone before asking again.
        if (error instanceof KlaviyoError && !stopsTheRun(error))
          return { key: payload.key, status: 'failed', reason: error.message };
        throw error;
      }
    }
    return { key: payload.key, status: 'confirmed' };
  }

  /**
   * One identifier's deletion. `resumed`: an earlier run recorded it pending and may have sent it,
   * so Klaviyo is asked first; a profile already gone is not asked for again.
   */
  private async request(key: string, w: Wanted, resumed: boolean): Promise<'requested' | 'nothing_to_erase'> {
    const { c } = this;
    const pending = async () => {
      if (!resumed)
        await c.write(() =>
          recordDeletions(c.state, c.spec.name, c.runId, [
            { key, identifier: w.identifier, hash: w.hash, status: 'pending' },
          ]),
        );
    };
    if (w.identifier === 'external_id') {
      // Only the profiles still there are asked for, so a resumed request never repeats one.
      const ids = (await findProfiles(c.client, 'external_id', [w.value])).map((p) => p.id);
      if (ids.length === 0) return resumed ? 'requested' : 'nothing_to_erase';
      await pending();
      for (const id of ids) await requestProfileDeletion(c.client, { id });
      c.count('deletion_requests', ids.length);
      return 'requested';
    }
    if (resumed && (await findProfiles(c.client, w.identifier, [w.value])).length === 0) return 'requested';
    await pending();
    const identifier: DeletionIdentifier =
      w.identifier === 'email' ? { email: w.value } : { phone_number: w.value };
    await requestProfileDeletion(c.client, identifier);
    c.count('deletion_requests', 1);
    return 'requested';
  }
}

export const deletion: KlaviyoObject<DeletionPayload> = {
  name: 'deletion',
  // A batch is settled into the snapshot together; each identifier is still one request. One batch
  // at a time, so an identifier two batches share is asked for once.
  limits: { rows: 100, removals: 1000, inFlight: 1 },
  // No write of the run may re-create a person being erased (docs/privacy-deletions.md).
  runs: 'first',
  build: buildDeletion,
  bytesOf: () => 0,
  confirmedAs: () => 'erased',
  removalBound: () => 0,
  examplesShowValues: false,
  erases: (payload) => identityHashes(payload.profile),
  countSend(_spec, _change, payload, tally) {
    tally.send += 1;
    tally.erasures += 1;
    // At most: an identifier an earlier row or run already asked for is not asked for again.
    for (const id of IDENTIFIERS) if (payload.profile[id] !== undefined) tally.deletions += 1;
    if (payload.profile.external_id !== undefined) tally.lookups += 1;
  },
  countRemoval() {},
  requests(_spec, tally) {
    const requests: Record<string, number> = {};
    // One lookup per external id: the Data Privacy API takes no external ids.
    addRequests(requests, 'get_profiles', tally.lookups);
    addRequests(requests, 'request_profile_deletion', tally.deletions);
    return requests;
  },
  applier: (context) => new DeletionApplier(context),
  // No csvImport: a file of the people to erase would be the one copy a deletion must not leave.
  configChanges: {
    // The snapshot keeps no identifier; the deletions table does, by hash, whatever the key.
    key: (before, after) => ({
      kind: 'key',
      what: `\`key\` changed from \`${before.key}\` to \`${after.key}\`.`,
      consequence:
        'Every row is read as new, but an identifier whose deletion was requested before is never asked for again (docs/privacy-deletions.md): only people not erased yet cost a request.',
      needsFlag: false,
    }),
    target: () => [],
  },
};
