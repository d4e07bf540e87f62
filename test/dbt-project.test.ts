/**
 * The dbt half: the demo project builds green on DuckDB with exact counts and its manifest holds
 * the four syncs, each valid against the one exposure schema; and a shop's own project that
 * installs the package builds the Klaviyo models from its own sources, without the demo.
 */
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../runner/manifest/read.ts';
import { buildSpecs } from '../runner/manifest/specs.ts';
import { queryDuckDb } from './helpers/duckdb.ts';
import { copyDemoProject, repoRoot, run, runCli, runDbt } from './helpers/dbt.ts';
import { readValueCases } from './helpers/value-cases.ts';

const rows = queryDuckDb;

describe('the demo dbt project', () => {
  // A 164-node dbt build, then queries: more than the default timeout on a busy machine.
  it('builds green with the demo data and declares ten valid syncs', async () => {
    const project = await copyDemoProject();
    const built = await runDbt(project, ['build']);
    expect(built.code, built.stdout).toBe(0);
    // The two warnings: the demo exports list an order and a web event twice, resolved and
    // reported, not fatal.
    expect(built.stdout).toMatch(/WARN 1 klaviyo_single_copy_int_klaviyo__orders_copies/);
    expect(built.stdout).toMatch(/WARN 1 klaviyo_single_copy_int_klaviyo__web_events_copies/);
    expect(built.stdout).toMatch(/Done\. PASS=168 WARN=2 ERROR=0 SKIP=0/);
    const db = path.join(project, 'target', 'demo.duckdb');
    const [counts] = await rows(
      db,
      `select
      (select count(*)::integer from main.demo_customers) as crm_rows,
      (select count(*)::integer from main.demo_orders) as orders,
      (select count(*)::integer from main.demo_order_lines) as lines,
      (select count(*)::integer from main.klaviyo__profiles) as profiles,
      (select count(*)::integer from main.klaviyo__placed_order_events) as placed,
      (select count(*)::integer from main.klaviyo__ordered_product_events) as ordered,
      (select count(*)::integer from main.klaviyo__winback_list_members) as winback,
      (select count(*)::integer from main.klaviyo__fulfilled_order_events) as fulfilled,
      (select count(*)::integer from main.klaviyo__cancelled_order_events) as cancelled,
      (select count(*)::integer from main.klaviyo__refunded_order_events) as refunded,
      (select count(*)::integer from main.klaviyo__started_checkout_events) as started_checkouts,
      (select count(*)::integer from main.klaviyo__viewed_product_events) as viewed_products,
      (select count(*)::integer from main.klaviyo__added_to_cart_events) as added_to_cart`,
    );
    expect(counts).toEqual({
      crm_rows: 596,
      orders: 2122,
      lines: 6105,
      profiles: 570,
      placed: 1892,
      ordered: 5467,
      winback: 139,
      fulfilled: 1796,
      cancelled: 96,
      refunded: 68,
      started_checkouts: 85,
      viewed_products: 484,
      added_to_cart: 176,
    });
    // Nothing is dropped silently: every row is in the model it feeds or a rejected row for that
    // model with its reason.
    const reasons = await rows(
      db,
      `select model, reason_code, count(*)::integer as n from main.klaviyo__rejected_rows group by all order by all`,
    );
    expect(reasons).toEqual([
      { model: 'klaviyo__added_to_cart_events', reason_code: 'duplicate_web_event', n: 1 },
      { model: 'klaviyo__added_to_cart_events', reason_code: 'invalid_email', n: 10 },
      { model: 'klaviyo__added_to_cart_events', reason_code: 'no_identifier', n: 15 },
      { model: 'klaviyo__cancelled_order_events', reason_code: 'person_unresolved', n: 9 },
      { model: 'klaviyo__fulfilled_order_events', reason_code: 'future_order', n: 1 },
      { model: 'klaviyo__fulfilled_order_events', reason_code: 'lines_not_shippable', n: 7 },
      { model: 'klaviyo__fulfilled_order_events', reason_code: 'no_lines', n: 1 },
      { model: 'klaviyo__fulfilled_order_events', reason_code: 'person_unresolved', n: 211 },
      { model: 'klaviyo__ordered_product_events', reason_code: 'order_not_shippable', n: 24 },
      { model: 'klaviyo__ordered_product_events', reason_code: 'person_unresolved', n: 607 },
      { model: 'klaviyo__ordered_product_events', reason_code: 'unit_price_not_a_number', n: 7 },
      { model: 'klaviyo__placed_order_events', reason_code: 'duplicate_order', n: 1 },
      { model: 'klaviyo__placed_order_events', reason_code: 'future_order', n: 1 },
      { model: 'klaviyo__placed_order_events', reason_code: 'lines_not_shippable', n: 7 },
      { model: 'klaviyo__placed_order_events', reason_code: 'no_lines', n: 1 },
      { model: 'klaviyo__placed_order_events', reason_code: 'person_unresolved', n: 220 },
      { model: 'klaviyo__profiles', reason_code: 'invalid_email', n: 21 },
      { model: 'klaviyo__profiles', reason_code: 'no_email', n: 45 },
      { model: 'klaviyo__profiles', reason_code: 'shared_email', n: 5 },
      { model: 'klaviyo__refunded_order_events', reason_code: 'lines_not_shippable', n: 1 },
      { model: 'klaviyo__refunded_order_events', reason_code: 'person_unresolved', n: 8 },
      { model: 'klaviyo__started_checkout_events', reason_code: 'invalid_email', n: 4 },
      { model: 'klaviyo__started_checkout_events', reason_code: 'lines_not_shippable', n: 1 },
      { model: 'klaviyo__started_checkout_events', reason_code: 'no_identifier', n: 11 },
      { model: 'klaviyo__viewed_product_events', reason_code: 'invalid_email', n: 22 },
      { model: 'klaviyo__viewed_product_events', reason_code: 'no_identifier', n: 43 },
    ]);
    const [unexplained] = await rows(
      db,
      `select
      (select count(distinct order_id)::integer from main.demo_orders
        where order_id not in (select event_id from main.klaviyo__placed_order_events)
          and order_id not in (select key from main.klaviyo__rejected_rows where model = 'klaviyo__placed_order_events')) as orders,
      (select count(*)::integer from main.demo_order_lines
        where order_id || '-' || line_number not in (select event_id from main.klaviyo__ordered_product_events)
          and order_id || '-' || line_number not in (select key from main.klaviyo__rejected_rows where model = 'klaviyo__ordered_product_events')) as lines,
      (select count(*)::integer from main.int_klaviyo__persons
        where person_id not in (select person_id from main.klaviyo__profiles)
          and person_id not in (select key from main.klaviyo__rejected_rows where model = 'klaviyo__profiles')) as people,
      (select count(*)::integer from main.int_klaviyo__checkouts
        where event_id not in (select event_id from main.klaviyo__started_checkout_events)
          and event_id not in (select key from main.klaviyo__rejected_rows where model = 'klaviyo__started_checkout_events')) as checkouts,
      (select count(*)::integer from main.demo_web_events
        where event_id not in (select event_id from main.klaviyo__viewed_product_events)
          and event_id not in (select event_id from main.klaviyo__added_to_cart_events)
          and event_id not in (select key from main.klaviyo__rejected_rows where entity = 'web_event')) as web_events`,
    );
    expect(unexplained).toEqual({ orders: 0, lines: 0, people: 0, checkouts: 0, web_events: 0 });
    // The order typed as 2062 is rejected, not the reference date of everyone's RFM.
    expect(
      await rows(
        db,
        `select reason from main.klaviyo__rejected_rows where model = 'klaviyo__placed_order_events' and key = 'SO-TYPO'`,
      ),
    ).toEqual([
      {
        reason:
          'ordered_at 2062-06-14 11:05:00 is in the future (after 2026-10-31 14:32:46, klaviyo__future_tolerance_hours = 24); a typo in the date?',
      },
    ]);

    const manifest = JSON.parse(await readFile(path.join(project, 'target', 'manifest.json'), 'utf8')) as {
      exposures: Record<string, { name: string; config: { meta: { klaviyo: unknown } } }>;
    };
    const schema = JSON.parse(
      await readFile(path.join(repoRoot, 'schema', 'klaviyo-sync.schema.json'), 'utf8'),
    ) as object;
    const validate = new Ajv2020({ strict: false }).compile(schema);
    const exposures = Object.values(manifest.exposures);
    expect(exposures.map((e) => e.name).sort()).toEqual([
      'klaviyo_added_to_cart',
      'klaviyo_cancelled_orders',
      'klaviyo_fulfilled_orders',
      'klaviyo_ordered_products',
      'klaviyo_placed_orders',
      'klaviyo_profiles_rfm',
      'klaviyo_refunded_orders',
      'klaviyo_started_checkouts',
      'klaviyo_viewed_products',
      'klaviyo_winback_list',
    ]);
    for (const e of exposures)
      expect(validate(e.config.meta.klaviyo), JSON.stringify(validate.errors)).toBe(true);
  }, 300_000);

  it('regenerates byte-identical seeds from the committed generator', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kr-seeds-'));
    await cp(path.join(repoRoot, 'scripts'), path.join(dir, 'scripts'), { recursive: true });
    await cp(path.join(repoRoot, 'seeds'), path.join(dir, 'seeds'), { recursive: true });
    const ran = await run(
      process.execPath,
      ['--import', 'tsx', path.join(dir, 'scripts', 'generate-demo-seeds.ts')],
      { cwd: repoRoot },
    );
    expect(ran.code, ran.stderr).toBe(0);
    for (const file of [
      'demo_customers.csv',
      'demo_orders.csv',
      'demo_order_lines.csv',
      'demo_klaviyo_suppressions.csv',
      'demo_checkouts.csv',
      'demo_web_events.csv',
    ]) {
      expect(await readFile(path.join(dir, 'seeds', 'demo', file), 'utf8')).toBe(
        await readFile(path.join(repoRoot, 'seeds', 'demo', file), 'utf8'),
      );
    }
  });
});

describe('a project installing the package', () => {
  // Three dbt invocations (deps, build, parse) and a plan: more than the default timeout on a busy machine.
  it('builds the Klaviyo models from its own sources and none of the demo', async () => {
    const project = await mkdtemp(path.join(os.tmpdir(), 'kr-consumer-'));
    await cp(path.join(repoRoot, 'test', 'dbt'), project, { recursive: true });
    await writeFile(path.join(project, 'packages.yml'), `packages:\n  - local: ${repoRoot}\n`);
    const dbt = path.join(repoRoot, '.venv', 'bin', 'dbt');
    const env = {
      DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
      KLAVIYO_CONSUMER_DUCKDB: path.join(project, 'target', 'consumer.duckdb'),
    };
    expect(
      (await run(dbt, ['deps', '--profiles-dir', project, '--project-dir', project], { cwd: project, env }))
        .code,
    ).toBe(0);
    const built = await run(dbt, ['build', '--profiles-dir', project, '--project-dir', project], {
      cwd: project,
      env,
    });
    // The shop's exports list orders 1001 and 2005 twice: the package keeps one copy of each and
    // warns, instead of a unique test failing the whole build. Its suppression list flags one email "oui", which the
    // boolean rule refuses: the email counts as suppressed, and the build warns.
    expect(built.code, built.stdout).toBe(0);
    expect(built.stdout).toMatch(/WARN 2 klaviyo_single_copy_int_klaviyo__orders_copies/);
    expect(built.stdout).toMatch(/WARN 1 klaviyo_no_problem_klaviyo__suppressions_is_suppressed_problem/);
    expect(built.stdout).toMatch(/WARN=2 ERROR=0 SKIP=0/);
    const db = path.join(project, 'target', 'consumer.duckdb');
    expect(
      await rows(
        db,
        `select email, is_suppressed, is_suppressed_problem from main.klaviyo__suppressions order by 1`,
      ),
    ).toEqual([
      { email: 'jo@example.com', is_suppressed: false, is_suppressed_problem: null },
      { email: 'sam@example.com', is_suppressed: true, is_suppressed_problem: 'not_a_boolean' },
    ]);
    expect(
      await rows(
        db,
        `select person_id, email, phone_number, order_count::integer as order_count from main.klaviyo__profiles order by 1`,
      ),
    ).toEqual([
      { person_id: '1', email: 'jo@example.com', phone_number: '+12125552368', order_count: 2 },
      { person_id: '2', email: 'sam@example.com', phone_number: null, order_count: 2 },
    ]);
    expect(
      await rows(
        db,
        `select event_id, cast(value as double) as value from main.klaviyo__placed_order_events order by 1`,
      ),
    ).toEqual([
      { event_id: '1001', value: 120 },
      { event_id: '1002', value: 80.5 },
      { event_id: '1003', value: 40 },
      // The EU store says it writes a decimal comma (its staging model's decimal_mark), so its
      // "1.234,50" is 1234.5 and its "1,234" is 1.234, where the US store's would be ambiguous.
      { event_id: '2001', value: 1234.5 },
      { event_id: '2002', value: 1.234 },
      { event_id: '2004', value: 20 },
      { event_id: '2005', value: 30 },
    ]);
    // 2005's copies were changed on 10.04.2025 and 02.05.2025: read day first, the cancelled copy
    // is the newer one (its text would sort first), so the cancellation is sent.
    expect(
      await rows(
        db,
        `select event_id, strftime(cancelled_at, '%Y-%m-%dT%H:%M:%SZ') as cancelled_at
        from main.klaviyo__cancelled_order_events order by 1`,
      ),
    ).toEqual([{ event_id: '2005:cancelled', cancelled_at: '2025-05-02T09:00:00Z' }]);
    expect(
      await rows(
        db,
        `select count(*)::integer as n from information_schema.tables where table_name like 'demo_%' or table_name like 'stg_demo__%'`,
      ),
    ).toEqual([{ n: 0 }]);
    // Sam's CRM versions are dated day first (12.01.2025, then 02.03.2025): read as times, the
    // March version is the newest, where the text would sort January last.
    expect(await rows(db, `select email from main.klaviyo__profiles where person_id = '2'`)).toEqual([
      { email: 'sam@example.com' },
    ]);
    // Product links: the EU store's own, as its export gives them; the US store's built on
    // klaviyo__store_url from the product id, its case kept (macros/klaviyo__url.sql).
    expect(
      await rows(
        db,
        `select order_id, product_url, image_url from main.int_klaviyo__order_lines where order_id in ('1001', '2001') order by 1`,
      ),
    ).toEqual([
      {
        order_id: '1001',
        product_url: 'https://consumer.example.com/products/TEE-1',
        image_url: 'https://consumer.example.com/images/TEE-1.jpg',
      },
      {
        order_id: '2001',
        product_url: 'https://eu.consumer.example.com/p/TEE-1?lang=de',
        image_url: 'https://consumer.example.com/images/TEE-1.jpg',
      },
    ]);
    // Links (macros/klaviyo__url.sql): the tee's image is its CDN's own; the others are built, their
    // case kept (the encoding of other characters is pinned by the value case table).
    const store = 'https://consumer.example.com';
    const tee = 'https://cdn.consumer.example.com/tee-1.jpg?v=2';
    const cap = `${store}/products/CAP-1`;
    expect(
      await rows(db, `select event_id, product_url, image_url from main.int_klaviyo__web_events order by 1`),
    ).toEqual([
      { event_id: 'W1', product_url: `${store}/products/TEE-1`, image_url: tee },
      { event_id: 'W2', product_url: `${store}/products/TEE-1`, image_url: tee },
      { event_id: 'W3', product_url: cap, image_url: `${store}/images/CAP-1.jpg` },
      { event_id: 'W4', product_url: cap, image_url: `${store}/images/CAP-1.jpg` },
      { event_id: 'W5', product_url: cap, image_url: `${store}/images/CAP-1.jpg` },
      { event_id: 'W6', product_url: cap, image_url: `${store}/images/CAP-1.jpg` },
    ]);
    // The EU store's checkouts and web events give times and quantities as text: each is read by
    // the package's rules (day first, ISO with an offset, Unix seconds; a decimal comma), and
    // what cannot be read is a rejected row below, never a guess.
    const iso = (column: string): string => `strftime(${column}, '%Y-%m-%dT%H:%M:%SZ')`;
    expect(
      await rows(
        db,
        `select event_id, ${iso('started_at')} as started_at, value,
          list_transform(cast(json_extract(properties, '$.Items') as json[]), i -> cast(i->>'Quantity' as integer)) as quantities
        from main.klaviyo__started_checkout_events order by 1`,
      ),
    ).toEqual([
      { event_id: 'K1_1743672600', started_at: '2025-04-03T09:30:00Z', value: 45, quantities: [2, 1] },
      { event_id: 'K2_1743843600', started_at: '2025-04-05T09:00:00Z', value: 20, quantities: [1] },
    ]);
    expect(
      await rows(
        db,
        `select event_id, ${iso('occurred_at')} as occurred_at, value from main.klaviyo__viewed_product_events order by 1`,
      ),
    ).toEqual([{ event_id: 'W1', occurred_at: '2025-04-02T08:00:00Z', value: 12.5 }]);
    // The adds of CART-2 whose quantity cannot be read are not in the cart of the one after them.
    expect(
      await rows(
        db,
        `select event_id, ${iso('occurred_at')} as occurred_at, value,
          cast(json_extract(properties, '$.AddedItemQuantity') as integer) as quantity,
          json_array_length(json_extract(properties, '$.Items'))::integer as items
        from main.klaviyo__added_to_cart_events order by 1`,
      ),
    ).toEqual([
      { event_id: 'W2', occurred_at: '2025-04-02T10:05:00Z', value: 25, quantity: 2, items: 1 },
      { event_id: 'W6', occurred_at: '2025-04-13T10:07:00Z', value: 60, quantity: 3, items: 1 },
    ]);
    // The manifest of a project that installs the package, read the way the runner reads any
    // user's manifest: the package's models under the package's name, no syncs declared.
    const manifestPath = path.join(project, 'target', 'manifest.json');
    const manifest = parseManifest(await readFile(manifestPath, 'utf8'), manifestPath);
    expect(manifest.nodes['model.klaviyo_runner.klaviyo__profiles']?.relation_name).toBe(
      '"consumer"."main"."klaviyo__profiles"',
    );
    expect(buildSpecs(manifest, null)).toEqual({ specs: [], problems: [], checks: [] });
    // Every order that does not reach Klaviyo is a rejected row naming the model and key it would
    // have fed. The shop has no refunded_at column: its refunded order's event has no time.
    expect(
      await rows(db, `select model, key, reason_code from main.klaviyo__rejected_rows order by 1, 2, 3`),
    ).toEqual([
      // "two" is no number and "1,5" no whole one: the add is left out, and out of later carts.
      { model: 'klaviyo__added_to_cart_events', key: 'W4', reason_code: 'quantity_not_a_number' },
      { model: 'klaviyo__added_to_cart_events', key: 'W5', reason_code: 'quantity_not_whole' },
      // 31.04.2025 is no day either: the cancellation is reported, the order still sent as placed.
      {
        model: 'klaviyo__cancelled_order_events',
        key: '2004:cancelled',
        reason_code: 'cancelled_at_invalid_date',
      },
      { model: 'klaviyo__ordered_product_events', key: '1004-1', reason_code: 'person_unresolved' },
      { model: 'klaviyo__ordered_product_events', key: '1005-1', reason_code: 'order_not_shippable' },
      { model: 'klaviyo__ordered_product_events', key: '2006-1', reason_code: 'order_not_shippable' },
      { model: 'klaviyo__placed_order_events', key: '1001', reason_code: 'duplicate_order' },
      { model: 'klaviyo__placed_order_events', key: '1004', reason_code: 'person_unresolved' },
      { model: 'klaviyo__placed_order_events', key: '1005', reason_code: 'future_order' },
      // The EU store's 31.02.2025 is no day: rejected by the timestamp rule, not rolled into March.
      { model: 'klaviyo__placed_order_events', key: '2003', reason_code: 'ordered_at_invalid_date' },
      { model: 'klaviyo__placed_order_events', key: '2005', reason_code: 'duplicate_order' },
      // 31.04.2025 is no day: 2006's copies cannot be ordered, so the order is not sent.
      { model: 'klaviyo__placed_order_events', key: '2006', reason_code: 'updated_at_invalid_date' },
      { model: 'klaviyo__profiles', key: '3', reason_code: 'no_email' },
      // Kim's only CRM version is dated 31.02.2025: her versions cannot be ordered, so no profile.
      { model: 'klaviyo__profiles', key: '4', reason_code: 'updated_at_invalid_date' },
      { model: 'klaviyo__refunded_order_events', key: '1003:refunded', reason_code: 'no_change_time' },
      // K3's "1,5" is no whole number, K5's quantity is negative, K6's empty: the checkout's line
      // cannot be sent. 31.04.2025 is no day: K4 has no start time to key its event by.
      { model: 'klaviyo__started_checkout_events', key: 'K3_1743854400', reason_code: 'lines_not_shippable' },
      { model: 'klaviyo__started_checkout_events', key: 'K4', reason_code: 'started_at_invalid_date' },
      { model: 'klaviyo__started_checkout_events', key: 'K5_1743940800', reason_code: 'lines_not_shippable' },
      { model: 'klaviyo__started_checkout_events', key: 'K6_1744027200', reason_code: 'lines_not_shippable' },
      // The tracker's order of day and month is not known: 02/04/2025 is refused, not guessed.
      { model: 'klaviyo__viewed_product_events', key: 'W3', reason_code: 'occurred_at_ambiguous_date_order' },
    ]);
    // Each checkout line names its own reason in its checkout's.
    expect(
      await rows(
        db,
        `select entity_key, reason from main.klaviyo__rejected_rows
        where model = 'klaviyo__started_checkout_events' order by 1`,
      ),
    ).toEqual([
      {
        entity_key: 'K3',
        reason:
          '1 line(s) cannot be sent: quantity "1,5" cannot be read as a whole number (not_whole, docs/value-rules.md)',
      },
      {
        entity_key: 'K4',
        reason: 'started_at "31.04.2025 12:00" cannot be read as a time (invalid_date, docs/value-rules.md)',
      },
      { entity_key: 'K5', reason: '1 line(s) cannot be sent: quantity is negative' },
      { entity_key: 'K6', reason: '1 line(s) cannot be sent: quantity is empty' },
    ]);
    // RFM counts completed orders only, up to the run's date: the refunded order counts for nothing.
    expect(
      await rows(db, `select person_id, order_count::integer as n from main.int_klaviyo__rfm order by 1`),
    ).toEqual([
      { person_id: '1', n: 2 },
      { person_id: '2', n: 2 },
      { person_id: '3', n: 1 },
    ]);

    // The shop declares a sync of the package's Placed Order model: its plan names the orders
    // the models left out, read from the package's klaviyo__rejected_rows through the manifest.
    await writeFile(
      path.join(project, 'models', 'klaviyo_syncs.yml'),
      `version: 2
exposures:
  - name: shop_placed_orders
    type: application
    owner: { name: Shop }
    depends_on: [ref('klaviyo__placed_order_events')]
    config:
      meta:
        klaviyo: { object: event, metric: Placed Order, key: event_id, identity: { email: email }, time: ordered_at, value: value, properties_json: properties }
`,
    );
    expect(
      (await run(dbt, ['parse', '--profiles-dir', project, '--project-dir', project], { cwd: project, env }))
        .code,
    ).toBe(0);
    const planned = await runCli(
      ['plan', '--project-dir', project, '--profiles-dir', project, '--format', 'json'],
      env,
    );
    expect(planned.code, planned.stderr).toBe(0);
    const plan = JSON.parse(planned.stdout) as {
      syncs: {
        sync: string;
        counts: { create: number; leftOutByModel: number };
        leftOutByModel: unknown[];
      }[];
    };
    expect(plan.syncs).toHaveLength(1);
    expect(plan.syncs[0]!.counts).toMatchObject({ create: 7, leftOutByModel: 6 });
    expect(plan.syncs[0]!.leftOutByModel).toEqual([
      {
        key: '1001',
        reason_code: 'duplicate_order',
        reason: 'order_id appears 2 times in the orders input; one copy was kept (the one changed last)',
      },
      {
        key: '1004',
        reason_code: 'person_unresolved',
        reason: 'placed by 3, who has no Klaviyo profile: no email in any source',
      },
      expect.objectContaining({ key: '1005', reason_code: 'future_order' }),
      {
        key: '2003',
        reason_code: 'ordered_at_invalid_date',
        reason: 'ordered_at "31.02.2025 10:00" cannot be read as a time (invalid_date, docs/value-rules.md)',
      },
      expect.objectContaining({ key: '2005', reason_code: 'duplicate_order' }),
      {
        key: '2006',
        reason_code: 'updated_at_invalid_date',
        reason: 'updated_at "31.04.2025 08:00" cannot be read as a time (invalid_date, docs/value-rules.md)',
      },
    ]);
    // The package's macros give every row of the shared value case table what it expects, as
    // the runner does (test/value-cases.test.ts); the build above ran tests/value_cases_match.sql.
    expect(built.stdout).toMatch(/PASS value_cases_match/);
    expect(
      await rows(
        db,
        `select count(*)::integer as cases, count(*) filter (where not matches)::integer as differing
        from main.value_case_results`,
      ),
    ).toEqual([{ cases: readValueCases().length, differing: 0 }]);
  }, 300_000);
});
