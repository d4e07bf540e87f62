/**
 * Started Checkout, Viewed Product and Added to Cart end to end: the package's models built by real
 * dbt on DuckDB from the demo's checkouts and web events, synced by the real CLI to the sandbox over
 * HTTP, every request checked against Klaviyo's OpenAPI description, and what Klaviyo holds
 * checked against the property names of Klaviyo's integration guide (docs/events.md). Then one
 * sync of both web metrics through `metric_column`, with profile properties riding along.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../runner/sandbox/server.ts';
import { copyDemoProject, runCli, runDbt } from './helpers/dbt.ts';
import { queryDuckDb } from './helpers/duckdb.ts';
import { assertAllValid } from './helpers/openapi-contract.ts';

/** The keys of every Items entry (Placed Order convention, built by klaviyo__order_items). */
const ITEM_KEYS = [
  'Categories',
  'ImageURL',
  'ItemPrice',
  'ProductID',
  'ProductName',
  'ProductURL',
  'Quantity',
  'RowTotal',
  'SKU',
];
const DOCUMENTED: Record<string, string[]> = {
  'Started Checkout': ['Categories', 'CheckoutURL', 'ItemNames', 'Items'],
  'Viewed Product': ['Categories', 'ImageURL', 'Price', 'ProductID', 'ProductName', 'SKU', 'URL'],
  'Added to Cart': [
    'AddedItemCategories',
    'AddedItemImageURL',
    'AddedItemPrice',
    'AddedItemProductID',
    'AddedItemProductName',
    'AddedItemQuantity',
    'AddedItemSKU',
    'AddedItemURL',
    'CheckoutURL',
    'ItemNames',
    'Items',
  ],
};
const SYNCS: Record<string, { sync: string; model: string }> = {
  'Started Checkout': { sync: 'klaviyo_started_checkouts', model: 'klaviyo__started_checkout_events' },
  'Viewed Product': { sync: 'klaviyo_viewed_products', model: 'klaviyo__viewed_product_events' },
  'Added to Cart': { sync: 'klaviyo_added_to_cart', model: 'klaviyo__added_to_cart_events' },
};

interface Results {
  results: {
    sync: string;
    counts: Record<string, number>;
    rejected: { key: string; column?: string; reason: string }[];
    left_out_by_model: { key: string; reason_code: string | null }[];
  }[];
}

describe('browse, cart and checkout events from the demo', () => {
  let project: string;
  let db: string;
  let sandbox: RunningSandbox;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    project = await copyDemoProject();
    // One more model and sync: both web metrics in one model, its metric in a column, with the
    // person's RFM segment and first name riding along on the profile.
    await writeFile(
      path.join(project, 'models', 'klaviyo', 'web_events_with_segment.sql'),
      `with events as (
    select event_id, email, external_id, occurred_at, value, value_currency, properties, 'Viewed Product' as metric_name
    from {{ ref('klaviyo__viewed_product_events') }}
    union all
    select event_id, email, external_id, occurred_at, value, value_currency, properties, 'Added to Cart'
    from {{ ref('klaviyo__added_to_cart_events') }}
)
select events.*, profiles.first_name, profiles.rfm_segment
from events
left join {{ ref('klaviyo__profiles') }} as profiles on profiles.person_id = events.external_id
`,
    );
    const exposures = path.join(project, 'exposures', 'klaviyo.yml');
    await writeFile(
      exposures,
      `${await readFile(exposures, 'utf8')}
  - name: web_events_with_segment
    type: application
    owner: { name: Test }
    depends_on: [ref('web_events_with_segment')]
    config:
      meta:
        klaviyo:
          object: event
          metric_column: metric_name
          key: event_id
          identity: { email: email, external_id: external_id }
          time: occurred_at
          value: value
          value_currency: value_currency
          properties_json: properties
          profile: { attributes: { first_name: first_name }, properties: [rfm_segment] }
`,
    );
    const built = await runDbt(project, ['build']);
    if (built.code !== 0) throw new Error(`dbt build failed:\n${built.stdout}`);
    db = path.join(project, 'target', 'demo.duckdb');
    sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 20 });
    env = { KLAVIYO_BASE_URL: sandbox.url, KLAVIYO_API_KEY: 'pk_ecommerce_events' };
  }, 600_000);
  afterAll(async () => {
    await sandbox?.close();
  });

  it('sends each event with the properties Klaviyo documents; what cannot be sent is left out by name', async () => {
    const ran = await runCli(
      [
        'sync',
        '--project-dir',
        project,
        '--no-progress',
        '--select',
        ...Object.values(SYNCS).map((s) => s.sync),
      ],
      env,
    );
    expect(ran.code, ran.stderr).toBe(0);
    const results = JSON.parse(
      await readFile(path.join(project, 'target', 'klaviyo_run_results.json'), 'utf8'),
    ) as Results;
    const state = sandbox.inspect();
    // Each input row is one event in Klaviyo, or a row the models left out with its reason.
    const [inputs] = (await queryDuckDb(
      db,
      `select
        (select count(distinct checkout_id)::integer from main.stg_demo__checkouts) as checkouts,
        (select count(*)::integer from main.stg_demo__web_events where event_type = 'viewed_product') as views,
        (select count(*)::integer from main.stg_demo__web_events where event_type = 'added_to_cart') as adds`,
    )) as [{ checkouts: number; views: number; adds: number }];
    const inputOf: Record<string, number> = {
      'Started Checkout': inputs.checkouts,
      'Viewed Product': inputs.views,
      'Added to Cart': inputs.adds,
    };

    for (const [metric, { sync, model }] of Object.entries(SYNCS)) {
      const result = results.results.find((r) => r.sync === sync)!;
      const [{ n }] = (await queryDuckDb(db, `select count(*)::integer as n from main.${model}`)) as [
        { n: number },
      ];
      const events = state.events.filter((e) => e.metric === metric);
      expect(events.length, metric).toBe(n);
      expect(events.length, metric).toBeGreaterThan(0);
      expect(result.counts.rejected, metric).toBe(0);
      expect(events.length + Number(result.counts.left_out_by_model), metric).toBe(inputOf[metric]);
      // The first load is a backfill: no flow fires on history.
      expect(events.every((e) => e.backfill)).toBe(true);
      for (const e of events) {
        expect(Object.keys(e.properties).sort(), `${metric} ${e.uniqueId}`).toEqual(
          expect.arrayContaining(
            DOCUMENTED[metric]!.filter((k) => k !== 'Categories' && k !== 'AddedItemCategories'),
          ),
        );
        expect(typeof e.value, `${metric} ${e.uniqueId}`).toBe('number');
        const items = e.properties.Items as Record<string, unknown>[] | undefined;
        for (const item of items ?? []) expect(Object.keys(item).sort()).toEqual(ITEM_KEYS);
        const names = items === undefined ? e.properties.ItemNames : items.map((i) => i.ProductName);
        expect(e.properties.ItemNames).toEqual(names);
      }
    }

    // One of each, property by property, against the model row it came from.
    const checkout = state.events.find(
      (e) => e.metric === 'Started Checkout' && e.uniqueId.startsWith('CHK-50002_'),
    )!;
    expect(checkout.uniqueId).toBe('CHK-50002_1793011843');
    expect(checkout.properties).toMatchObject({
      CheckoutURL: 'https://shop.example.com/checkouts/chk-50002',
      ItemNames: ['Wool Cap', 'Merino Socks 3-Pack'],
      Categories: ['Accessories'],
    });
    expect(checkout.value).toBe(56);
    expect(checkout.valueCurrency).toBe('USD');
    expect(Date.parse(checkout.datetime)).toBe(Date.UTC(2026, 9, 26, 10, 50, 43));
    const profileOf = (id: string) => state.profiles.find((p) => p.id === id)!;
    expect(profileOf(checkout.profileId).external_id).toBe('C00007');

    const view = state.events.find((e) => e.metric === 'Viewed Product' && e.uniqueId === 'WEB-900003')!;
    expect(view.properties).toEqual({
      ProductName: 'Selvedge Denim',
      ProductID: 'P-PNT-DNM',
      SKU: 'PNT-DNM-IND',
      Categories: ['Bottoms'],
      ImageURL: 'https://shop.example.com/images/PNT-DNM-IND.jpg',
      URL: 'https://shop.example.com/products/P-PNT-DNM',
      Price: 118,
    });
    expect(view.value).toBe(118);

    // An add to a cart that already held a hoodie: the cart after the add, and its total as value.
    const add = state.events.find((e) => e.metric === 'Added to Cart' && e.uniqueId === 'WEB-900259')!;
    expect(add.properties).toMatchObject({
      AddedItemProductName: 'Selvedge Denim',
      AddedItemPrice: 118,
      AddedItemQuantity: 1,
      ItemNames: ['Fleece Hoodie', 'Selvedge Denim'],
      CheckoutURL: 'https://shop.example.com/cart',
    });
    expect(add.value).toBe(192);

    // What the models left out, by reason: visitors no one can name, emails Klaviyo would refuse,
    // the checkout with an unparseable price, the web event exported twice.
    const reasons = (sync: string) =>
      [
        ...new Set(results.results.find((r) => r.sync === sync)!.left_out_by_model.map((r) => r.reason_code)),
      ].sort();
    expect(reasons('klaviyo_started_checkouts')).toEqual([
      'invalid_email',
      'lines_not_shippable',
      'no_identifier',
    ]);
    expect(reasons('klaviyo_viewed_products')).toEqual(['invalid_email', 'no_identifier']);
    expect(reasons('klaviyo_added_to_cart')).toEqual([
      'duplicate_web_event',
      'invalid_email',
      'no_identifier',
    ]);
    assertAllValid(sandbox.requests().filter((r) => r.status < 300));

    // Run again: nothing to send.
    const again = await runCli(
      [
        'plan',
        '--project-dir',
        project,
        '--format',
        'json',
        '--select',
        ...Object.values(SYNCS).map((s) => s.sync),
      ],
      env,
    );
    const plan = JSON.parse(again.stdout) as { totals: { send: number } };
    expect(plan.totals.send).toBe(0);
  }, 300_000);

  it('sends one model of two metrics under each row’s metric, with profile properties riding along', async () => {
    sandbox.reset();
    const ran = await runCli(
      ['sync', '--project-dir', project, '--no-progress', '--select', 'web_events_with_segment'],
      env,
    );
    expect(ran.code, ran.stderr).toBe(0);
    const state = sandbox.inspect();
    const [counts] = (await queryDuckDb(
      db,
      `select count(*) filter (where metric_name = 'Viewed Product')::integer as views,
              count(*) filter (where metric_name = 'Added to Cart')::integer as adds
       from main.web_events_with_segment`,
    )) as [{ views: number; adds: number }];
    const results = JSON.parse(
      await readFile(path.join(project, 'target', 'klaviyo_run_results.json'), 'utf8'),
    ) as Results;
    expect(results.results[0]!.counts.rejected).toBe(0);
    const views = state.events.filter((e) => e.metric === 'Viewed Product').length;
    const adds = state.events.filter((e) => e.metric === 'Added to Cart').length;
    expect({ views, adds }).toEqual(counts);
    expect(views).toBeGreaterThan(0);
    expect(adds).toBeGreaterThan(0);

    // The profile properties rode along: the person's RFM segment and first name are on the profile.
    const people = (await queryDuckDb(
      db,
      `select distinct external_id, first_name, rfm_segment from main.web_events_with_segment
       where external_id is not null and rfm_segment is not null order by 1 limit 20`,
    )) as { external_id: string; first_name: string; rfm_segment: string }[];
    expect(people.length).toBeGreaterThan(0);
    for (const p of people) {
      const profile = state.profiles.find((x) => x.external_id === p.external_id);
      expect(profile, p.external_id).toBeDefined();
      expect(profile!.properties.rfm_segment, p.external_id).toBe(p.rfm_segment);
      expect(profile!.attributes.first_name, p.external_id).toBe(p.first_name);
    }
    assertAllValid(sandbox.requests().filter((r) => r.status < 300));
  }, 300_000);
});
