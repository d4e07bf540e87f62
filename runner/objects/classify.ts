/**
 * The pass `plan` and `sync` both make over the diff's changed rows. First what the diff itself
 * refuses, before a payload is built: a key that appears more than once in the model, or a row
 * whose key is NULL. `plan` and `sync` read rows through this one function so they say the same
 * thing about the same row.
 */
import type { SyncSpec } from '../manifest/spec.ts';
import type { StreamedChange } from '../state/diff.ts';
import type { Rejection } from '../state/changes.ts';
import type { DroppedField } from '../transform/payload.ts';
import { withTrustedProfileId } from '../transform/identity-change.ts';
import { sentAsBefore } from './as-sent.ts';
import { erasedReason } from './erased.ts';
import type { KlaviyoObject, Keyed } from './object.ts';

/** The row's identifiers, to name a row that has no key. */
function identityOf(spec: SyncSpec, change: StreamedChange): string {
  const row = change.row ?? {};
  const parts = Object.values(spec.config.identity)
    .filter((column) => row[column] !== null && row[column] !== undefined)
    .map((column) => `${column} ${JSON.stringify(row[column])}`);
  return parts.length > 0 ? parts.join(', ') : 'no identifier either';
}

export function diffRejection(spec: SyncSpec, change: StreamedChange): Rejection | null {
  if (change.diffKind !== 'duplicate' && change.diffKind !== 'null_key') return null;
  const where = { sync: spec.name, model: spec.model.name, column: spec.config.key };
  if (change.diffKind === 'duplicate')
    return {
      ...where,
      key: change.key,
      reason: 'key appears more than once in the model; fix the model so each key is one row',
    };
  if (change.diffKind === 'null_key')
    return {
      ...where,
      key: '',
      reason: `the key column is NULL or blank (row with ${identityOf(spec, change)}); a row needs a key to be tracked, so it is not sent and never counted as a removal`,
    };
  return null;
}

/** What the pass makes of one changed row. */
export type Classified<P> =
  /** Refused by the diff itself; `remember` is false for a row without a key, which cannot be held back. */
  | { type: 'refused'; change: StreamedChange; rejection: Rejection; remember: boolean }
  /** An event changed after Klaviyo stored it: reported, never resent. */
  | { type: 'changed_event'; change: StreamedChange }
  /**
   * A row the warehouse sees changed (an update, an event changed after sending) whose payload is
   * what Klaviyo was already sent: its columns changed type, not value (as-sent.ts). Nothing is
   * sent or reported; `sync` gives the snapshot the row's new hash and text, so the next run finds
   * it unchanged, and `plan` counts it unchanged.
   */
  | { type: 'same_as_sent'; change: StreamedChange }
  | { type: 'remove'; change: StreamedChange }
  /** No payload can be built from the row. */
  | { type: 'invalid'; change: StreamedChange; rejection: Rejection }
  /** A row of a person a privacy deletion erased: never sent, so nothing re-creates the profile. */
  | { type: 'held_back'; change: StreamedChange; reason: string }
  | { type: 'send'; change: StreamedChange; payload: P; dropped: DroppedField[] };

/**
 * The one classify-and-build step of `plan` and `sync`: the diff's refusals first, then events
 * changed after the fact and removals, then the object's payload, held back when it names a
 * person in `erased` (identifier hashes, docs/privacy-deletions.md), and not sent when it is what
 * Klaviyo was already sent (as-sent.ts). `plan` counts what this says, `sync` applies it, so both
 * say the same thing about the same row.
 */
export function classify<P extends Keyed>(
  spec: SyncSpec,
  object: KlaviyoObject<P>,
  change: StreamedChange,
  erased: ReadonlySet<string> = new Set(),
): Classified<P> {
  const refused = diffRejection(spec, change);
  if (refused !== null)
    return { type: 'refused', change, rejection: refused, remember: change.diffKind !== 'null_key' };
  if (change.diffKind === 'changed_event')
    return sameEvent(spec, object, change, erased)
      ? { type: 'same_as_sent', change }
      : { type: 'changed_event', change };
  if (change.kind === 'remove') return { type: 'remove', change };
  // An id kept for identifiers the row no longer has is not used as the row's profile id.
  const trusted = withTrustedProfileId(spec, change);
  const built = object.build(spec, trusted);
  if (!built.ok) return { type: 'invalid', change, rejection: built.rejection };
  // A payload that erases a person is never held back for that person.
  const held = object.erases === undefined ? erasedReason(built.payload, erased) : null;
  if (held !== null) return { type: 'held_back', change, reason: held };
  // Only an update: a retried or resent row goes because the run asked for it.
  if (change.diffKind === 'update' && sentAsBefore(spec, object, trusted, built.payload))
    return { type: 'same_as_sent', change };
  return { type: 'send', change: trusted, payload: built.payload, dropped: built.dropped ?? [] };
}

/**
 * Whether an event the warehouse sees changed after sending is the event Klaviyo stored. Its
 * payload is built only for that question: an event that no longer builds, or of a person erased,
 * is reported changed as before.
 */
function sameEvent<P extends Keyed>(
  spec: SyncSpec,
  object: KlaviyoObject<P>,
  change: StreamedChange,
  erased: ReadonlySet<string>,
): boolean {
  if (object.sameAsSent === undefined || change.previous === null) return false;
  const built = object.build(spec, change);
  if (!built.ok || erasedReason(built.payload, erased) !== null) return false;
  return sentAsBefore(spec, object, change, built.payload);
}
