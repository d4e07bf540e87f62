/**
 * `target/klaviyo_run_results.json`: what a sync run did, in the spirit of dbt's run_results.json
 * (https://docs.getdbt.com/reference/artifacts/run-results-json): one result per sync with its
 * status, timings and counts, and every rejected or failed row's key and reason, so a scheduler
 * or a dbt-aware tool can read the outcome without parsing logs.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

export interface SyncCounts {
  created: number;
  updated: number;
  unchanged: number;
  removed: number;
  events_sent: number;
  /** Event rows whose content changed after Klaviyo stored them; events are immutable, so not resent. */
  events_changed_not_resent: number;
  list_added: number;
  list_removed: number;
  subscribed: number;
  /** Members whose withdrawal of consent Klaviyo took (its unsubscribe). */
  unsubscribed: number;
  skipped_by_scope: number;
  waiting_on_after: number;
  rejected: number;
  /** Rows rejected by an earlier run and unchanged since: not resent until the row changes. */
  previously_rejected: number;
  /**
   * Rows the dbt models left out before this sync could see them (klaviyo__rejected_rows rows
   * naming the sync's model). Reported on every run while the model leaves them out; like rows
   * skipped by scope, they do not change the exit code.
   */
  left_out_by_model: number;
  /**
   * Fields the dbt models left out of rows they ship (klaviyo__withheld_fields rows naming the
   * sync's model: a phone two people share). Reported on every run like rows left out; the row is
   * sent without the field, and the exit code does not change.
   */
  withheld_by_model: number;
  failed: number;
  /** Rows sent without a field the runner could not read (an invalid phone beside a valid email). */
  fields_dropped: number;
  /** Deletion syncs: people whose erasure Klaviyo accepted in this run (docs/privacy-deletions.md). */
  erased: number;
  /** Deletion syncs: profile deletion requests sent in this run. */
  deletion_requests: number;
  /** Deletion syncs: rows of erased people removed from the other syncs' state in this run. */
  forgotten: number;
  /**
   * Rows of erased people this sync held back, so no write re-creates their profile. Reported on
   * every run while the model still carries them; like rows skipped by scope, they do not change
   * the exit code.
   */
  held_back_erased: number;
}

export function emptyCounts(): SyncCounts {
  return {
    created: 0,
    updated: 0,
    unchanged: 0,
    removed: 0,
    events_sent: 0,
    events_changed_not_resent: 0,
    list_added: 0,
    list_removed: 0,
    subscribed: 0,
    unsubscribed: 0,
    skipped_by_scope: 0,
    waiting_on_after: 0,
    rejected: 0,
    previously_rejected: 0,
    left_out_by_model: 0,
    withheld_by_model: 0,
    failed: 0,
    fields_dropped: 0,
    erased: 0,
    deletion_requests: 0,
    forgotten: 0,
    held_back_erased: 0,
  };
}

/**
 * `skipped`: the sync did not run (another run holds its lock, or the run stopped before it);
 * `interrupted`: SIGINT or SIGTERM stopped it; `stopped`: the mass-removal guard stopped it before
 * it sent anything (exit 1).
 */
export type SyncStatus = 'success' | 'partial' | 'stopped' | 'error' | 'skipped' | 'interrupted';

export interface RowOutcome {
  key: string;
  column?: string;
  reason: string;
}

/** A row the dbt models left out, as the rejected-rows model lists it. */
export interface LeftOutRow {
  key: string;
  reason_code: string | null;
  reason: string;
}

/** A field the dbt models left out of a row they ship, as the withheld-fields model lists it. */
export interface WithheldRow extends LeftOutRow {
  column: string;
}

export interface SyncResult {
  sync: string;
  unique_id: string;
  object: string;
  model: string;
  status: SyncStatus;
  message: string;
  timing: { started_at: string; completed_at: string };
  execution_time: number;
  counts: SyncCounts;
  /** Klaviyo requests by operation id, e.g. { bulk_import_profiles: 1, get_bulk_import_profiles_job: 3 }. */
  requests: Record<string, number>;
  /** Profile import job ids submitted (or resumed) by this sync. */
  jobs: string[];
  rejected: RowOutcome[];
  failed: RowOutcome[];
  /** The rows the dbt models left out for this sync, first ones by key (all are counted). */
  left_out_by_model: LeftOutRow[];
  /** Those rows counted per reason code, most first. */
  left_out_by_reason: Record<string, number>;
  /** The fields the dbt models left out of rows this sync ships, first ones by key (all are counted). */
  withheld_by_model: WithheldRow[];
  /** Those fields counted per reason code, most first. */
  withheld_by_reason: Record<string, number>;
  /** Each row sent without a field, with the column and why (see counts.fields_dropped). */
  dropped_fields: RowOutcome[];
  /** Rows of erased people held back, first ones by key, with the deletion sync that erased them. */
  held_back: RowOutcome[];
}

export interface RunResults {
  metadata: {
    schema: string;
    klaviyo_runner_version: string;
    generated_at: string;
    run_id: string;
    command: string;
    dbt_invocation_id: string | null;
    klaviyo_base_url: string;
  };
  status: SyncStatus;
  /** What stopped the run as a whole, when something did (empty otherwise). */
  message: string;
  elapsed_time: number;
  results: SyncResult[];
}

/**
 * The run's overall status: the worst of its syncs, in the order of the exit codes they lead to
 * (an interruption, an error or a skipped sync exit 2, a partial sync 1). A run with one sync
 * skipped for another run's lock is not a success.
 */
const WORST_FIRST: SyncStatus[] = ['interrupted', 'error', 'skipped', 'stopped', 'partial'];
export function overallStatus(results: SyncResult[]): SyncStatus {
  return WORST_FIRST.find((status) => results.some((r) => r.status === status)) ?? 'success';
}

/**
 * Write atomically (temp file + rename) so a reader never sees half a file. The temp file has an
 * unguessable name and is created exclusively (O_CREAT | O_EXCL), so a file or symlink planted at
 * that name makes the write fail instead of being followed.
 */
export async function writeRunResults(targetDir: string, results: RunResults): Promise<string> {
  await mkdir(targetDir, { recursive: true });
  const file = path.join(targetDir, 'klaviyo_run_results.json');
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o644);
  try {
    await handle.writeFile(`${JSON.stringify(results, null, 2)}\n`);
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temp, file);
  return file;
}
