/**
 * Model row → a person to erase (docs/privacy-deletions.md): the row's identifiers, normalised by
 * the same rules as every other sync's, so an erased person is recognised in the other syncs'
 * rows. A row whose identifiers cannot be read is rejected, naming the column: a deletion is never
 * guessed. Its reasons never quote the person's values (identifiers, country): a deletion's
 * rejections and dropped fields reach plans, pull-request comments and results files, where a
 * row is named by its key alone (docs/privacy-deletions.md).
 */
import type { SyncSpec } from '../manifest/spec.ts';
import type { RowChange } from '../state/changes.ts';
import type { BuildResult, DeletionPayload } from './payload.ts';
import { buildIdentity } from './identity.ts';
import { reject } from './rejection.ts';

/** Every value a reason quotes: the identity rules quote what they read as a JSON string. */
const QUOTED = /"(?:[^"\\]|\\.)*"/g;

/** A reason with each quoted value withheld, the rule it broke kept. */
export function withheldValues(reason: string): string {
  return reason.replace(QUOTED, '(withheld)');
}

export function buildDeletion(spec: SyncSpec, change: RowChange): BuildResult<DeletionPayload> {
  if (change.row === null) return reject(spec, change.key, undefined, 'a deletion needs the row it names');
  const identity = buildIdentity(spec, change.key, change.row);
  if (!identity.ok) {
    const { rejection } = identity;
    return { ok: false, rejection: { ...rejection, reason: withheldValues(rejection.reason) } };
  }
  return {
    ok: true,
    payload: { key: change.key, profile: identity.payload },
    ...(identity.dropped !== undefined
      ? { dropped: identity.dropped.map((d) => ({ ...d, reason: withheldValues(d.reason) })) }
      : {}),
  };
}
