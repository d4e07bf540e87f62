/**
 * What the in-warehouse diff streams back: one changed row of one sync. Unchanged rows never leave
 * the warehouse; they are only counted.
 */
import type { Row } from '../source/warehouse.ts';

export type ChangeKind = 'create' | 'update' | 'remove';

export interface RowChange {
  kind: ChangeKind;
  /** The model key, as text. */
  key: string;
  /** Hash of the row's synced columns, computed by the warehouse (null for `remove`). */
  hash: string | null;
  /** Current model values of the synced columns (null for `remove`). */
  row: Row | null;
  /** The values Klaviyo last confirmed, from the snapshot (null for `create`). */
  previous: Row | null;
  /** Klaviyo profile id when known: from this sync's snapshot, or for an `after` sync from the first sync's. */
  profileId: string | null;
  /** Subscribing syncs: when this sync last withdrew the person's marketing consent, per channel (UTC). */
  withdrawnAt?: Partial<Record<'email' | 'sms', string>>;
  /** A removed row that left because the suppressions model says the email is UNSUBSCRIBED. */
  leftUnsubscribed?: boolean;
}

/** Counts the diff SQL computes in the warehouse, before any row is streamed. */
export interface DiffCounts {
  create: number;
  update: number;
  unchanged: number;
  remove: number;
  /** Rows left out by `scope` (suppressed, unsubscribed, never consented). */
  skippedByScope: number;
  /** Rows of an `after` sync waiting for the first sync to confirm their key. */
  waitingOnAfter: number;
  /** Keys that appear more than once in the model: an error for those keys, never a random pick. */
  duplicateKeys: number;
}
