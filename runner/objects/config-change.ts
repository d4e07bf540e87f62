/**
 * The words of an exposure change (plan/config-changes.ts compares a sync's `config.meta.klaviyo`
 * with the one its snapshot was confirmed under): what changed, what the next sync does because
 * of it, and whether `sync` needs `--allow-config-change` to start over. Each object module says
 * what a change of its own settings means (`configChanges` in object.ts) in these words.
 */
import type { KlaviyoSyncConfig } from '../manifest/spec.ts';

export const ALLOW_CONFIG_CHANGE_FLAG = '--allow-config-change';

export type ConfigChangeKind = 'new_sync' | 'removed_sync' | 'columns' | 'key' | 'metric' | 'list';

export interface ConfigChange {
  kind: ConfigChangeKind;
  /** What changed, in the exposure's terms. */
  what: string;
  /** What the next sync does because of it. */
  consequence: string;
  /** `sync` refuses to run this sync without ALLOW_CONFIG_CHANGE_FLAG. */
  needsFlag: boolean;
}

/** Counts of the sync's rows, from the diff (against the recorded snapshot). */
export interface SnapshotCounts {
  /** Rows the snapshot holds for this sync (unchanged + update + remove). */
  inSnapshot: number;
  /** Rows the model has now. */
  inModel: number;
}

/** Names as Markdown code, comma-separated. */
export const code = (names: string[]): string => names.map((n) => `\`${n}\``).join(', ');

/** `n` and its noun, plural unless one. */
export const rows = (n: number, noun = 'row'): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** How every consequence of a change that needs the flag begins. */
export const STARTS_OVER = `With \`${ALLOW_CONFIG_CHANGE_FLAG}\` the sync starts over`;

/**
 * The `key` rule of an object whose snapshot, keyed by the old column, no longer describes Klaviyo
 * once the key changes: the sync needs the flag, and starting over does what `consequence` says.
 */
export function startsOverOnNewKey(
  consequence: (counts: SnapshotCounts) => string,
): (before: KlaviyoSyncConfig, after: KlaviyoSyncConfig, counts: SnapshotCounts) => ConfigChange {
  return (before, after, counts) => ({
    kind: 'key',
    what: `\`key\` changed from \`${before.key}\` to \`${after.key}\`: the snapshot of ${rows(counts.inSnapshot)} is keyed by the old column and no longer describes Klaviyo.`,
    consequence: `${STARTS_OVER}: ${consequence(counts)}`,
    needsFlag: true,
  });
}
