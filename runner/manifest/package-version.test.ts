import { describe, expect, it } from 'vitest';
import { packageVersionWarning } from './package-version.ts';
import { parseManifest } from './read.ts';

const node = (pkg: string, name: string, meta?: Record<string, unknown>, type = 'model') => ({
  unique_id: `${type}.${pkg}.${name}`,
  name,
  resource_type: type,
  package_name: pkg,
  original_file_path: `models/${name}.sql`,
  config: meta === undefined ? {} : { meta },
});

const manifestOf = (...nodes: ReturnType<typeof node>[]) =>
  parseManifest(
    JSON.stringify({
      metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/manifest/v12.json' },
      nodes: Object.fromEntries(nodes.map((n) => [n.unique_id, n])),
      exposures: {},
    }),
    'target/manifest.json',
  );

describe("the dbt package's version in the manifest", () => {
  it('says nothing when the package models carry the runner version, or the project uses none', () => {
    const same = manifestOf(
      node('klaviyo_runner', 'klaviyo__profiles', { klaviyo_runner_version: '1.2.0' }),
      node('shop', 'stg_orders'),
    );
    expect(packageVersionWarning(same, 'klaviyo_runner', '1.2.0')).toBeNull();
    expect(
      packageVersionWarning(manifestOf(node('shop', 'stg_orders')), 'klaviyo_runner', '1.2.0'),
    ).toBeNull();
  });

  it('names both versions when the package models carry another one', () => {
    const older = manifestOf(
      node('klaviyo_runner', 'klaviyo__profiles', { klaviyo_runner_version: '1.1.0' }),
      node('klaviyo_runner', 'klaviyo__placed_order_events', { klaviyo_runner_version: '1.1.0' }),
      // A seed of the package is not a model; its config does not count.
      node('klaviyo_runner', 'demo_orders', { klaviyo_runner_version: '0.0.1' }, 'seed'),
    );
    expect(packageVersionWarning(older, 'klaviyo_runner', '1.2.0')).toMatch(
      /^the manifest was built with dbt package klaviyo_runner 1\.1\.0, but this klaviyo-runner is 1\.2\.0\. /,
    );
  });

  it('reports a package without a version stamp as unknown', () => {
    const unstamped = manifestOf(node('klaviyo_runner', 'klaviyo__profiles'));
    expect(packageVersionWarning(unstamped, 'klaviyo_runner', '1.2.0')).toContain(
      'klaviyo_runner unknown (no version stamp), but this klaviyo-runner is 1.2.0',
    );
  });

  it('refuses a manifest whose node meta is not an object, like any other bad field', () => {
    expect(() => manifestOf(node('klaviyo_runner', 'x', 'v1' as unknown as Record<string, unknown>))).toThrow(
      /at \/nodes\/model\.klaviyo_runner\.x\/config\/meta: must be object/,
    );
  });
});
