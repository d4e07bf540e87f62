import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { parseManifest, type Manifest } from './read.ts';
import { selectSpecs } from './select.ts';
import { buildSpecs } from './specs.ts';

const V12 = 'https://schemas.getdbt.com/dbt/manifest/v12.json';

function manifest(exposures: Record<string, unknown>, nodes: Record<string, unknown> = {}): Manifest {
  return parseManifest(
    JSON.stringify({
      metadata: { dbt_schema_version: V12, dbt_version: '1.12.0' },
      nodes: {
        'model.shop.klaviyo__profiles': {
          unique_id: 'model.shop.klaviyo__profiles',
          name: 'klaviyo__profiles',
          resource_type: 'model',
          package_name: 'shop',
          original_file_path: 'models/klaviyo__profiles.sql',
          relation_name: '"db"."main"."klaviyo__profiles"',
          config: { materialized: 'table' },
        },
        'model.shop.eph': {
          unique_id: 'model.shop.eph',
          name: 'eph',
          resource_type: 'model',
          package_name: 'shop',
          original_file_path: 'models/eph.sql',
          relation_name: null,
          config: { materialized: 'ephemeral' },
        },
        ...nodes,
      },
      exposures,
    }),
    'target/manifest.json',
  );
}

const exposure = (name: string, klaviyo: unknown, extra: Record<string, unknown> = {}) => ({
  [`exposure.shop.${name}`]: {
    unique_id: `exposure.shop.${name}`,
    name,
    original_file_path: 'exposures/klaviyo.yml',
    type: 'application',
    depends_on: { nodes: ['model.shop.klaviyo__profiles'] },
    config: { meta: { klaviyo }, tags: ['klaviyo'] },
    ...extra,
  },
});

const profileBlock = {
  object: 'profile',
  key: 'person_id',
  identity: { email: 'email' },
  properties: ['rfm_segment'],
};

describe('reading the manifest', () => {
  it('refuses other schema versions, naming the dbt versions that write v12', () => {
    for (const version of [
      'https://schemas.getdbt.com/dbt/manifest/v11.json',
      'https://schemas.getdbt.com/dbt/manifest/v20.json',
    ]) {
      expect(() =>
        parseManifest(
          JSON.stringify({
            metadata: { dbt_schema_version: version, dbt_version: '1.7.0' },
            nodes: {},
            exposures: {},
          }),
          'target/manifest.json',
        ),
      ).toThrow(
        `target/manifest.json is a manifest of schema ${version} (dbt 1.7.0); klaviyo-runner reads manifest v12, written by dbt-core 1.8 to 1.12 and dbt Core v2. Rebuild with one of those.`,
      );
    }
  });

  it('names the JSON path of a malformed field', () => {
    const bad = {
      metadata: { dbt_schema_version: V12 },
      nodes: {
        x: { unique_id: 7, name: 'x', resource_type: 'model', package_name: 'p', original_file_path: 'f' },
      },
      exposures: {},
    };
    const error = (() => {
      try {
        parseManifest(JSON.stringify(bad), 'target/manifest.json');
        return null;
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual(['at /nodes/x/unique_id: must be string']);
  });
});

describe('exposures → sync specs', () => {
  it('merges meta and config.meta, config.meta winning, as dbt 1.10+ does', () => {
    const m = manifest(
      exposure(
        'profiles',
        { ...profileBlock, key: 'wrong' },
        { meta: { klaviyo: { ...profileBlock, key: 'old' } }, config: { meta: { klaviyo: profileBlock } } },
      ),
    );
    const { specs, problems } = buildSpecs(m, null);
    expect(problems).toEqual([]);
    expect(specs[0]).toMatchObject({
      name: 'profiles',
      yamlPath: 'exposures/klaviyo.yml',
      config: { key: 'person_id' },
      model: { name: 'klaviyo__profiles', relationName: '"db"."main"."klaviyo__profiles"' },
    });
  });

  it('reports every problem as a sentence naming the exposure, the file and the path', () => {
    const m = manifest({
      ...exposure('a', { object: 'profile', key: 'id' }),
      ...exposure('b', {
        object: 'event',
        key: 'id',
        identity: { email: 'email' },
        metric: 'Placed Order',
        time: 'at',
        list: { name: 'x' },
      }),
      ...exposure('c', { object: 'profil', key: 'bad key', identity: { email: 'email' }, colour: 'red' }),
      ...exposure('d', profileBlock, { depends_on: { nodes: ['model.shop.eph'] } }),
    });
    expect(buildSpecs(m, null).problems).toEqual([
      'exposure `a` (exposures/klaviyo.yml): config.meta.klaviyo needs `identity`.',
      "exposure `b` (exposures/klaviyo.yml): config.meta.klaviyo mixes keys of different sync objects (see the `object` key's allowed keys in the README).",
      'exposure `c` (exposures/klaviyo.yml): config.meta.klaviyo has an unknown key `colour`.',
      'exposure `c` (exposures/klaviyo.yml): config.meta.klaviyo.object must be one of "profile", "event", "list_membership", "deletion".',
      'exposure `c` (exposures/klaviyo.yml): config.meta.klaviyo.key is "bad key", not a column name the runner can use (letters, digits and underscores, not starting with a digit); rename the column in the model (`"bad key" as bad_key`) and name it so here.',
      'exposure `d` (exposures/klaviyo.yml): model `eph` is ephemeral, so there is no table to read; materialize it as a table or view.',
    ]);
  });

  it('says that a source is not synced, naming it, when an exposure depends on a source alone', () => {
    const m = manifest({
      ...exposure('raw', profileBlock, { depends_on: { nodes: ['source.shop.shopify.customers'] } }),
      ...exposure('none', profileBlock, { depends_on: { nodes: [] } }),
    });
    expect(buildSpecs(m, null).problems).toEqual([
      "exposure `none` (exposures/klaviyo.yml): depends_on no model; add `depends_on: [ref('your_model')]`.",
      "exposure `raw` (exposures/klaviyo.yml): depends_on no model, only the source `shopify.customers`; the runner syncs a model, seed or snapshot: select from the source in a model and add `depends_on: [ref('your_model')]`.",
    ]);
  });

  it('takes a deletion sync with its identity alone, and names the keys it does not take', () => {
    const deletion = {
      object: 'deletion',
      key: 'request_id',
      identity: { email: 'email', external_id: 'customer_id' },
    };
    const ok = buildSpecs(manifest(exposure('erase', deletion)), null);
    expect(ok.problems).toEqual([]);
    expect(ok.specs[0]!.config).toEqual(deletion);
    const m = manifest({
      ...exposure('erase', { ...deletion, properties: ['segment'], on_remove: 'ignore' }),
      ...exposure('nobody', { object: 'deletion', key: 'request_id', identity: {} }),
    });
    expect(buildSpecs(m, null).problems).toEqual([
      'exposure `erase` (exposures/klaviyo.yml): config.meta.klaviyo is a deletion sync, which takes only `object`, `model`, `key`, `identity`, `phone_region`; remove `properties`, `on_remove`.',
      'exposure `nobody` (exposures/klaviyo.yml): config.meta.klaviyo.identity must NOT have fewer than 1 properties.',
    ]);
  });

  it('checks an exposure as far as it goes, not only up to its first problem', () => {
    const m = manifest({
      ...exposure('profiles', {
        ...profileBlock,
        colour: 'red',
        scope: { suppressions: 'no_such_model', exclude: ['suppressed'] },
        after: 'nowhere',
      }),
      ...exposure('list', {
        object: 'list_membership',
        key: 'person_id',
        identity: { email: 'email' },
        list: { name: 'Winback' },
        after: 'profiles',
      }),
    });
    const { specs, problems, checks } = buildSpecs(m, null);
    expect(problems).toEqual([
      'exposure `profiles` (exposures/klaviyo.yml): config.meta.klaviyo has an unknown key `colour`.',
      'exposure `profiles` (exposures/klaviyo.yml): config.meta.klaviyo.scope.suppressions names `no_such_model`, which is not a built model in this project.',
      'exposure `profiles` (exposures/klaviyo.yml): config.meta.klaviyo.after names `nowhere`, which is not a sync exposure.',
    ]);
    // `list` waits for a sync that exists but has problems of its own: nothing more to say about it.
    expect(specs.map((s) => s.name)).toEqual(['list']);
    // The invalid block's columns are still checked against the warehouse by `validate`.
    expect(checks.find((c) => c.name === 'profiles')?.columns).toEqual(['person_id', 'email', 'rfm_segment']);
  });

  it('takes an `after` whose sync is keyed by a column of another name: keys are matched by value', () => {
    // `person_id` and `customer_id` may hold the same ids; whether any key meets is a question of
    // the data, which the run asks (state/diff.ts, `afterNeverMet`).
    const m = manifest({
      ...exposure('profiles', { ...profileBlock, key: 'customer_id' }),
      ...exposure('list', {
        object: 'list_membership',
        key: 'person_id',
        identity: { email: 'email' },
        list: { name: 'Winback' },
        after: 'profiles',
      }),
    });
    const { specs, problems } = buildSpecs(m, null);
    expect(problems).toEqual([]);
    expect(specs.map((s) => s.name)).toEqual(['list', 'profiles']);
  });

  it('refuses a model whose last build failed', () => {
    const m = manifest(exposure('p', profileBlock));
    const { problems } = buildSpecs(m, {
      invocationId: 'x',
      status: new Map([['model.shop.klaviyo__profiles', 'error']]),
    });
    expect(problems).toEqual([
      'exposure `p` (exposures/klaviyo.yml): model `klaviyo__profiles` did not build in the last dbt run (status error); fix it and run `dbt build` again.',
    ]);
  });
});

describe('manifest strings that reach SQL', () => {
  it('refuses a relation_name that is not identifiers, and rebuilds one that is', () => {
    const hostile = manifest(exposure('k', profileBlock), {
      'model.shop.klaviyo__profiles': {
        unique_id: 'model.shop.klaviyo__profiles',
        name: 'klaviyo__profiles',
        resource_type: 'model',
        package_name: 'shop',
        original_file_path: 'models/klaviyo__profiles.sql',
        relation_name: "(select 1 as person_id, read_text('/etc/hostname') as email)",
        config: { materialized: 'table' },
      },
    });
    const { specs, problems } = buildSpecs(hostile, null);
    expect(specs).toEqual([]);
    expect(problems).toEqual([
      `exposure \`k\` (exposures/klaviyo.yml): model \`klaviyo__profiles\` has relation_name "(select 1 as person_id, read_text('/etc/hostname') as email)" is not a relation name (unexpected "(select 1 as person_"); dbt writes database.schema.identifier, each part a plain or double-quoted identifier. Run \`dbt parse\` again.`,
    ]);
    expect(buildSpecs(manifest(exposure('k', profileBlock)), null).specs[0]!.model.relationName).toBe(
      '"db"."main"."klaviyo__profiles"',
    );
  });

  it('refuses a suppressions model whose relation_name is not identifiers', () => {
    const m = manifest(
      exposure('k', { ...profileBlock, scope: { suppressions: 'supp', exclude: ['suppressed'] } }),
      {
        'model.shop.supp': {
          unique_id: 'model.shop.supp',
          name: 'supp',
          resource_type: 'model',
          package_name: 'shop',
          original_file_path: 'models/supp.sql',
          relation_name: '"db"."main"."supp" union all select * from secrets',
          config: { materialized: 'table' },
        },
      },
    );
    expect(buildSpecs(m, null).problems[0]).toContain(
      'the suppressions model `supp` has relation_name "\\"db\\".\\"main\\".\\"supp\\" union all select * from secrets" is not a relation name',
    );
  });

  it('refuses a phone_region without a telephone numbering plan, which would drop every national number', () => {
    const with_ = (phone_region: string) =>
      buildSpecs(manifest(exposure('k', { ...profileBlock, phone_region })), null).problems;
    expect(with_('GB')).toEqual([]);
    expect(with_('XX')).toEqual([
      'exposure `k` (exposures/klaviyo.yml): config.meta.klaviyo.phone_region "XX" is not a region with a telephone numbering plan; use the ISO 3166-1 alpha-2 code of one, such as US, GB or DE.',
    ]);
  });

  it('reads the latest version of a versioned suppressions model, as ref() does', () => {
    const version = (v: number, latest: number | null) => ({
      [`model.shop.supp.v${v}`]: {
        unique_id: `model.shop.supp.v${v}`,
        name: 'supp',
        resource_type: 'model',
        package_name: 'shop',
        original_file_path: `models/supp_v${v}.sql`,
        relation_name: `"db"."main"."supp_v${v}"`,
        version: v,
        latest_version: latest,
        config: { materialized: 'table' },
      },
    });
    const scoped = exposure('k', {
      ...profileBlock,
      scope: { suppressions: 'supp', exclude: ['suppressed'] },
    });
    const read = (nodes: Record<string, unknown>) =>
      buildSpecs(manifest(scoped, nodes), null).checks[0]?.suppressions?.relationName;
    // latest_version names 2, though a version 3 exists (a pre-release).
    expect(read({ ...version(1, 2), ...version(2, 2), ...version(3, 2) })).toBe('"db"."main"."supp_v2"');
    // No latest_version: the highest.
    expect(read({ ...version(1, null), ...version(2, null) })).toBe('"db"."main"."supp_v2"');
  });

  it('refuses exposure names dbt would refuse', () => {
    for (const name of ['my sync', "x'; drop table y; --", 'a.b']) {
      expect(buildSpecs(manifest(exposure(name, profileBlock)), null).problems).toEqual([
        `exposure \`${name}\` (exposures/klaviyo.yml): the exposure name may hold only letters, digits, underscores and hyphens, as dbt requires; rename it.`,
      ]);
    }
    expect(buildSpecs(manifest(exposure('émoi-ok_1', profileBlock)), null).problems).toEqual([]);
  });
});

describe('selection', () => {
  const m = manifest({
    ...exposure('winback', {
      object: 'list_membership',
      key: 'person_id',
      identity: { email: 'email' },
      list: { name: 'Winback' },
      after: 'profiles',
    }),
    ...exposure('profiles', profileBlock, { config: { meta: { klaviyo: profileBlock }, tags: ['crm'] } }),
  });
  const { specs } = buildSpecs(m, null);

  it('orders a sync after the one it waits for', () => {
    expect(selectSpecs(specs, [], []).map((s) => s.name)).toEqual(['profiles', 'winback']);
  });
  it('selects by name, tag and model, and excludes', () => {
    expect(selectSpecs(specs, ['tag:crm'], []).map((s) => s.name)).toEqual(['profiles']);
    expect(selectSpecs(specs, ['klaviyo__profiles'], ['profiles']).map((s) => s.name)).toEqual(['winback']);
  });
  it('names an unknown selector and the syncs there are', () => {
    expect(() => selectSpecs(specs, ['nope'], [])).toThrow(
      'No sync matches `nope`. Syncs in this project: profiles, winback.',
    );
  });
});
