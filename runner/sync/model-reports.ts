/**
 * What the dbt models say of a sync's rows before it sends any, read into its result and its log:
 * the rows they left out and the fields they withheld (source/rejected-rows.ts), and keys that are
 * one person to Klaviyo (source/shared-emails.ts).
 */
import type { SyncSpec } from '../manifest/spec.ts';
import type { Logger } from '../report/log.ts';
import type { SyncResult } from '../report/run-results.ts';
import { readModelRejections, readModelWithheldFields } from '../source/rejected-rows.ts';
import { sharedEmails, sharedEmailsMessage } from '../source/shared-emails.ts';
import type { Warehouse } from '../source/warehouse.ts';
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
  const shared = await sharedEmails(wh, spec);
  if (shared !== null && shared.emails > 0)
    log.log('warn', 'sync.shared_email', sharedEmailsMessage(spec, shared), {
      sync: spec.name,
      emails: shared.emails,
      keys: shared.keys,
    });
}
