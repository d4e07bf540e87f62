/**
 * One sync's changes applied: the diff streamed from the warehouse, each row classified and built
 * by the same pass `plan` makes (objects/classify.ts), payloads gathered into batches within the
 * object's limits and sent, rows that left the model handed to the object's removal.
 */
import type { SyncSpec } from '../manifest/spec.ts';
import { classify } from '../objects/classify.ts';
import type { Applier, Keyed, KlaviyoObject, Pending } from '../objects/object.ts';
import { streamChanges, type DiffMode, type StreamedChange } from '../state/diff.ts';
import type { State } from '../state/schema.ts';
import type { RowReport } from './row-report.ts';

/** Gathers payloads into batches of at most the object's rows and bytes, sending each when full. */
class Batcher<P extends Keyed> {
  private items: Pending<P>[] = [];
  private bytes = 0;

  constructor(
    private readonly object: KlaviyoObject<P>,
    private readonly send: (batch: Pending<P>[]) => Promise<void>,
  ) {}

  async add(item: Pending<P>): Promise<void> {
    const { rows, bytes: maxBytes } = this.object.limits;
    const size = this.object.bytesOf(item.payload);
    if (this.items.length >= rows || (maxBytes !== undefined && this.bytes + size > maxBytes))
      await this.flush();
    this.items.push(item);
    this.bytes += size;
  }

  async flush(): Promise<void> {
    const batch = this.items;
    this.items = [];
    this.bytes = 0;
    if (batch.length > 0) await this.send(batch);
  }
}

export interface PipelineInput<P extends Keyed> {
  state: State;
  spec: SyncSpec;
  mode: DiffMode;
  signal: AbortSignal | undefined;
  object: KlaviyoObject<P>;
  applier: Applier<P>;
  report: RowReport;
  /** Identifier hashes of erased people, whose rows are held back (docs/privacy-deletions.md). */
  erased: ReadonlySet<string>;
}

export async function applyChanges<P extends Keyed>(input: PipelineInput<P>): Promise<void> {
  const { state, spec, mode, signal, object, applier, report, erased } = input;
  const batcher = new Batcher(object, (batch) => {
    signal?.throwIfAborted();
    return applier.send(batch);
  });
  for await (const chunk of streamChanges(state, spec, mode)) {
    signal?.throwIfAborted();
    const removals: StreamedChange[] = [];
    for (const change of chunk) {
      const row = classify(spec, object, change, erased);
      switch (row.type) {
        case 'refused':
          // A row without a key cannot be remembered as rejected: it is reported on every run.
          report.reject(
            row.rejection.key,
            null,
            row.rejection.reason,
            row.rejection.column,
            'runner',
            row.remember,
          );
          break;
        case 'changed_event':
          break;
        case 'remove':
          removals.push(change);
          break;
        case 'invalid':
          report.reject(change.key, change.hash, row.rejection.reason, row.rejection.column, 'runner');
          break;
        case 'held_back':
          report.holdBack(change.key, row.reason);
          break;
        case 'send':
          if (row.dropped.length > 0) report.dropFields(change.key, row.dropped);
          await batcher.add({ payload: row.payload, change });
          break;
      }
    }
    await report.flush();
    for (let i = 0; i < removals.length; i += object.limits.removals)
      await applier.remove(removals.slice(i, i + object.limits.removals));
  }
  await batcher.flush();
  await report.flush();
  await applier.finish?.();
}
