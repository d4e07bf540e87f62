/**
 * The run's record as `target/klaviyo_run_results.json` holds it: a sync's result before it runs,
 * a sync the run never reached, the run's metadata and status, and the file written even when the
 * run stopped before its syncs were known.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ProjectOptions } from '../manifest/load.ts';
import { InterruptedError } from '../errors.ts';
import type { SyncSpec } from '../manifest/spec.ts';
import {
  emptyCounts,
  overallStatus,
  writeRunResults,
  type RunResults,
  type SyncResult,
  type SyncStatus,
} from '../report/run-results.ts';
import { RUNNER_VERSION } from '../version.ts';

/** A sync's result before anything happened: success, nothing counted. */
export function newResult(spec: SyncSpec): SyncResult {
  const now = new Date().toISOString();
  return {
    sync: spec.name,
    unique_id: spec.exposureId,
    object: spec.config.object,
    model: spec.model.name,
    status: 'success',
    message: '',
    timing: { started_at: now, completed_at: '' },
    execution_time: 0,
    counts: emptyCounts(),
    requests: {},
    jobs: [],
    rejected: [],
    failed: [],
    left_out_by_model: [],
    left_out_by_reason: {},
    withheld_by_model: [],
    withheld_by_reason: {},
    dropped_fields: [],
    held_back: [],
  };
}

/** A sync the run never reached, recorded as skipped with the reason. */
export function notRun(spec: SyncSpec, reason: string): SyncResult {
  const result = newResult(spec);
  result.status = 'skipped';
  result.message = `not run: ${reason}`;
  result.timing.completed_at = result.timing.started_at;
  return result;
}

export function runMetadata(
  runId: string,
  dbtInvocationId: string | null,
  baseUrl: string,
): RunResults['metadata'] {
  return {
    schema: 'https://klaviyo-runner.dev/schemas/run-results/v1.json',
    klaviyo_runner_version: RUNNER_VERSION,
    generated_at: new Date().toISOString(),
    run_id: runId,
    command: 'sync',
    dbt_invocation_id: dbtInvocationId,
    klaviyo_base_url: baseUrl,
  };
}

/**
 * A run stopped before its syncs were known (no manifest, a broken exposure, profiles.yml) still
 * replaces the results file in an existing target folder, so it never describes an earlier run.
 */
export async function recordUnloaded(
  options: ProjectOptions,
  runId: string,
  error: Error,
  started: number,
): Promise<void> {
  const targetPath = path.resolve(
    options.projectDir,
    options.targetPath ?? process.env.DBT_TARGET_PATH ?? 'target',
  );
  if (!existsSync(targetPath)) return;
  await writeRunResults(targetPath, {
    metadata: runMetadata(runId, null, ''),
    status: error instanceof InterruptedError ? 'interrupted' : 'error',
    message: error.message,
    elapsed_time: (performance.now() - started) / 1000,
    results: [],
  });
}

/** What the run was: interrupted, stopped by an error, or the worst of its syncs. */
export function runStatus(results: SyncResult[], stopped: Error | null): SyncStatus {
  if (stopped instanceof InterruptedError) return 'interrupted';
  if (stopped !== null) return 'error';
  return overallStatus(results);
}
