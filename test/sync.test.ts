/**
 * End to end, as a user runs it: real dbt build on DuckDB (a temp copy of the demo project), the
 * sandbox over HTTP, the real CLI. Every request the runner sends is checked against Klaviyo's
 * official OpenAPI description.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../runner/sandbox/server.ts';
import { queryDuckDb } from './helpers/duckdb.ts';
import { copyDemoProject, runCli, runDbt } from './helpers/dbt.ts';
import { assertAllValid } from './helpers/openapi-contract.ts';
import { writesSince } from './helpers/sandbox.ts';

const query = queryDuckDb;

describe('klaviyo-runner sync against the sandbox', () => {
  let project: string;
  let db: string;
  let sandbox: RunningSandbox;
  let env: NodeJS.ProcessEnv;
  const model = async (sql: string) => query(db, sql);

  beforeAll(async () => {
    project = await copyDemoProject();
    db = path.join(project, 'target', 'demo.duckdb');
    const built = await runDbt(project, ['build']);
    if (built.code !== 0) throw new Error(`dbt build failed:\n${built.stdout}`);
    sandbox = await startSandbox({ rateLimits: 'klaviyo', jobDelayMs: 50 });
    env = {
      KLAVIYO_BASE_URL: sandbox.url,
      KLAVIYO_API_KEY: 'pk_test_e2e_secret_key',
      KLAVIYO_RUNNER_DUCKDB: db,
    };
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('lands exactly what the models say, with every request valid for Klaviyo', async () => {
    const first = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
    // Five demo profiles carry a 555-01xx phone no numbering plan has: each is sent by its email
    // without the phone, and the dropped field is reported for its row.
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout + first.stderr).not.toContain('pk_test_e2e_secret_key');
    expect(first.stdout).toContain('klaviyo_profiles_rfm (profile ← klaviyo__profiles): success');
    expect(first.stdout).toMatch(/profiles {3}570 created, 0 updated, 0 unchanged, 0 removed/);
    expect(first.stdout).toContain('dropped    5 field(s) left out of rows that were sent');
    expect(first.stdout).toContain(
      'C00023 [phone_number]: phone_number dropped: "+15550105738" is not a valid phone number',
    );

    const [counts] = await model(`select
      (select count(*) from main.klaviyo__profiles) as profiles,
      (select count(*) from main.klaviyo__placed_order_events) as placed,
      (select count(*) from main.klaviyo__ordered_product_events) as ordered,
      (select count(*) from main.klaviyo__winback_list_members) as winback`);
    const state = sandbox.inspect();
    const byMetric = (name: string) => state.events.filter((e) => e.metric === name);
    expect(byMetric('Placed Order')).toHaveLength(Number(counts!.placed));
    expect(byMetric('Ordered Product')).toHaveLength(Number(counts!.ordered));
    // The first load of a history is a backfill: no flow fires for old orders.
    expect(byMetric('Placed Order').every((e) => e.backfill)).toBe(true);
    // Cancelled and refunded orders follow their Placed Order with Klaviyo's lifecycle events.
    const [lifecycle] = await model(`select
      (select count(*) from main.klaviyo__fulfilled_order_events) as fulfilled,
      (select count(*) from main.klaviyo__cancelled_order_events) as cancelled,
      (select count(*) from main.klaviyo__refunded_order_events) as refunded,
      (select count(*) from main.klaviyo__started_checkout_events) as checkouts,
      (select count(*) from main.klaviyo__viewed_product_events) as views,
      (select count(*) from main.klaviyo__added_to_cart_events) as adds`);
    expect(byMetric('Fulfilled Order')).toHaveLength(Number(lifecycle!.fulfilled));
    expect(byMetric('Cancelled Order')).toHaveLength(Number(lifecycle!.cancelled));
    expect(byMetric('Refunded Order')).toHaveLength(Number(lifecycle!.refunded));
    const refund = byMetric('Refunded Order').find((e) => e.uniqueId === 'SO-102119:refunded')!;
    expect(refund.properties.OrderId).toBe('SO-102119');
    expect(Date.parse(refund.datetime)).toBe(Date.UTC(2025, 8, 10, 23, 36, 54));

    const results = JSON.parse(
      await readFile(path.join(project, 'target', 'klaviyo_run_results.json'), 'utf8'),
    ) as {
      results: {
        sync: string;
        status: string;
        counts: Record<string, number>;
        rejected: { key: string; column?: string; reason: string }[];
        left_out_by_model: { key: string; reason_code: string | null; reason: string }[];
        left_out_by_reason: Record<string, number>;
        dropped_fields: { key: string; column: string; reason: string }[];
      }[];
    };
    const profilesResult = results.results.find((r) => r.sync === 'klaviyo_profiles_rfm')!;
    expect(profilesResult.counts.created).toBe(Number(counts!.profiles));
    expect(profilesResult.counts.rejected).toBe(0);
    expect(profilesResult.counts.fields_dropped).toBe(5);
    expect(
      profilesResult.dropped_fields.every(
        (r) => r.column === 'phone_number' && /not a valid phone number/.test(r.reason),
      ),
    ).toBe(true);
    for (const { key } of profilesResult.dropped_fields) {
      const sent = state.profiles.find((p) => p.external_id === key)!;
      expect(sent.email, key).not.toBeNull();
      expect(sent.phone_number ?? null, key).toBeNull();
    }

    // Every order the models left out is in the results of the sync it would have gone to.
    const placedResult = results.results.find((r) => r.sync === 'klaviyo_placed_orders')!;
    expect(placedResult.counts.left_out_by_model).toBe(230);
    expect(placedResult.left_out_by_model).toHaveLength(230);
    expect(placedResult.left_out_by_model.find((r) => r.key === 'SO-102119')).toEqual({
      key: 'SO-102119',
      reason_code: 'duplicate_order',
      reason: 'order_id appears 2 times in the orders input; one copy was kept (the one changed last)',
    });
    expect(placedResult.left_out_by_reason.future_order).toBe(1);
    expect(first.stdout).toMatch(
      /left out {3}230 by the dbt models, in klaviyo__rejected_rows \(person_unresolved 220, lines_not_shippable 7, duplicate_order 1, future_order 1, no_lines 1\)/,
    );

    // A profile carries the model's values, with RFM as custom properties.
    const [row] = await model(`select * from main.klaviyo__profiles where person_id = 'C00002'`);
    const profile = state.profiles.find((p) => p.external_id === 'C00002')!;
    expect(profile.email).toBe(row!.email);
    expect(profile.properties.rfm_segment).toBe(row!.rfm_segment);
    expect(profile.properties.predicted_ltv).toBe(Number(row!.predicted_ltv));
    expect(profile.location.city).toBe(row!.city);

    // A Placed Order carries its Items with Klaviyo's keys and a deterministic unique_id.
    const [order] = await model(
      `select event_id, value, properties from main.klaviyo__placed_order_events order by event_id limit 1`,
    );
    const event = byMetric('Placed Order').find((e) => e.uniqueId === order!.event_id)!;
    expect(event.value).toBe(Number(order!.value));
    const items = event.properties.Items as Record<string, unknown>[];
    expect(items.length).toBeGreaterThan(0);
    expect(Object.keys(items[0]!)).toEqual(
      expect.arrayContaining(['ProductName', 'SKU', 'Quantity', 'ItemPrice', 'RowTotal']),
    );

    // The winback list holds exactly the members the model lists, minus scope, with profile sync first.
    const winback = state.lists.find((l) => l.name === 'Winback')!;
    const scoped = await model(`select count(*) as n from main.klaviyo__winback_list_members m
      where not exists (select 1 from main.klaviyo__suppressions s where s.email = m.email and (s.is_suppressed or s.email_consent in ('UNSUBSCRIBED', 'NEVER_SUBSCRIBED')))
      `);
    expect(winback.profileIds).toHaveLength(Number(scoped[0]!.n));

    const seen = assertAllValid(sandbox.requests().filter((r) => r.status < 300));
    // Paced to Klaviyo's published limits (runner/klaviyo/pacing.ts; its test pins the spacing on
    // the runner's clock). The stand-in counts a request when it arrives, and a loaded machine can
    // bring two closer than they were sent: then the burst window refuses one, the tier's spacing
    // widens and the request is retried, counted once among the successes below.
    const throttled = sandbox.requests().filter((r) => r.status === 429);
    expect(throttled.length).toBeLessThanOrEqual(2);
    for (const r of throttled) expect(JSON.stringify(r.responseBody)).toContain('available in 1 second');
    expect(seen.bulk_import_profiles).toBe(1);
    expect(seen.bulk_create_events).toBe(
      [
        counts!.placed,
        counts!.ordered,
        lifecycle!.fulfilled,
        lifecycle!.cancelled,
        lifecycle!.refunded,
        lifecycle!.checkouts,
        lifecycle!.views,
        lifecycle!.adds,
      ]
        .map((n) => Math.ceil(Number(n) / 1000))
        .reduce((a, b) => a + b, 0),
    );
  });

  it('sends nothing that changes Klaviyo on a second run', async () => {
    const before = sandbox.requests().length;
    const second = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
    expect(second.code, second.stderr).toBe(0);
    // The phones dropped on the first run went with rows Klaviyo confirmed: not reported again.
    expect(second.stdout).not.toContain('dropped ');
    const writes = writesSince(sandbox, before);
    expect(writes).toEqual([]);
  });

  it('plans and sends exactly one change after one seed row changes, field by field', async () => {
    const seed = path.join(project, 'seeds', 'demo', 'demo_customers.csv');
    const text = await readFile(seed, 'utf8');
    const line = text.split('\n').find((l) => l.startsWith('C00002,'))!;
    const cells = line.split(',');
    const oldName = cells[2]!;
    cells[2] = 'Leonora';
    await writeFile(seed, text.replace(line, cells.join(',')));
    expect((await runDbt(project, ['build'])).code).toBe(0);

    const planned = await runCli(
      ['plan', '--project-dir', project, '--format', 'json', '--select', 'klaviyo_profiles_rfm'],
      env,
    );
    expect(planned.code, planned.stderr).toBe(0);
    const plan = JSON.parse(planned.stdout) as {
      syncs: {
        counts: Record<string, number>;
        examples: { key: string; fields: { field: string; before: unknown; after: unknown }[] }[];
      }[];
    };
    expect(plan.syncs[0]!.counts, JSON.stringify(plan.syncs[0]!.examples)).toMatchObject({
      create: 0,
      update: 1,
      remove: 0,
    });
    expect(plan.syncs[0]!.examples).toEqual([
      { kind: 'update', key: 'C00002', fields: [{ field: 'first_name', before: oldName, after: 'Leonora' }] },
    ]);

    const before = sandbox.requests().length;
    const synced = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
    expect(synced.code, synced.stderr).toBe(0);
    const writes = writesSince(sandbox, before);
    expect(writes.map((w) => w.operationId)).toEqual(['bulk_import_profiles']);
    const sent = (
      writes[0]!.body as {
        data: { attributes: { profiles: { data: { attributes: Record<string, unknown> }[] } } };
      }
    ).data.attributes.profiles.data;
    expect(sent).toHaveLength(1);
    expect(sent[0]!.attributes.first_name).toBe('Leonora');
    expect(sandbox.inspect().profiles.find((p) => p.external_id === 'C00002')!.attributes.first_name).toBe(
      'Leonora',
    );
  });

  it('takes a member off the list and clears a property and attributes that became null', async () => {
    const [member] = await model(`select person_id from main.klaviyo__winback_list_members m
      where exists (select 1 from klaviyo_runner.snapshot s where s.sync = 'klaviyo_winback_list' and s.key = m.person_id) order by 1 limit 1`);
    const leaving = String(member!.person_id);
    const winbackSql = path.join(project, 'models', 'klaviyo', 'klaviyo__winback_list_members.sql');
    await writeFile(
      winbackSql,
      (await readFile(winbackSql, 'utf8')).replace(
        'and not coalesce(suppressions.is_suppressed, false)',
        `and not coalesce(suppressions.is_suppressed, false)\n        and profiles.person_id <> '${leaving}'`,
      ),
    );
    const profilesSql = path.join(project, 'models', 'klaviyo', 'klaviyo__profiles.sql');
    const nullFor = (column: string) =>
      `case when persons.person_id = 'C00003' then null else ${column} end as ${column.split('.')[1]!},`;
    await writeFile(
      profilesSql,
      (await readFile(profilesSql, 'utf8'))
        .replace('rfm.predicted_ltv,', nullFor('rfm.predicted_ltv'))
        .replace('persons.first_name,', nullFor('persons.first_name'))
        .replace('persons.city,', nullFor('persons.city')),
    );
    const held = sandbox.inspect().profiles.find((p) => p.external_id === 'C00003')!;
    expect(held.attributes.first_name).toEqual(expect.any(String));
    expect(held.location.city).toEqual(expect.any(String));
    expect((await runDbt(project, ['build'])).code).toBe(0);

    const before = sandbox.requests().length;
    const synced = await runCli(['sync', '--project-dir', project, '--no-progress'], env);
    expect(synced.code, synced.stderr).toBe(0);
    const writes = writesSince(sandbox, before);
    expect(writes.map((w) => w.operationId).sort()).toEqual([
      'bulk_import_profiles',
      'remove_profiles_from_list',
      'update_profile',
    ]);
    const state = sandbox.inspect();
    const leaver = state.profiles.find((p) => p.external_id === leaving)!;
    expect(state.lists.find((l) => l.name === 'Winback')!.profileIds).not.toContain(leaver.id);
    // One PATCH clears all three: bulk import cannot clear a value.
    const cleared = state.profiles.find((p) => p.external_id === 'C00003')!;
    expect(cleared.properties).not.toHaveProperty('predicted_ltv');
    expect(cleared.attributes).not.toHaveProperty('first_name');
    expect(cleared.location).not.toHaveProperty('city');
    assertAllValid(sandbox.requests().slice(before));
  });

  it('reports an event row removed from its model once, not on every later run', async () => {
    const [gone] = await model(
      `select event_id from main.klaviyo__placed_order_events order by event_id limit 1`,
    );
    const orderId = String(gone!.event_id);
    const placedSql = path.join(project, 'models', 'klaviyo', 'klaviyo__placed_order_events.sql');
    const join = '    inner join order_items on order_items.order_id = orders.order_id';
    await writeFile(
      placedSql,
      (await readFile(placedSql, 'utf8')).replace(join, `${join}\n    where orders.order_id <> '${orderId}'`),
    );
    expect((await runDbt(project, ['build'])).code).toBe(0);
    const select = ['--select', 'klaviyo_placed_orders'];
    const planRemovals = async () => {
      const planned = await runCli(['plan', '--project-dir', project, '--format', 'json', ...select], env);
      expect(planned.code, planned.stderr).toBe(0);
      return (JSON.parse(planned.stdout) as { syncs: { counts: { remove: number } }[] }).syncs[0]!.counts
        .remove;
    };
    expect(await planRemovals()).toBe(1);

    const before = sandbox.requests().length;
    const synced = await runCli(['sync', '--project-dir', project, '--no-progress', ...select], env);
    expect(synced.code, synced.stderr).toBe(0);
    expect(synced.stdout).toContain('1 left the model (Klaviyo keeps them; reported once)');
    // Klaviyo keeps the event: nothing is sent for it.
    expect(writesSince(sandbox, before)).toEqual([]);

    expect(await planRemovals()).toBe(0);
    const again = await runCli(['sync', '--project-dir', project, '--no-progress', ...select], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).not.toContain('left the model');
  });

  it("extracts Klaviyo's profiles, consent, lists and events back into the warehouse, then only what changed", async () => {
    const first = await runCli(['extract', '--project-dir', project], env);
    expect(first.code, first.stderr).toBe(0);
    const state = sandbox.inspect();
    const [counts] = await query(
      db,
      `select
      (select count(*)::integer from klaviyo_source.profiles) as profiles,
      (select count(*)::integer from klaviyo_source.events) as events,
      (select count(*)::integer from klaviyo_source.list_members m join klaviyo_source.lists l on l.id = m.list_id where l.name = 'Winback') as winback`,
    );
    expect(counts).toEqual({
      profiles: state.profiles.length,
      events: state.events.length,
      winback: state.lists.find((l) => l.name === 'Winback')!.profileIds.length,
    });
    const [order] = await query(
      db,
      `select cast(value as double) as value from klaviyo_source.events e join klaviyo_source.metrics m on m.id = e.metric_id where m.name = 'Placed Order' order by datetime limit 1`,
    );
    expect(typeof order!.value).toBe('number');

    const before = sandbox.requests().length;
    const again = await runCli(['extract', '--project-dir', project], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/profiles 0,/);
    const requests = sandbox.requests().slice(before);
    expect(requests.find((r) => r.operationId === 'get_profiles')!.query.filter).toMatch(
      /^greater-than\(updated,/,
    );
    assertAllValid(requests);
  });
});
