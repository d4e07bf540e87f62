/**
 * What a sync reports per row: rejections (recorded in the state, so the same row is not resent
 * until it changes), failures (left for the next run), and fields dropped from rows that still
 * went. The result lists the first MAX_LISTED of each; the counts count them all.
 */
import type { SyncSpec } from '../manifest/spec.ts';
import type { SyncResult } from '../report/run-results.ts';
import type { StreamedChange } from '../state/diff.ts';
import type { State } from '../state/schema.ts';
import { recordRejections, type RecordedRejection } from '../state/snapshot.ts';
import type { DroppedField } from '../transform/payload.ts';

export const MAX_LISTED = 1000;

export class RowReport {
  private readonly rejections: RecordedRejection[] = [];

  constructor(
    private readonly state: State,
    private readonly spec: SyncSpec,
    private readonly runId: string,
    private readonly result: SyncResult,
  ) {}

  /** A row refused by the runner or by Klaviyo; with `record`, held back until it changes. */
  reject(
    key: string,
    hash: string | null,
    reason: string,
    column: string | undefined,
    source: 'runner' | 'klaviyo',
    record = true,
  ): void {
    this.result.counts.rejected += 1;
    if (this.result.rejected.length < MAX_LISTED)
      this.result.rejected.push({ key, ...(column !== undefined ? { column } : {}), reason });
    if (!record) return;
    this.rejections.push({
      sync: this.spec.name,
      model: this.spec.model.name,
      key,
      ...(column !== undefined ? { column } : {}),
      reason,
      hash,
      source,
    });
  }

  /** A row sent without a field it had: reported for the row, the row itself goes on. */
  dropFields(key: string, dropped: DroppedField[]): void {
    for (const { column, reason } of dropped) {
      this.result.counts.fields_dropped += 1;
      if (this.result.dropped_fields.length < MAX_LISTED)
        this.result.dropped_fields.push({ key, column, reason });
    }
  }

  /** A row of an erased person, never sent: reported on every run while the model carries it. */
  holdBack(key: string, reason: string): void {
    this.result.counts.held_back_erased += 1;
    if (this.result.held_back.length < MAX_LISTED) this.result.held_back.push({ key, reason });
  }

  /**
   * Rows the warehouse saw changed that would send Klaviyo what it was already sent
   * (objects/as-sent.ts): unchanged, and no longer events changed after sending.
   */
  sameAsSent(changes: StreamedChange[]): void {
    this.result.counts.unchanged += changes.length;
    for (const change of changes)
      if (change.diffKind === 'changed_event') this.result.counts.events_changed_not_resent -= 1;
  }

  fail(key: string, reason: string): void {
    this.result.counts.failed += 1;
    if (this.result.failed.length < MAX_LISTED) this.result.failed.push({ key, reason });
  }

  /** Writes the rejections gathered so far to the state. */
  async flush(): Promise<void> {
    if (this.rejections.length === 0) return;
    await recordRejections(this.state, this.runId, this.rejections.splice(0));
  }
}
