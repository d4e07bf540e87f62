/**
 * dbt's run_results.json (v6), read when present, so a sync never ships a model whose last build
 * failed or was skipped (docs/dbt.md#run-results).
 */
import { readFile } from 'node:fs/promises';

export interface RunResultsIndex {
  invocationId: string | null;
  /** unique_id → status of the node's latest run (success, error, skipped, ...). */
  status: Map<string, string>;
}

export async function readRunResults(file: string): Promise<RunResultsIndex | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return null;
  }
  const data = JSON.parse(text) as { metadata?: { invocation_id?: string }; results?: unknown };
  const status = new Map<string, string>();
  if (Array.isArray(data.results)) {
    for (const r of data.results as { unique_id?: unknown; status?: unknown }[]) {
      if (typeof r.unique_id === 'string' && typeof r.status === 'string') status.set(r.unique_id, r.status);
    }
  }
  return { invocationId: data.metadata?.invocation_id ?? null, status };
}
