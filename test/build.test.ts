/**
 * The package carries every JSON Schema precompiled (scripts/build.ts, runner/json-schema.ts):
 * each precompiled function must accept, refuse, coerce and explain exactly as the schema
 * compiled by Ajv from the sources does. The packaged CLI running them is test/package.test.ts.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { ownerOf, registeredSchemas, rewriteRelativeUrls, standaloneFunction } from '../scripts/build.ts';
import { repoRoot } from './helpers/dbt.ts';
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
  { data: { id: 'XyZ', type: 'list', attributes: { name: null, created: '2026-01-01T00:00:00+00:00' } } },
  { data: { id: 7, attributes: { name: 3 } } },
  { data: [{ id: 'a', attributes: { name: 'Winback', status: 'complete' } }], links: { next: null } },
  { data: [{ attributes: {} }], links: { next: 3 } },
];

describe('precompiled JSON Schemas', () => {
  it('cover every schema the runner registers', () => {
    expect(specs.map((s) => s.id).sort()).toEqual(
      expect.arrayContaining([
        'dbt_manifest',
        'dbt_run_results',
        'klaviyo_sync_config',
        'klaviyo_profile_page',
        'sync_options',
      ]),
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

describe('paths relative to a module, as the bundle in dist/ finds them', () => {
  const file = path.join(repoRoot, 'runner', 'report', 'plan-report.ts');

  it('points files of runner/ at their copies in dist/, and the others at the package', () => {
    expect(
      rewriteRelativeUrls(
        [
          'new URL(`./templates/${name}`, import.meta.url)',
          "new URL('../../schema/klaviyo-sync.schema.json', import.meta.url)",
          "new URL('../../package.json', import.meta.url)",
          'createRequire(import.meta.url)',
        ].join('\n'),
        file,
      ),
    ).toBe(
      [
        'new URL(`./report/templates/${name}`, import.meta.url)',
        "new URL('../schema/klaviyo-sync.schema.json', import.meta.url)",
        "new URL('../package.json', import.meta.url)",
        'createRequire(import.meta.url)',
      ].join('\n'),
    );
  });

  it.each(["path.join(import.meta.dirname, 'x.json')", 'new URL(name, import.meta.url)'])(
    'refuses %s, which the bundle would resolve from another folder',
    (source) => {
      expect(() => rewriteRelativeUrls(source, file)).toThrow(
        /^build: runner\/report\/plan-report\.ts uses import\.meta/,
      );
    },
  );
});

describe('which module carries a precompiled schema', () => {
  const texts = new Map([
    ['lists.ts', "const LIST = shape('klaviyo_list', resource);"],
    ['plan.ts', "new Command('plan'); checkedOptions('plan', rules);"],
    ['sync.ts', "new Command('sync');"],
    ['log.ts', "logger.log('info', 'sync', 'done');"],
  ]);

  it.each([
    ['klaviyo_list', 'lists.ts'],
    ['klaviyo_list_page', 'lists.ts'],
    ['plan_options', 'plan.ts'],
    ['sync_options', undefined],
    ['dbt_manifest', undefined],
  ])('%s: %s', (id, file) => {
    expect(ownerOf(id, texts)).toBe(file);
  });
});
