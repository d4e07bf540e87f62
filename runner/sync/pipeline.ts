/**
 * One sync's changes applied: the diff streamed from the warehouse, each row classified and built
 * by the same pass `plan` makes (objects/classify.ts), payloads gathered into batches within the
 * object's limits and sent, rows that left the model handed to the object's removal. The next
 * batch is built, and sent, while the one before it is at Klaviyo.
 */
import type { SyncSpec } from '../manifest/spec.ts';
import { classify } from '../objects/classify.ts';
import {
  sentChange,
  type Applier,
  type Keyed,
  type KlaviyoObject,
  type Pending,
  type SentChange,
} from '../objects/object.ts';
import type { ReportedEvent } from '../state/changed-events.ts';
import type { StreamedChange } from '../state/diff.ts';
import type { RowReport } from './row-report.ts';

/** Runs async work one piece at a time, in the order it was asked for. */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const done = this.tail.then(work);
    this.tail = done.catch(() => {});
    return done;
  }
}

/**
 * Writes that may wait behind the batches still going out: enough to cover a slow write while
 * Klaviyo answers the next batches, few enough to bound the rows held in memory.
 */
const WRITES_BEHIND = 4;

/**
 * Writes that go on behind the batches: once Klaviyo has answered a batch, its place in flight
 * frees and its rows are written to the state on the sync's queue, in order, while the next
 * batches go out. At most `behind` writes wait; the first that failed is thrown at the next `add`
 * or at `drain`.
 */
export class WriteBehind {
  private readonly pending = new Set<Promise<void>>();
  private failure: { error: unknown } | null = null;

  constructor(
    private readonly queue: Serial,
    private readonly behind = WRITES_BEHIND,
  ) {}

  async add(work: () => Promise<void>): Promise<void> {
    this.throwFailure();
    const writing: Promise<void> = this.queue
      .run(work)
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => this.pending.delete(writing));
    this.pending.add(writing);
    while (this.pending.size > this.behind) await Promise.race(this.pending);
    this.throwFailure();
  }

  /** Waits for every write; the first that failed is thrown. */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.race(this.pending);
    this.throwFailure();
  }

  private throwFailure(): void {
    if (this.failure !== null) throw this.failure.error;
  }
}

/**
 * Batches at Klaviyo at once unless the object says otherwise (BatchLimits.inFlight): one being
 * answered (an import job polled) while the next is submitted.
 */
const IN_FLIGHT = 2;

/**
 * Gathers payloads into batches of at most the object's rows and bytes, and sends a full batch
 * while the next one is built, with at most IN_FLIGHT batches sent and not yet settled. Settling
 * writes to the state through the sync's one write queue, so batches never write at once.
 */
class Batcher<P extends Keyed> {
  private items: Pending<P>[] = [];
  private bytes = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private failure: { error: unknown } | null = null;

  constructor(
    private readonly object: KlaviyoObject<P>,
    private readonly send: (batch: Pending<P>[]) => Promise<void>,
  ) {}

  /**
   * Gathers `item`; a promise only when a full batch had to be sent first and the caller must wait
   * for a place in flight. Most rows join a batch with no promise at all: a promise per row, and
   * the async hooks each one runs, cost more than the gathering.
   */
  add(item: Pending<P>): Promise<void> | undefined {
    const { rows, bytes: maxBytes } = this.object.limits;
    const size = this.object.bytesOf(item.payload);
    if (this.items.length >= rows || (maxBytes !== undefined && this.bytes + size > maxBytes))
      return this.dispatch().then(() => this.gather(item, size));
    this.gather(item, size);
    return undefined;
  }

  private gather(item: Pending<P>, size: number): void {
    this.items.push(item);
    this.bytes += size;
  }

  /** Waits for every batch sent; the first error among them is thrown here. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    this.throwFailure();
  }

  /** Sends what is gathered and waits for every batch. */
  async flush(): Promise<void> {
    await this.dispatch();
    await this.idle();
  }

  private throwFailure(): void {
    if (this.failure !== null) throw this.failure.error;
  }

  /** Starts sending the gathered batch once fewer than IN_FLIGHT are at Klaviyo. */
  private async dispatch(): Promise<void> {
    while (this.inFlight.size >= (this.object.limits.inFlight ?? IN_FLIGHT))
      await Promise.race(this.inFlight);
    this.throwFailure();
    const batch = this.items;
    this.items = [];
    this.bytes = 0;
    if (batch.length === 0) return;
    const sending: Promise<void> = this.send(batch)
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => this.inFlight.delete(sending));
    this.inFlight.add(sending);
  }
}

export interface PipelineInput<P extends Keyed> {
  /** The sync's changed rows, streamed once from its diff (state/diff.ts, `openDiff`). */
  changes: AsyncIterable<StreamedChange[]>;
  spec: SyncSpec;
  signal: AbortSignal | undefined;
  object: KlaviyoObject<P>;
  applier: Applier<P>;
  report: RowReport;
  /** The sync's write queue (objects/object.ts, `write`). */
  write: <T>(work: () => Promise<T>) => Promise<T>;
  /** Waits for the writes of every batch settled so far; the first that failed is thrown. */
  settled: () => Promise<void>;
  /** Identifier hashes of erased people, whose rows are held back (docs/privacy-deletions.md). */
  erased: ReadonlySet<string>;
  /**
   * Rows whose payload is what Klaviyo was already sent (objects/as-sent.ts): the snapshot takes
   * their new hash and text, with no request.
   */
  rebaseline: (rows: SentChange[]) => Promise<void>;
  /** Events reported changed after sending (state/changed-events.ts), remembered behind the batches. */
  changedEvents: (events: ReportedEvent[]) => Promise<void>;
}

export async function applyChanges<P extends Keyed>(input: PipelineInput<P>): Promise<void> {
  const {
    changes,
    spec,
    signal,
    object,
    applier,
    report,
    write,
    settled,
    erased,
    rebaseline,
    changedEvents,
  } = input;
  const batcher = new Batcher(object, (batch) => {
    signal?.throwIfAborted();
    return applier.send(batch);
  });
  /** Every batch sent so far settled, the work its send left going included. */
  const allSettled = async () => {
    await batcher.idle();
    await applier.drain?.();
  };
  try {
    for await (const chunk of changes) {
      signal?.throwIfAborted();
      const { sends, same, changed, removals } = sortChunk(chunk, spec, object, erased, report);
      for (const item of sends) {
        const waiting = batcher.add(item);
        if (waiting !== undefined) await waiting;
      }
      if (same.length > 0) {
        report.sameAsSent(same);
        await rebaseline(same.map((change) => sentChange(change)));
      }
      if (changed.length > 0) await changedEvents(changed);
      await write(() => report.flush());
      // Removals go once the batches before them are settled, as when the batches went one by one.
      if (removals.length > 0) {
        await allSettled();
        await settled();
      }
      for (let i = 0; i < removals.length; i += object.limits.removals)
        await applier.remove(removals.slice(i, i + object.limits.removals));
    }
    await batcher.flush();
    await applier.drain?.();
    await write(() => report.flush());
    await settled();
    await applier.finish?.();
  } catch (error) {
    // Stopped (a signal, an error): the batches in flight settle first, so what Klaviyo confirmed is kept.
    await allSettled().catch(() => {});
    throw error;
  }
}

interface SortedChunk<P extends Keyed> {
  sends: Pending<P>[];
  same: StreamedChange[];
  changed: ReportedEvent[];
  removals: StreamedChange[];
}

/**
 * A chunk of changes classified, what the runner refuses or holds back reported, the rest sorted
 * by what becomes of it. Synchronous and apart from the sending, so the per-row work is one plain
 * loop that V8 optimises once, rather than the body of an async loop resumed at every await.
 */
function sortChunk<P extends Keyed>(
  chunk: readonly StreamedChange[],
  spec: SyncSpec,
  object: KlaviyoObject<P>,
  erased: ReadonlySet<string>,
  report: RowReport,
): SortedChunk<P> {
  const sorted: SortedChunk<P> = { sends: [], same: [], changed: [], removals: [] };
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
        sorted.changed.push({ key: change.key, hash: change.hash! });
        break;
      case 'same_as_sent':
        sorted.same.push(change);
        break;
      case 'remove':
        sorted.removals.push(change);
        break;
      case 'invalid':
        report.reject(change.key, change.hash, row.rejection.reason, row.rejection.column, 'runner');
        break;
      case 'held_back':
        report.holdBack(change.key, row.reason);
        break;
      case 'send':
        if (row.dropped.length > 0) report.dropFields(change.key, row.dropped);
        sorted.sends.push({
          payload: object.kept?.(row.payload) ?? row.payload,
          change: sentChange(row.change),
        });
        break;
    }
  }
  return sorted;
}
