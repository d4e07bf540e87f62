/**
 * What an exposure change does to Klaviyo, before any count: each sync's `config.meta.klaviyo`
 * block compared with the one its snapshot was confirmed under (state/configs.ts).
 *
 * - Columns added or removed (identity, attributes, properties, event columns): the diff hashes a
 *   row over exactly the sync's columns, so every row already in Klaviyo becomes an update.
 *   What becomes of a property that leaves the sync is the object's to say (a profile's is
 *   cleared in Klaviyo only with `on_remove: unset_properties`).
 * - `key`, `metric` or `list` changed: the snapshot no longer describes Klaviyo. The sync refuses
 *   to run until `--allow-config-change` says to start the sync over (every row sent again under
 *   the new configuration); the plan shows the counts of that new start. Which of these an object
 *   has, and what starting over does to it, is in its module under objects/ (`configChanges`).
 * - A new sync, and a sync that left the project (nothing is deleted in Klaviyo).
 */
import { syncColumns, type KlaviyoSyncConfig } from '../manifest/spec.ts';
import { code, rows, type ConfigChange, type SnapshotCounts } from '../objects/config-change.ts';
import { objectFor } from '../objects/index.ts';

export {
  ALLOW_CONFIG_CHANGE_FLAG,
  type ConfigChange,
  type ConfigChangeKind,
  type SnapshotCounts,
} from '../objects/config-change.ts';

/** Mapped columns by role, e.g. `identity.email` → `email`, `properties` → `rfm_segment`. */
function roles(config: KlaviyoSyncConfig): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(config.identity)) if (v !== undefined) out.set(`identity.${k}`, v);
  for (const [k, v] of Object.entries(config.attributes ?? {}))
    if (v !== undefined) out.set(`attributes.${k}`, v);
  for (const p of config.properties ?? []) out.set(`properties.${p}`, p);
  for (const [k, v] of Object.entries(config.profile?.attributes ?? {}))
    if (v !== undefined) out.set(`profile.attributes.${k}`, v);
  for (const p of config.profile?.properties ?? []) out.set(`profile.properties.${p}`, p);
  const single = {
    properties_json: config.properties_json,
    metric_column: config.metric_column,
    time: config.time,
    value: config.value,
    value_currency: config.value_currency,
    'subscribe.consent': config.subscribe?.consent,
    'subscribe.consented_at': config.subscribe?.consented_at,
  };
  for (const [k, v] of Object.entries(single)) if (v !== undefined) out.set(k, v);
  return out;
}

function columnChanges(
  before: KlaviyoSyncConfig,
  after: KlaviyoSyncConfig,
  counts: SnapshotCounts,
): ConfigChange[] {
  const was = roles(before);
  const now = roles(after);
  const added = [...now.keys()].filter((r) => !was.has(r));
  const removed = [...was.keys()].filter((r) => !now.has(r));
  const changed = [...now.keys()].filter((r) => was.has(r) && was.get(r) !== now.get(r));
  if (added.length + removed.length + changed.length === 0) return [];
  const parts = [
    added.length > 0 ? `added ${code(added)}` : null,
    removed.length > 0 ? `removed ${code(removed)}` : null,
    changed.length > 0
      ? `changed ${changed.map((r) => `\`${r}\` (${was.get(r)} → ${now.get(r)})`).join(', ')}`
      : null,
  ].filter((p): p is string => p !== null);
  const sameColumns =
    JSON.stringify(syncColumns(before).sort()) === JSON.stringify(syncColumns(after).sort());
  let consequence = sameColumns
    ? 'The sync reads the same columns as before, so no row looks changed: Klaviyo keeps what it has until a row changes.'
    : `Every row is hashed over the sync's columns, so the ${rows(counts.inSnapshot)} already in Klaviyo become updates and are sent again.`;
  const removedProperties = removed.filter((r) => r.startsWith('properties.')).map((r) => r.slice(11));
  const said =
    removedProperties.length > 0
      ? objectFor(after).configChanges.removedProperties?.(after, removedProperties)
      : undefined;
  if (said !== undefined) consequence += ` ${said}`;
  return [{ kind: 'columns', what: `Columns ${parts.join('; ')}.`, consequence, needsFlag: false }];
}

/** The explanations for one sync, in the order a reviewer reads them (empty: nothing changed). */
export function configChanges(
  before: KlaviyoSyncConfig | undefined,
  after: KlaviyoSyncConfig,
  counts: SnapshotCounts,
): ConfigChange[] {
  if (before === undefined) {
    if (counts.inSnapshot > 0) return [];
    return [
      {
        kind: 'new_sync',
        what: 'A new sync: nothing was sent for it before.',
        consequence: `All ${rows(counts.inModel)} are new to it (Klaviyo may already know some of the people by email).`,
        needsFlag: false,
      },
    ];
  }
  // Each object says what a new key, and a new metric or list, means for its syncs.
  const rules = objectFor(after).configChanges;
  const out: ConfigChange[] = [
    ...(before.key !== after.key ? [rules.key(before, after, counts)] : []),
    ...rules.target(before, after, counts),
  ];
  const columns = columnChanges(before, after, counts);
  if (out.length === 0) return columns;
  // Starting over sends every row anyway; the new columns go with it.
  return [
    ...out,
    ...columns.map((c) => ({ ...c, consequence: 'Sent with the new columns when the sync starts over.' })),
  ];
}

/** A sync whose configuration is recorded but which is no longer in the project. */
export function removedSync(sync: string, before: KlaviyoSyncConfig): ConfigChange {
  return {
    kind: 'removed_sync',
    what: `\`${sync}\` (${before.object}) was synced before and is no longer in the project.`,
    consequence:
      'Nothing is deleted in Klaviyo: its profiles, events and list members stay. Its snapshot stays in the state schema, so bringing the exposure back resumes where it stopped.',
    needsFlag: false,
  };
}

/** Whether the sync must start over (and so needs the flag). */
export const startsOver = (changes: ConfigChange[]): boolean => changes.some((c) => c.needsFlag);
