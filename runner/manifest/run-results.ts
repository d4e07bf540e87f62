/**
 * dbt's run_results.json (v6), read when present, so a sync never ships a model whose last build
 * failed or was skipped (docs/dbt.md#run-results). Read as untrusted input: only the fields used
 * are checked (https://docs.getdbt.com/reference/artifacts/run-results-json), and a file that is
 * not JSON or not in that shape is a ConfigError naming the file, not a crash.
 */
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors.ts';
import { schemaValidator } from '../json-schema.ts';

export interface RunResultsIndex {
  invocationId: string | null;
  /** unique_id → status of the node's latest run (success, error, skipped, ...). */
  status: Map<string, string>;
}

interface RunResults {
  metadata?: { invocation_id?: string | null };
  results: { unique_id: string; status: string }[];
}

const validate = schemaValidator<RunResults>({
  id: 'dbt_run_results',
  options: { allErrors: true, allowUnionTypes: true },
  schema: {
    type: 'object',
    required: ['results'],
    properties: {
      metadata: { type: 'object', properties: { invocation_id: { type: ['string', 'null'] } } },
      results: {
        type: 'array',
        items: {
          type: 'object',
          required: ['unique_id', 'status'],
          properties: { unique_id: { type: 'string' }, status: { type: 'string' } },
        },
      },
    },
  },
});

const AGAIN = 'Run `dbt build` again to write it anew, or delete it.';

export function parseRunResults(text: string, file: string): RunResultsIndex {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file} is not valid JSON (${(error as Error).message}). ${AGAIN}`);
  }
  if (!validate(data)) {
    const problems = (validate.errors ?? [])
      .slice(0, 5)
      .map((e) => `at ${e.instancePath === '' ? '(root)' : e.instancePath}: ${e.message ?? 'invalid'}`);
    throw new ConfigError(
      `${file} is not a dbt run_results.json klaviyo-runner can read. ${AGAIN}`,
      problems,
    );
  }
  const status = new Map(data.results.map((r) => [r.unique_id, r.status]));
  return { invocationId: data.metadata?.invocation_id ?? null, status };
}

export async function readRunResults(file: string): Promise<RunResultsIndex | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return null;
  }
  return parseRunResults(text, file);
}
