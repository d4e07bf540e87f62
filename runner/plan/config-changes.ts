/**
 * What an exposure change does to Klaviyo, before any count: each sync's `config.meta.klaviyo`
 * block compared with the one its snapshot was confirmed under (state/configs.ts).
 *
 * - Columns added or removed (identity, attributes, properties, event columns): the diff hashes a
 *   row over exactly the sync's columns, so every row already in Klaviyo becomes an update.
 *   A property that leaves a profile sync is cleared in Klaviyo only with
 *   `on_remove: unset_properties`; otherwise Klaviyo keeps its last value.
 * - `key`, `metric` or `list` changed: the snapshot no longer describes Klaviyo. The sync refuses
 *   to run until `--allow-config-change` says to start the sync over (every row sent again under
 *   the new configuration); the plan shows the counts of that new start.
 * - A new sync, and a sync that left the project (nothing is deleted in Klaviyo).
 */
import { syncColumns, type KlaviyoSyncConfig } from '../manifest/spec.ts';

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

const code = (names: string[]) => names.map((n) => `\`${n}\``).join(', ');
const rows = (n: number, noun = 'row') => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** Where an event sync's metric names come from: its one metric, or a column of the model. */
function metricSource(config: KlaviyoSyncConfig): string {
  return config.metric_column !== undefined
    ? `the metric names in column \`${config.metric_column}\``
    : `\`${config.metric}\``;
}

function listName(list: KlaviyoSyncConfig['list']): string {
  if (list?.id !== undefined) return `list id \`${list.id}\``;
  return `list \`${list?.name ?? '?'}\``;
}

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
  if (after.object === 'profile' && removedProperties.length > 0) {
    consequence +=
      after.on_remove === 'unset_properties'
        ? ` ${code(removedProperties)} ${removedProperties.length === 1 ? 'is' : 'are'} cleared from every profile that has a value (\`on_remove: unset_properties\`).`
        : ` Klaviyo keeps the last value of ${code(removedProperties)} on each profile (\`on_remove: ${after.on_remove ?? 'ignore'}\`; \`unset_properties\` would clear ${removedProperties.length === 1 ? 'it' : 'them'}).`;
  }
  return [{ kind: 'columns', what: `Columns ${parts.join('; ')}.`, consequence, needsFlag: false }];
}

function keyChange(
  before: KlaviyoSyncConfig,
  after: KlaviyoSyncConfig,
  counts: SnapshotCounts,
): ConfigChange {
  const what = `\`key\` changed from \`${before.key}\` to \`${after.key}\`: the snapshot of ${rows(counts.inSnapshot)} is keyed by the old column and no longer describes Klaviyo.`;
  if (after.object === 'deletion')
    return {
      kind: 'key',
      what: `\`key\` changed from \`${before.key}\` to \`${after.key}\`.`,
      consequence:
        'Every row is read as new, but an identifier whose deletion was requested before is never asked for again (docs/privacy-deletions.md): only people not erased yet cost a request.',
      needsFlag: false,
    };
  const start = `With \`${ALLOW_CONFIG_CHANGE_FLAG}\` the sync starts over:`;
  const consequence =
    after.object === 'event'
      ? `${start} all ${rows(counts.inModel, 'event')} are sent again with \`unique_id\`s derived from the new key, so Klaviyo would hold every event already sent twice.`
      : after.object === 'list_membership'
        ? `${start} all ${rows(counts.inModel, 'member')} are added to the list again (adding a member twice is harmless); nobody is removed for the old keys.`
        : `${start} all ${rows(counts.inModel, 'profile')} are imported again (Klaviyo matches them to existing profiles by email, phone or external id); nothing is cleared for the old keys.`;
  return { kind: 'key', what, consequence, needsFlag: true };
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
  const out: ConfigChange[] = [];
  if (before.key !== after.key) out.push(keyChange(before, after, counts));
  if (
    after.object === 'event' &&
    (before.metric !== after.metric || before.metric_column !== after.metric_column)
  )
    out.push({
      kind: 'metric',
      what: `\`metric\` changed from ${metricSource(before)} to ${metricSource(after)}: the ${rows(counts.inSnapshot, 'event')} already sent stay under ${metricSource(before)} (Klaviyo events are immutable).`,
      consequence: `With \`${ALLOW_CONFIG_CHANGE_FLAG}\` the sync starts over and sends all ${rows(counts.inModel, 'event')} again under ${metricSource(after)} (as a backfill when \`backfill: first_load\`).`,
      needsFlag: true,
    });
  if (after.object === 'list_membership' && JSON.stringify(before.list) !== JSON.stringify(after.list))
    out.push({
      kind: 'list',
      what: `\`list\` changed from ${listName(before.list)} to ${listName(after.list)}: the snapshot's ${rows(counts.inSnapshot, 'member')} are on the old list.`,
      consequence: `With \`${ALLOW_CONFIG_CHANGE_FLAG}\` the sync starts over and adds all ${rows(counts.inModel, 'member')} to the new list; nobody is removed from the old one.`,
      needsFlag: true,
    });
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
