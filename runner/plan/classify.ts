/**
 * What the diff itself refuses, before a payload is built: a key that appears more than once in
 * the model, or a row whose key is NULL. `plan` and `sync` read rows through this one function so
 * they say the same thing about the same row.
 */
import type { SyncSpec } from '../manifest/spec.ts';
import type { StreamedChange } from '../state/diff.ts';
import type { Rejection } from '../state/changes.ts';

/** The row's identifiers, to name a row that has no key. */
function identityOf(spec: SyncSpec, change: StreamedChange): string {
  const row = change.row ?? {};
  const parts = Object.values(spec.config.identity)
    .filter((column) => row[column] !== null && row[column] !== undefined)
    .map((column) => `${column} ${JSON.stringify(row[column])}`);
  return parts.length > 0 ? parts.join(', ') : 'no identifier either';
}

export function diffRejection(spec: SyncSpec, change: StreamedChange): Rejection | null {
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
      reason: `the key column is NULL (row with ${identityOf(spec, change)}); a row needs a key to be tracked, so it is not sent and never counted as a removal`,
    };
  return null;
}
