/**
 * Model row → a person to erase (docs/privacy-deletions.md): the row's identifiers, normalised by
 * the same rules as every other sync's, so an erased person is recognised in the other syncs'
 * rows. A row whose identifiers cannot be read is rejected, naming the column: a deletion is never
 * guessed.
 */
import type { SyncSpec } from '../manifest/spec.ts';
import type { RowChange } from '../state/changes.ts';
import type { BuildResult, DeletionPayload } from './payload.ts';
import { buildIdentity } from './identity.ts';
import { reject } from './rejection.ts';

export function buildDeletion(spec: SyncSpec, change: RowChange): BuildResult<DeletionPayload> {
  if (change.row === null) return reject(spec, change.key, undefined, 'a deletion needs the row it names');
  const identity = buildIdentity(spec, change.key, change.row);
  if (!identity.ok) return identity;
  return {
    ok: true,
    payload: { key: change.key, profile: identity.payload },
    ...(identity.dropped !== undefined ? { dropped: identity.dropped } : {}),
  };
}
