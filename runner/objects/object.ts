/**
 * What the runner knows about one kind of Klaviyo object (a profile, an event, a list membership):
 * one module per object implements this interface and is listed once in `index.ts`. Everything
 * object-specific goes through it: how a changed row becomes a payload, how many payloads go in a
 * batch, how a batch is sent and a removal handled, how many requests a plan needs, when its syncs
 * run, what a change of its exposure means, and what an export takes of it. `plan` and `sync`
 * run the same pass over the diff (classify.ts); `plan` counts what it finds with the estimator,
 * `sync` applies it with the applier.
 */
import type { KlaviyoSyncConfig, SyncObject, SyncSpec } from '../manifest/spec.ts';
import type { KlaviyoClient } from '../klaviyo/client.ts';
import type { PollOptions } from '../apply/profiles.ts';
import type { RowChange, RowOutcome } from '../state/changes.ts';
import type { PlanCounts, StreamedChange } from '../state/diff.ts';
import { rowJson } from '../state/row-json.ts';
import type { State } from '../state/schema.ts';
import type { BuildResult } from '../transform/payload.ts';
import type { ConfigChange, SnapshotCounts } from './config-change.ts';

/** Every payload names the row it was built from. */
export interface Keyed {
  key: string;
}

/**
 * What settling reads of a changed row once its payload is built: its kind, key, hash and profile
 * id, and the JSON text the state stores. The row parsed from that text and the snapshot's row are
 * let go: up to three batches of 10,000 profiles are alive at once (one gathered, two at Klaviyo),
 * and a parsed row weighs several times its text.
 */
export interface SentChange {
  kind: RowChange['kind'];
  key: string;
  hash: string | null;
  profileId: string | null;
  /** RowChange.formerProfileId: an id kept for identifiers the row no longer has. */
  formerProfileId?: string;
  /** The row's JSON text as the warehouse wrote it (state/row-json.ts), null for none. */
  json: string | null;
}

/**
 * What settling needs of a change. `withText` false: the row's text is not carried (a resumed
 * job's rows, whose texts the snapshot takes from the job's own records), so none is made.
 */
export function sentChange(change: RowChange, withText = true): SentChange {
  const sent: SentChange = {
    kind: change.kind,
    key: change.key,
    hash: change.hash,
    profileId: change.profileId,
    json: withText ? rowJson(change.row, change.rowText) : null,
  };
  // Assigned, not spread from a conditional object: this runs for every row sent.
  if (change.formerProfileId !== undefined) sent.formerProfileId = change.formerProfileId;
  return sent;
}

/** A payload waiting in a batch, with what settling needs of the change it came from. */
export interface Pending<P> {
  payload: P;
  change: SentChange;
}

/** How many payloads one request (or job) takes: by count, and by size when `bytes` is set. */
export interface BatchLimits {
  rows: number;
  /** The most bytes of payloads in one batch, measured by `bytesOf`. */
  bytes?: number;
  /** Rows that left the model handled together. */
  removals: number;
  /** Batches sent and not yet settled at once (default 2: one answered while the next is submitted). */
  inFlight?: number;
}

/** The counts of a sync's result an object adds to as Klaviyo confirms its rows. */
export type AppliedCount =
  | 'created'
  | 'updated'
  | 'events_sent'
  | 'list_added'
  | 'list_removed'
  | 'removed'
  | 'subscribed'
  | 'unsubscribed'
  | 'erased'
  | 'deletion_requests'
  | 'forgotten';

/** What `sync` gives an object to apply one sync's changes with. */
export interface ApplyContext {
  readonly client: KlaviyoClient;
  readonly state: State;
  readonly spec: SyncSpec;
  /** Every sync of the run: a deletion reads the others' snapshot rows under their configuration. */
  readonly specs: SyncSpec[];
  readonly runId: string;
  readonly poll: PollOptions | undefined;
  /** Whether events of this run go as historical backfill (no flow fires for them). */
  backfill(): boolean;
  /** Stops the run at the next batch once aborted. */
  readonly signal: AbortSignal | undefined;
  /**
   * Applies Klaviyo's outcomes to the batch: confirmed rows into the snapshot (and counted with
   * `confirmedAs`), rejected ones recorded, failed ones left to the next run. `jobs`: the import
   * jobs the batch went in, whose recorded rows the snapshot takes the rows' JSON from.
   */
  settle(items: Pending<unknown>[], outcomes: RowOutcome[], jobs?: string[]): Promise<void>;
  /** Removed rows that are done: they leave the snapshot. */
  forget(keys: string[]): Promise<void>;
  /**
   * Runs a write to the state. Two batches can be at Klaviyo at once, so every write of a sync
   * (settle and forget included) goes through this one queue, never two at a time.
   */
  write<T>(work: () => Promise<T>): Promise<T>;
  count(name: AppliedCount, n: number): void;
  fail(key: string, reason: string): void;
  /** Import jobs this sync submitted or resumed. */
  jobs(ids: string[]): void;
  /** This sync cannot go on until a later run (a job still running at Klaviyo): it ends partial. */
  waitForNextRun(message: string): void;
  log(level: 'info' | 'warn', event: string, message: string, data: Record<string, unknown>): void;
}

/**
 * One sync's sending side of an object, made per run so it can hold what it learns (a list id).
 * `send` may be called again before an earlier call finished: the next batch goes to Klaviyo while
 * the one before it is answered.
 */
export interface Applier<P> {
  /** Work an earlier, killed run left at Klaviyo (import jobs), taken up before the diff. */
  resume?(): Promise<void>;
  /** Sends one batch (within `limits`) and settles it. */
  send(batch: Pending<P>[]): Promise<void>;
  /** Rows that left the model, at most `limits.removals` at a time. */
  remove(changes: StreamedChange[]): Promise<void>;
  /**
   * Waits for the work `send` left going once its batch was accepted (import jobs polled and
   * settled); the first error of that work is thrown here. Absent when `send` returns settled.
   */
  drain?(): Promise<void>;
  /** Work after every batch and removal is settled (a deletion clears the erased people's state). */
  finish?(): Promise<void>;
}

/** What `plan` counts of a sync's changes to estimate its requests. */
export interface Tally {
  /** Rows with a payload to send. */
  send: number;
  /** Their measured size. */
  bytes: number;
  /** Profiles Klaviyo may create: rows never confirmed before. */
  newProfiles: number;
  /** Rows whose Klaviyo profile id must be looked up by identifier. */
  lookups: number;
  /** Profiles whose properties are cleared, one request each. */
  clears: number;
  /** Removals Klaviyo is asked to make (a member off a list): sent, and watched by the mass-removal guard. */
  removes: number;
  /**
   * Former profiles a list takes off because the member's identifiers changed: requests made
   * beside the adds, not removals of rows (the guard does not count them).
   */
  replaced: number;
  subscribes: number;
  unsubscribes: number;
  /** Profile deletions to request (docs/privacy-deletions.md). */
  deletions: number;
  /** People whose erasure would be requested: a deletion sync's rows to send. */
  erasures: number;
}

export const emptyTally = (): Tally => ({
  send: 0,
  bytes: 0,
  newProfiles: 0,
  lookups: 0,
  clears: 0,
  removes: 0,
  replaced: 0,
  subscribes: 0,
  unsubscribes: 0,
  deletions: 0,
  erasures: 0,
});

/** What the plan knows besides its own tally when it asks an object for its requests. */
export interface EstimateInput {
  counts: PlanCounts;
  /** Rows waiting for the `after` sync that it confirms in this run, sent right after it. */
  afterSend: number;
}

/**
 * When a sync of this object may run beside the run's other syncs (sync/schedule.ts): before every
 * other sync (`first`); beside any, as one of the run's profile syncs (`profiles`); or once the
 * run's profile syncs finished (always, or only when its events do not go as backfill).
 */
export type RunOrder = 'first' | 'profiles' | 'after_profiles' | 'after_profiles_unless_backfill';

/**
 * What a change of the exposure means for a sync of this object (plan/config-changes.ts, which
 * compares the columns itself); `before` is the block its snapshot was confirmed under.
 */
export interface ConfigChangeRules {
  /** `key` changed: what the next sync does, and whether it must start over to do it. */
  key(before: KlaviyoSyncConfig, after: KlaviyoSyncConfig, counts: SnapshotCounts): ConfigChange;
  /** What the sync writes to changed (an event's metric, a member's list): each needs the flag. */
  target(before: KlaviyoSyncConfig, after: KlaviyoSyncConfig, counts: SnapshotCounts): ConfigChange[];
  /** Said after the consequence of a column change when custom properties left the sync. */
  removedProperties?(after: KlaviyoSyncConfig, names: string[]): string;
}

/** What a file for Klaviyo's CSV import holds of an object's rows (`export`, docs/csv-export.md). */
export interface CsvImport {
  /** The profile attributes and custom properties the sync maps, as columns, beside the identifiers. */
  profileColumns: boolean;
}

export interface KlaviyoObject<P extends Keyed> {
  readonly name: SyncObject;
  readonly limits: BatchLimits;
  readonly runs: RunOrder;
  /** A changed row → its payload, or the rejection that names the column and why. */
  build(spec: SyncSpec, change: RowChange): BuildResult<P>;
  /** A payload's size, counted against `limits.bytes`. */
  bytesOf(payload: P): number;
  /**
   * Plan and sync: whether sending `after` would leave Klaviyo holding what sending `before` did,
   * so a row whose columns changed type alone is not sent again (as-sent.ts). Absent: every
   * changed row is sent.
   */
  sameAsSent?(before: P, after: P): boolean;
  /**
   * Sync: what a batch keeps of a payload until it is settled, when sending and settling read less
   * than a plan shows (default: all of it).
   */
  kept?(payload: P): P;
  /** The count a confirmed row adds to. */
  confirmedAs(change: SentChange): AppliedCount;
  /** At most how many rows the diff's counts can remove or clear (the mass-removal guard's bound). */
  removalBound(spec: SyncSpec, counts: PlanCounts): number;
  /**
   * Plan: whether its examples show the row's values; a deletion's identifiers are not shown, as
   * a plan lands in pull requests and CI logs.
   */
  readonly examplesShowValues: boolean;
  /**
   * An object that erases people (docs/privacy-deletions.md): the identifier hashes of the person
   * a payload erases. The syncs planned after it hold that person's rows back, and its own
   * payloads are never held back. Absent for every other object.
   */
  erases?(payload: P): string[];
  /** Plan: counts a row to send. */
  countSend(spec: SyncSpec, change: StreamedChange, payload: P, tally: Tally): void;
  /** Plan: counts a row that left the model. */
  countRemoval(spec: SyncSpec, change: StreamedChange, tally: Tally): void;
  /** Plan: the requests the tallied rows need, by operation id. */
  requests(spec: SyncSpec, tally: Tally, input: EstimateInput): Record<string, number>;
  /** Sync: the sending side for one sync of one run. */
  applier(context: ApplyContext): Applier<P>;
  /** Plan and sync: what a change of the exposure means for this object. */
  readonly configChanges: ConfigChangeRules;
  /** Export: what Klaviyo's CSV import takes of this object's rows; absent when it takes none. */
  readonly csvImport?: CsvImport;
}

/** Adds `n` requests of an operation, leaving out operations with none. */
export function addRequests(requests: Record<string, number>, op: string, n: number): void {
  if (n > 0) requests[op] = (requests[op] ?? 0) + n;
}

/** Rows to send and their bytes, counting those the `after` sync confirms in this run at the average size. */
export function toSend(tally: Tally, input: EstimateInput): { rows: number; bytes: number } {
  const rows = tally.send + input.afterSend;
  return { rows, bytes: tally.send === 0 ? 0 : tally.bytes + (tally.bytes / tally.send) * input.afterSend };
}

/**
 * A removal Klaviyo is not asked to act on (the profile stays, an event cannot be deleted through
 * the API, a member stays with on_remove: ignore): the row leaves the snapshot, so it is reported
 * once, not again on every later run. Should it come back, it is sent as new.
 */
export async function forgetRemoved(context: ApplyContext, changes: StreamedChange[]): Promise<void> {
  await context.forget(changes.map((c) => c.key));
  context.count('removed', changes.length);
}
