/**
 * Reads dbt's target/manifest.json as untrusted input: checks `metadata.dbt_schema_version`
 * (v12 only: dbt-core 1.8 to 1.12 and dbt Core v2 write it, docs/dbt.md#manifest-version) and validates only the
 * fields the runner reads, with a narrow schema, instead of casting the whole file.
 */
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors.ts';
import { schemaValidator } from '../json-schema.ts';
import { MANIFEST_SCHEMAS } from './versions.ts';

export interface ManifestNode {
  unique_id: string;
  name: string;
  resource_type: string;
  package_name: string;
  original_file_path: string;
  relation_name?: string | null;
  /** A versioned model's version, and the one `ref()` without `v=` reads (its latest). */
  version?: string | number | null;
  latest_version?: string | number | null;
  config?: { materialized?: string; enabled?: boolean; meta?: Record<string, unknown> };
  columns?: Record<string, { name: string; data_type?: string | null }>;
}

export interface ManifestExposure {
  unique_id: string;
  name: string;
  original_file_path: string;
  type: string;
  tags?: string[];
  meta?: Record<string, unknown>;
  config?: { meta?: Record<string, unknown>; tags?: string[]; enabled?: boolean };
  depends_on?: { nodes?: string[] };
}

export interface Manifest {
  metadata: {
    dbt_schema_version: string;
    dbt_version?: string;
    invocation_id?: string;
    adapter_type?: string;
    project_name?: string;
  };
  nodes: Record<string, ManifestNode>;
  exposures: Record<string, ManifestExposure>;
}

// Only what we read; everything else in the manifest may be anything.
const narrowSchema = {
  type: 'object',
  required: ['metadata', 'nodes', 'exposures'],
  properties: {
    metadata: {
      type: 'object',
      required: ['dbt_schema_version'],
      properties: {
        dbt_schema_version: { type: 'string' },
        dbt_version: { type: 'string' },
        invocation_id: { type: ['string', 'null'] },
        adapter_type: { type: ['string', 'null'] },
      },
    },
    nodes: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['unique_id', 'name', 'resource_type', 'package_name', 'original_file_path'],
        properties: {
          unique_id: { type: 'string' },
          name: { type: 'string' },
          resource_type: { type: 'string' },
          package_name: { type: 'string' },
          original_file_path: { type: 'string' },
          relation_name: { type: ['string', 'null'] },
          config: {
            type: 'object',
            properties: { materialized: { type: 'string' }, meta: { type: 'object' } },
          },
          columns: {
            type: 'object',
            additionalProperties: {
              type: 'object',
              required: ['name'],
              properties: { name: { type: 'string' } },
            },
          },
        },
      },
    },
    exposures: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['unique_id', 'name', 'original_file_path', 'type'],
        properties: {
          unique_id: { type: 'string' },
          name: { type: 'string' },
          original_file_path: { type: 'string' },
          type: { type: 'string' },
          tags: { type: 'array', items: { type: 'string' } },
          meta: { type: 'object' },
          config: { type: 'object', properties: { meta: { type: 'object' }, tags: { type: 'array' } } },
          depends_on: { type: 'object', properties: { nodes: { type: 'array', items: { type: 'string' } } } },
        },
      },
    },
  },
} as const;

const validateNarrow = schemaValidator<Manifest>({
  id: 'dbt_manifest',
  options: { allErrors: true },
  schema: narrowSchema,
});

export function parseManifest(text: string, file: string): Manifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      `${file} is not valid JSON (${(error as Error).message}). Run \`dbt build\` or \`dbt parse\` again.`,
    );
  }
  const version = (data as { metadata?: { dbt_schema_version?: unknown; dbt_version?: unknown } } | null)
    ?.metadata;
  if (
    typeof version?.dbt_schema_version === 'string' &&
    !(MANIFEST_SCHEMAS as readonly string[]).includes(version.dbt_schema_version)
  ) {
    throw new ConfigError(
      `${file} is a manifest of schema ${version.dbt_schema_version} (dbt ${String(version.dbt_version ?? 'unknown')}); ` +
        `klaviyo-runner reads manifest v12, written by dbt-core 1.8 to 1.12 and dbt Core v2. Rebuild with one of those.`,
    );
  }
  if (!validateNarrow(data)) {
    const problems = (validateNarrow.errors ?? []).map(
      (e) => `at ${e.instancePath === '' ? '(root)' : e.instancePath}: ${e.message ?? 'invalid'}`,
    );
    throw new ConfigError(`${file} is not a dbt manifest klaviyo-runner can read:`, problems);
  }
  return data;
}

export async function readManifest(file: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ConfigError(
      `No dbt manifest at ${file}. Run \`dbt build\` (or \`dbt parse\`) in the project first.`,
    );
  }
  return parseManifest(text, file);
}
