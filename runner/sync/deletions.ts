/**
 * A deletion sync applied (docs/privacy-deletions.md): each new or changed row of the deletion
 * model names a person to erase. Per identifier the row carries, Klaviyo's profile deletion is
 * requested once: an email or a phone number directly, an external id through the profile ids
 * `get_profiles` finds for it (the Data Privacy API does not take external ids). Each request is
 * recorded `pending` before it is sent and `requested` once Klaviyo answered 202, so a run killed
 * in between asks Klaviyo whether the profile is still there before it asks again, and no run ever
 * requests what an earlier one did. A row enters the snapshot (without its values) once all its
 * identifiers are done. Then the erased people's rows leave the other syncs' state.
 */
import { KlaviyoError, stopsTheRun } from '../errors.ts';
import type { SyncSpec } from '../manifest/spec.ts';
import type { KlaviyoClient } from '../klaviyo/client.ts';
import { requestProfileDeletion, type DeletionIdentifier } from '../klaviyo/privacy.ts';
import { findProfiles } from '../klaviyo/profiles.ts';
import { diffRejection } from '../plan/classify.ts';
import type { SyncCounts } from '../report/run-results.ts';
import type { Logger } from '../report/log.ts';
import {
  forgetErased,
  identifierHash,
  readDeletions,
  recordDeletions,
  type DeletionRecord,
  type DeletionStatus,
  type ErasedIdentifier,
} from '../state/deletions.ts';
import { streamChanges, type DiffMode, type StreamedChange } from '../state/diff.ts';
import type { State } from '../state/schema.ts';
import { confirmRows, forgetRows } from '../state/snapshot.ts';
import { heartbeat } from '../state/runs.ts';
import { buildDeletion } from '../transform/deletion.ts';
import type { DroppedField } from '../transform/payload.ts';

/** How the deletion sync reports rows, through the sync run that owns the result. */
export interface DeletionReport {
  counts: SyncCounts;
  reject(
    key: string,
    hash: string | null,
    reason: string,
    column: string | undefined,
    source: 'runner' | 'klaviyo',
    record?: boolean,
  ): void;
  fail(key: string, reason: string): void;
  dropFields(key: string, dropped: DroppedField[]): void;
  flush(): Promise<void>;
}

export interface DeletionContext {
  state: State;
  client: KlaviyoClient;
  spec: SyncSpec;
  /** The project's syncs: the configuration their snapshot rows are read under when no recorded one exists. */
  specs: SyncSpec[];
  runId: string;
  mode: DiffMode;
  log: Logger;
  signal?: AbortSignal;
}

/** What one identifier of a row asks of Klaviyo. */
interface Wanted {
  identifier: ErasedIdentifier;
  value: string;
  hash: string;
}

/** A refusal Klaviyo attributes to this request (4xx but 429): the row is rejected, not retried. */
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

export class DeletionSync {
  private statuses = new Map<string, DeletionStatus>();

  constructor(
    private readonly ctx: DeletionContext,
    private readonly report: DeletionReport,
  ) {}

  async apply(): Promise<void> {
    const { state, spec } = this.ctx;
    this.statuses = await readDeletions(state);
    for await (const chunk of streamChanges(state, spec, this.ctx.mode)) {
      const removed: string[] = [];
      for (const change of chunk) {
        this.ctx.signal?.throwIfAborted();
        const refused = diffRejection(spec, change);
        if (refused !== null) {
          this.report.reject(
            refused.key,
            null,
            refused.reason,
            refused.column,
            'runner',
            change.diffKind !== 'null_key',
          );
          continue;
        }
        // A row that leaves the deletion model erases nobody back: the person stays erased and
        // held back everywhere; only the row's own snapshot entry goes.
        if (change.kind === 'remove') removed.push(change.key);
        else await this.erase(change);
      }
      await forgetRows(state, spec, removed);
      this.report.counts.removed += removed.length;
      await this.report.flush();
      await heartbeat(state, spec.name, this.ctx.runId);
    }
    const forgotten = await forgetErased(state, spec.name, this.ctx.runId, this.ctx.specs);
    for (const [sync, rows] of forgotten) {
      this.report.counts.forgotten += rows;
      this.ctx.log.log(
        'info',
        'deletion.forgotten',
        `${spec.name}: ${rows} row(s) of erased people removed from ${sync}'s state`,
        {
          sync: spec.name,
          from: sync,
          rows,
        },
      );
    }
  }

  /** Requests the deletion of every identifier of one row not requested before; confirms the row when all are done. */
  private async erase(change: StreamedChange): Promise<void> {
    const built = buildDeletion(this.ctx.spec, change);
    if (!built.ok) {
      this.report.reject(change.key, change.hash, built.rejection.reason, built.rejection.column, 'runner');
      return;
    }
    if (built.dropped !== undefined) this.report.dropFields(change.key, built.dropped);
    const wanted: Wanted[] = (['email', 'phone_number', 'external_id'] as const)
      .filter((identifier) => built.payload.profile[identifier] !== undefined)
      .map((identifier) => {
        const value = built.payload.profile[identifier]!;
        return { identifier, value, hash: identifierHash(identifier, value) };
      });
    let sent = 0;
    for (const w of wanted) {
      const status = this.statuses.get(w.hash);
      if (status === 'requested' || status === 'nothing_to_erase') continue;
      try {
        const outcome = await this.request(change.key, w, status === 'pending');
        sent += outcome.sent;
        const record: DeletionRecord = {
          key: change.key,
          identifier: w.identifier,
          hash: w.hash,
          status: outcome.status,
        };
        await recordDeletions(this.ctx.state, this.ctx.spec.name, this.ctx.runId, [record]);
        this.statuses.set(w.hash, record.status);
      } catch (error) {
        if (refusedByKlaviyo(error)) {
          this.report.reject(
            change.key,
            change.hash,
            `Klaviyo refused the deletion by ${w.identifier}: ${error.message}`,
            undefined,
            'klaviyo',
          );
          return;
        }
        if (error instanceof KlaviyoError && !stopsTheRun(error)) {
          // Recorded pending: the next run asks Klaviyo whether the profile is gone before asking again.
          this.report.fail(change.key, error.message);
          return;
        }
        throw error;
      }
    }
    this.report.counts.deletion_requests += sent;
    // The row is remembered by its hash alone: the snapshot keeps nothing of an erased person.
    await confirmRows(this.ctx.state, this.ctx.spec, this.ctx.runId, [
      { key: change.key, hash: change.hash!, row: null, profileId: null },
    ]);
    this.report.counts.erased += 1;
  }

  /**
   * One identifier's deletion. `resumed`: an earlier run recorded it pending and may have sent it,
   * so Klaviyo is asked first; a profile already gone is not asked for again.
   */
  private async request(
    key: string,
    w: Wanted,
    resumed: boolean,
  ): Promise<{ status: 'requested' | 'nothing_to_erase'; sent: number }> {
    const { client, state, spec, runId } = this.ctx;
    const pending = async () => {
      if (resumed) return;
      await recordDeletions(state, spec.name, runId, [
        { key, identifier: w.identifier, hash: w.hash, status: 'pending' },
      ]);
    };
    if (w.identifier === 'external_id') {
      // Only the profiles still there are asked for, so a resumed request never repeats one.
      const ids = (await findProfiles(client, 'external_id', [w.value])).map((p) => p.id);
      if (ids.length === 0) return { status: resumed ? 'requested' : 'nothing_to_erase', sent: 0 };
      await pending();
      for (const id of ids) await requestProfileDeletion(client, { id });
      return { status: 'requested', sent: ids.length };
    }
    if (resumed && (await findProfiles(client, w.identifier, [w.value])).length === 0)
      return { status: 'requested', sent: 0 };
    await pending();
    const identifier: DeletionIdentifier =
      w.identifier === 'email' ? { email: w.value } : { phone_number: w.value };
    await requestProfileDeletion(client, identifier);
    return { status: 'requested', sent: 1 };
  }
}
