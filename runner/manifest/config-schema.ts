/**
 * The one JSON Schema of `config.meta.klaviyo` (schema/klaviyo-sync.schema.json), compiled once
 * (ahead of time in the package, runner/json-schema.ts),
 * with Ajv's errors turned into sentences that name the exposure, its YAML file and the path.
 */
import { readFileSync } from 'node:fs';
import type { ErrorObject } from 'ajv';
import { schemaValidator } from '../json-schema.ts';
import type { KlaviyoSyncConfig } from './spec.ts';

export const SYNC_SCHEMA_PATH = new URL('../../schema/klaviyo-sync.schema.json', import.meta.url);

const schema = JSON.parse(readFileSync(SYNC_SCHEMA_PATH, 'utf8')) as object;
const validateConfig = schemaValidator<KlaviyoSyncConfig>({
  id: 'klaviyo_sync_config',
  draft2020: true,
  options: { allErrors: true, strict: false },
  schema,
});

/** The keys a deletion sync takes (docs/privacy-deletions.md); the schema refuses the others. */
export const DELETION_KEYS = ['object', 'model', 'key', 'identity', 'phone_region'];

/** The value at a JSON pointer (RFC 6901) of the block, as Ajv's `instancePath` names it. */
function valueAt(block: unknown, pointer: string): unknown {
  let value = block;
  for (const part of pointer.split('/').slice(1)) {
    const name = part.replaceAll('~1', '/').replaceAll('~0', '~');
    value =
      typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
  }
  return value;
}

/**
 * Why a name is not one the runner can use as a column, and the fix: the column renamed in the
 * model, where any name can be given an alias, rather than quoted in every statement the runner
 * writes for both warehouses.
 */
function columnNameProblem(name: unknown): string {
  const alias = String(name)
    .trim()
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/^(?=[0-9])/, '_')
    .toLowerCase();
  return `is ${JSON.stringify(name)}, not a column name the runner can use (letters, digits and underscores, not starting with a digit); rename the column in the model (\`"${String(name)}" as ${alias}\`) and name it so here.`;
}

/** Ajv's branch errors of if/then and oneOf add noise; keep the ones that say what to change. */
function sentence(error: ErrorObject, where: string, block: unknown): string | null {
  const at = `config.meta.klaviyo${error.instancePath.replaceAll('/', '.')}`;
  const p = error.params as Record<string, unknown>;
  // The branches of the event sync's oneOf (metric or metric_column) each say "needs"; the oneOf
  // error itself says what to change.
  if (error.schemaPath.includes('/oneOf/')) return null;
  switch (error.keyword) {
    case 'if':
    case 'anyOf':
      return null;
    case 'oneOf':
      return p.passingSchemas === null
        ? `${where}: ${at} needs \`metric\` (one metric name) or \`metric_column\` (a column holding each row's metric name).`
        : `${where}: ${at} has both \`metric\` and \`metric_column\`; keep one.`;
    case 'required':
      // The one place identity requires email: a scoped sync (the schema's allOf says why).
      if (error.instancePath === '/identity' && p.missingProperty === 'email')
        return `${where}: config.meta.klaviyo.scope matches each row to the suppressions model by its email, and config.meta.klaviyo.identity names no \`email\` column, so no row would ever be skipped; add the model's email column to \`identity\`, or remove \`scope\`.`;
      return `${where}: ${at} needs \`${String(p.missingProperty)}\`.`;
    case 'additionalProperties':
      return `${where}: ${at} has an unknown key \`${String(p.additionalProperty)}\`.`;
    case 'enum':
      return `${where}: ${at} must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}.`;
    case 'not': {
      const b = block as Record<string, unknown>;
      // The exposure's YAML is checked here, before any object module: the deletion's keys are above.
      if (b.object === 'deletion') {
        const extra = Object.keys(b).filter((k) => !DELETION_KEYS.includes(k));
        return `${where}: config.meta.klaviyo is a deletion sync, which takes only ${DELETION_KEYS.map((k) => `\`${k}\``).join(', ')}; remove ${extra.map((k) => `\`${k}\``).join(', ')}.`;
      }
      return `${where}: ${at} mixes keys of different sync objects (see the \`object\` key's allowed keys in the README).`;
    }
    case 'pattern':
      if (error.instancePath === '/list/name')
        return `${where}: ${at} starts or ends with white space; a list is found by its exact name, so it would be a second list beside the one without it.`;
      if (error.instancePath === '/phone_region')
        return `${where}: ${at} must be an ISO 3166-1 alpha-2 code in capitals, such as US, GB or DE.`;
      return `${where}: ${at} ${columnNameProblem(valueAt(block, error.instancePath))}`;
    case 'type':
      return `${where}: ${at} must be ${String(p.type)}.`;
    default:
      return `${where}: ${at} ${error.message ?? 'is invalid'}.`;
  }
}

export function checkSyncConfig(
  block: unknown,
  where: string,
): { ok: true; config: KlaviyoSyncConfig } | { ok: false; problems: string[] } {
  if (validateConfig(block)) return { ok: true, config: block };
  const problems = [
    ...new Set(
      (validateConfig.errors ?? [])
        .map((e) => sentence(e, where, block))
        .filter((s): s is string => s !== null),
    ),
  ];
  return {
    ok: false,
    problems: problems.length > 0 ? problems : [`${where}: config.meta.klaviyo is invalid.`],
  };
}
