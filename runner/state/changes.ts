/**
 * The per-row vocabulary the later stages share: a changed row as the in-warehouse diff streams it
 * back (`RowChange`; unchanged rows never leave the warehouse, they are only counted), a row that
 * cannot be shipped (`Rejection`) and what Klaviyo made of a row that was sent (`RowOutcome`). It
 * lives at the diff that produces the rows, so `transform/`, `apply/` and the snapshot writer
 * import it from an earlier stage and never from each other (docs/architecture.md).
 */
import type { Row } from '../source/warehouse.ts';
import type { RowText } from './row-json.ts';

/**
 * Where the diff puts a row's email consent from the suppressions model (SUBSCRIBED, UNSUBSCRIBED,
 * NEVER_SUBSCRIBED); a column name cannot begin with `$`, so it never meets a model column.
 */
export const EMAIL_CONSENT_FIELD = '$email_consent';

export type ChangeKind = 'create' | 'update' | 'remove';

export interface RowChange {
  kind: ChangeKind;
  /** The model key, as text. */
  key: string;
  /** Hash of the row's synced columns, computed by the warehouse (null for `remove`). */
  hash: string | null;
  /** Current model values of the synced columns (null for `remove`). */
  row: Row | null;
  /** `row`'s JSON as the warehouse wrote it, for the state to store as is (row-json.ts). */
  rowText?: RowText;
  /** The values Klaviyo last confirmed, from the snapshot (null for `create`). */
  previous: Row | null;
  /** Klaviyo profile id when known: from this sync's snapshot, or for an `after` sync from the first sync's. */
  profileId: string | null;
  /**
   * The id the snapshot kept when the row's identifiers changed since (transform/identity-change.ts):
   * it names the former profile, so `profileId` is null and the row is looked up again.
   */
  formerProfileId?: string;
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

/** A row that cannot be shipped, with where and why. */
export interface Rejection {
  sync: string;
  model: string;
  key: string;
  column?: string;
  reason: string;
}

/** What happened to each row sent to Klaviyo: the unit the snapshot and the run report are built from. */
export type RowStatus = 'confirmed' | 'rejected' | 'failed';

export interface RowOutcome {
  key: string;
  status: RowStatus;
  /** Klaviyo's reason for a rejection, or the error for a failure. */
  reason?: string;
  profileId?: string | null;
}
