/**
 * Per sync, the exposure's `config.meta.klaviyo` block the snapshot was confirmed under. A plan
 * compares it with the block in the manifest to explain what an exposure change does to Klaviyo;
 * a sync records it once its run is done, or when it starts a sync's snapshot over.
 */
import type { KlaviyoSyncConfig, SyncSpec } from '../manifest/spec.ts';
import { inTransaction, type State } from './schema.ts';

export interface RecordedConfig {
  sync: string;
  model: string;
  config: KlaviyoSyncConfig;
  runId: string;
}

/** Every sync's recorded configuration, by sync name. */
export async function readConfigs(state: State): Promise<Map<string, RecordedConfig>> {
  const rows = await state.wh.query(
    `select sync, model, config_json, run_id from ${state.table('configs')} order by sync`,
  );
  return new Map(
    rows.map((r) => [
      String(r.sync),
      {
        sync: String(r.sync),
        model: String(r.model),
        config: JSON.parse(String(r.config_json)) as KlaviyoSyncConfig,
        runId: String(r.run_id),
      },
    ]),
  );
}

/** Records the configuration the sync's snapshot now describes. */
export async function recordConfig(state: State, spec: SyncSpec, runId: string): Promise<void> {
  const d = state.wh.dialect;
  await state.wh.execute(`delete from ${state.table('configs')} where sync = ${d.literal(spec.name)}`);
  await state.wh.execute(
    `insert into ${state.table('configs')} (sync, model, config_json, run_id, recorded_at)
     values (${d.literal(spec.name)}, ${d.literal(spec.model.name)}, ${d.literal(JSON.stringify(spec.config))}, ${d.literal(runId)}, ${d.nowUtc})`,
  );
}

/**
 * Starts a sync over: its snapshot no longer describes what Klaviyo holds (the key, metric or list
 * changed), so every row is sent again under the new configuration, and an event sync's first
 * load goes as a backfill again. Recorded with the new configuration, so a run killed after this
 * resumes as an ordinary run.
 */
export async function startOver(state: State, spec: SyncSpec, runId: string): Promise<void> {
  const d = state.wh.dialect;
  const sync = d.literal(spec.name);
  await inTransaction(state, async (tx) => {
    await tx.wh.execute(`delete from ${tx.table('snapshot')} where sync = ${sync}`);
    await tx.wh.execute(`delete from ${tx.table('syncs')} where sync = ${sync}`);
    await recordConfig(tx, spec, runId);
  });
}
