/**
 * Before a sync sends anything: a sync whose `key`, `metric` or `list` changed since its snapshot
 * was confirmed would act on a snapshot that no longer describes Klaviyo (plan/config-changes.ts).
 * Without `--allow-config-change` the run stops before sending, naming each such sync; with it,
 * those syncs start over (state/configs.ts `startOver`).
 */
import { ConfigError } from '../errors.ts';
import type { SyncSpec } from '../manifest/spec.ts';
import { ALLOW_CONFIG_CHANGE_FLAG, configChanges, startsOver } from '../plan/config-changes.ts';
import { readConfigs, startOver } from '../state/configs.ts';
import { diffCounts } from '../state/diff.ts';
import type { State } from '../state/schema.ts';

export async function guardConfigChanges(
  state: State,
  specs: SyncSpec[],
  runId: string,
  allow: boolean,
): Promise<string[]> {
  const recorded = await readConfigs(state);
  const problems: string[] = [];
  const over: SyncSpec[] = [];
  for (const spec of specs) {
    const before = recorded.get(spec.name)?.config;
    if (!startsOver(configChanges(before, spec.config, { inSnapshot: 0, inModel: 0 }))) continue;
    const counts = await diffCounts(state, spec);
    const changes = configChanges(before, spec.config, {
      inSnapshot: counts.unchanged + counts.update + counts.remove + counts.changedEvents,
      inModel: counts.create + counts.update + counts.unchanged + counts.changedEvents,
    });
    for (const c of changes.filter((c) => c.needsFlag))
      problems.push(`${spec.name} (${spec.yamlPath}): ${c.what} ${c.consequence}`);
    over.push(spec);
  }
  if (problems.length > 0 && !allow)
    throw new ConfigError(
      `Exposure changes make the snapshot of ${over.length} sync(s) stale; nothing was sent. Review them with \`klaviyo-runner plan\`, then run sync with \`${ALLOW_CONFIG_CHANGE_FLAG}\` to start them over:`,
      problems,
    );
  for (const spec of over) await startOver(state, spec, runId);
  return over.map((s) => s.name);
}
