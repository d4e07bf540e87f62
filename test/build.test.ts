/**
 * The package carries every JSON Schema precompiled (scripts/build.ts, runner/json-schema.ts):
 * each precompiled function must accept, refuse, coerce and explain exactly as the schema
 * compiled by Ajv from the sources does. The packaged CLI running them is test/package.test.ts.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { registeredSchemas, standaloneFunction } from '../scripts/build.ts';
import { schemaValidator, type Validator } from '../runner/json-schema.ts';

const specs = await registeredSchemas();

/** Ajv's standalone code run as the bundle runs it, its helpers required from node_modules. */
function precompiled(code: string): Validator<unknown> {
  const module = { exports: {} as Validator<unknown> };
  // The code Ajv generated, run as the bundle runs it.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const run = new Function('module', 'require', code) as (m: typeof module, r: NodeJS.Require) => void;
  run(module, createRequire(import.meta.url));
  return module.exports;
}

/** Inputs that pass and fail each kind of schema the runner registers. */
const INPUTS: unknown[] = [
  null,
  'text',
  [],
  {},
  { port: '8787', jobDelay: '50', rateLimits: 'off' },
  { port: '99999', jobDelay: '-1', rateLimits: 'sometimes' },
  { format: 'json', logFormat: 'xml', jobTimeout: '0', requestTimeout: '30' },
  { results: [{ unique_id: 'model.x.y', status: 'success' }], metadata: { invocation_id: null } },
  { results: [{ unique_id: 1 }], metadata: { invocation_id: 2 } },
  {
    metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/manifest/v12.json' },
    nodes: { 'model.x.y': { resource_type: 'model', name: 'y', columns: {} } },
    exposures: {},
  },
  { metadata: {}, nodes: [], exposures: { a: { name: 1 } } },
  { object: 'profile', key: 'person_id', identity: { email: 'email' } },
  { object: 'event', metric: 'Placed Order', key: 'event id', time: 3, list_id: 'x' },
  { object: 'list_membership', list: { id: 'Xy12' }, key: 'person_id', identity: {} },
  { object: 'profiles' },
];

describe('precompiled JSON Schemas', () => {
  it('cover every schema the runner registers', () => {
    expect(specs.map((s) => s.id).sort()).toEqual(
      expect.arrayContaining(['dbt_manifest', 'dbt_run_results', 'klaviyo_sync_config', 'sync_options']),
    );
  });

  it.each(specs.map((spec) => [spec.id, spec] as const))(
    '%s: the same answers as Ajv at run time',
    (_, spec) => {
      const ahead = precompiled(standaloneFunction(spec));
      const compiled = schemaValidator({ ...spec, id: `${spec.id}_compiled_in_test` });
      let failures = 0;
      for (const input of INPUTS) {
        const [a, b] = [structuredClone(input), structuredClone(input)];
        const valid = compiled(a);
        expect(ahead(b), JSON.stringify(input)).toBe(valid);
        expect(ahead.errors ?? null).toEqual(compiled.errors ?? null);
        expect(b).toEqual(a);
        if (!valid) failures++;
      }
      expect(failures).toBeGreaterThan(0);
    },
  );
});
