/** Confirming streamed rows in a test as a sync does once Klaviyo accepted them. */
import type { SyncSpec } from '../../runner/manifest/spec.ts';
import type { StreamedChange } from '../../runner/state/diff.ts';
import type { State } from '../../runner/state/schema.ts';
import { confirmRows } from '../../runner/state/snapshot.ts';

/**
 * Writes `changes` into the sync's snapshot as confirmed: each row's key, hash and the
 * warehouse's text of it, with the profile id `profileId` gives its key (none by default).
 */
export function confirmChanges(
  state: State,
  spec: SyncSpec,
  changes: StreamedChange[],
  profileId: (key: string) => string | null = () => null,
): Promise<void> {
  return confirmRows(
    state,
    spec,
    'run-1',
    changes.map((c) => ({
      key: c.key,
      hash: c.hash!,
      row: c.row,
      rowText: c.rowText,
      profileId: profileId(c.key),
    })),
  );
}
