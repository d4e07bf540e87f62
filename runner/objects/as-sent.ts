/**
 * Whether a changed row would send Klaviyo what it was already sent. The diff compares the
 * warehouse's JSON text of each row, whose spelling follows the columns' types: a DECIMAL(18,2)
 * that becomes DECIMAL(18,4) turns `12.50` into `12.5000`, an INTEGER that becomes a DOUBLE turns
 * `3` into `3.0`, a text time that becomes a TIMESTAMP is written another way, and every row's
 * hash changes with the same values. Such a row is compared as sent: the payload of the model row
 * against the payload of the snapshot's row (what the runner sent), each built by the object's
 * own builder, and the object says which parts Klaviyo receives (`KlaviyoObject.sameAsSent`).
 * Only rows the warehouse already flags as changed come here, and only when the snapshot kept
 * the row's text.
 */
import type { SyncSpec } from '../manifest/spec.ts';
import type { RowChange } from '../state/changes.ts';
import type { KlaviyoObject, Keyed } from './object.ts';

/**
 * Whether two values are the same JSON document: the same members whatever their order (a member
 * whose value is undefined is no member, as JSON.stringify leaves it out), the same items in the
 * same order, the same numbers and texts.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => sameJson(item, b[i]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const members = (o: Record<string, unknown>) => Object.keys(o).filter((k) => o[k] !== undefined);
  const names = members(left);
  if (names.length !== members(right).length) return false;
  return names.every((name) => Object.hasOwn(right, name) && sameJson(left[name], right[name]));
}

/**
 * Whether `payload`, built from the change's model row, is what the snapshot's row was sent as:
 * the snapshot's row is built by the same builder, with itself as the previous row (it clears
 * nothing), and the object compares the two. False when the object does not say, when the
 * snapshot kept no row text, or when the snapshot's row no longer builds.
 */
export function sentAsBefore<P extends Keyed>(
  spec: SyncSpec,
  object: KlaviyoObject<P>,
  change: RowChange,
  payload: P,
): boolean {
  if (object.sameAsSent === undefined || change.previous === null) return false;
  const before = object.build(spec, { ...change, row: change.previous, rowText: undefined });
  return before.ok && object.sameAsSent(before.payload, payload);
}
