/**
 * What the dbt models say of a sync's rows before it sends any, read into its result and its log:
 * the rows they left out and the fields they withheld (source/rejected-rows.ts), keys that are
 * one person to Klaviyo by email or phone (source/shared-identifiers.ts), and
 * rows waiting for an `after` sync whose keys none of them meets (state/diff.ts, `afterNeverMet`).
 */
import type { SyncSpec } from '../manifest/spec.ts';
import type { Logger } from '../report/log.ts';
import type { SyncResult } from '../report/run-results.ts';
import { readModelRejections, readModelWithheldFields } from '../source/rejected-rows.ts';
import { sharedIdentifiers } from '../source/shared-identifiers.ts';
import type { Warehouse } from '../source/warehouse.ts';
import { afterNeverMet, afterNeverMetMessage } from '../state/diff.ts';
import type { State } from '../state/schema.ts';
import { MAX_LISTED } from './row-report.ts';

export async function reportModels(
  wh: Warehouse,
  spec: SyncSpec,
  result: SyncResult,
  log: Logger,
): Promise<void> {
  const c = result.counts;
  const leftOut = await readModelRejections(wh, spec, MAX_LISTED);
  c.left_out_by_model = leftOut.count;
  result.left_out_by_model = leftOut.rows;
  result.left_out_by_reason = leftOut.byReason;
  const withheld = await readModelWithheldFields(wh, spec, MAX_LISTED);
  c.withheld_by_model = withheld.count;
  result.withheld_by_model = withheld.rows;
  result.withheld_by_reason = withheld.byReason;
  for (const warning of await sharedIdentifiers(wh, spec))
    log.log('warn', warning.event, warning.message, { sync: spec.name, ...warning.counts });
}

/** Rows held back for the `after` sync when no key of the model meets that sync's: said, each run. */
export async function reportAfterNeverMet(
  state: State,
  spec: SyncSpec,
  waiting: number,
  log: Logger,
): Promise<void> {
  if (waiting === 0) return;
  const confirmed = await afterNeverMet(state, spec);
  if (confirmed === null) return;
  log.log('warn', 'sync.after_never_met', afterNeverMetMessage(spec, waiting, confirmed), {
    sync: spec.name,
    after: spec.config.after,
    waiting,
    after_confirmed: confirmed,
  });
}
