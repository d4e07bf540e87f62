import { describe, expect, it } from 'vitest';
import type { KlaviyoSyncConfig, SyncSpec } from '../manifest/spec.ts';
import type { RowChange } from '../state/changes.ts';
import { buildEvent } from './event.ts';
import { bulkEventsBody } from '../klaviyo/events.ts';
import type { EventPayload } from './payload.ts';

function eventSpec(config: Partial<KlaviyoSyncConfig>): SyncSpec {
  return {
    name: 'web_events',
    exposureId: 'exposure.unit.web_events',
    yamlPath: 'models/unit/exposures.yml',
    tags: [],
    config: {
      object: 'event',
      key: 'id',
      identity: { email: 'email', external_id: 'person_id' },
      time: 'at',
      properties_json: 'properties',
      ...config,
    },
    model: {
      uniqueId: 'model.unit.web_events',
      name: 'web_events',
      relationName: '"db"."main"."web_events"',
      materialized: 'table',
      originalFilePath: 'models/unit/web_events.sql',
    },
    rejectedRowsRelations: [],
    withheldFieldsRelations: [],
  };
}

const change = (row: Record<string, unknown>): RowChange => ({
  kind: 'create',
  key: String(row.id),
  hash: 'h',
  row,
  previous: null,
  profileId: null,
});

const item = { ProductName: 'Tee', SKU: 'T-1', Quantity: 1, ItemPrice: 28 };
const viewed = { ProductName: 'Tee', ProductID: 'P-1', URL: 'https://shop.example.com/p/1' };
const added = {
  AddedItemProductName: 'Tee',
  ItemNames: ['Tee'],
  Items: [item],
  CheckoutURL: 'https://shop.example.com/cart',
};
const row = (over: Record<string, unknown>) => ({
  id: 'W-1',
  email: 'ann@example.com',
  person_id: 'C1',
  at: '2026-09-01 10:00:00',
  ...over,
});
const where = { sync: 'web_events', model: 'web_events' };

describe('an event sync whose metric comes from a column', () => {
  const spec = eventSpec({ metric_column: 'event_name' });

  it('sends each row under its own metric, trimmed', () => {
    const a = buildEvent(spec, change(row({ event_name: ' Viewed Product ', properties: viewed })));
    const b = buildEvent(spec, change(row({ id: 'W-2', event_name: 'Added to Cart', properties: added })));
    expect(a).toMatchObject({ ok: true, payload: { metric: 'Viewed Product', uniqueId: 'W-1' } });
    expect(b).toMatchObject({ ok: true, payload: { metric: 'Added to Cart', uniqueId: 'W-2' } });
  });

  it('rejects a row whose metric column is empty, too long or not text, naming the column', () => {
    for (const [name, reason] of [
      [null, 'metric name is empty'],
      ['   ', 'metric name is empty'],
      ['x'.repeat(128), 'metric name is 128 characters; Klaviyo takes fewer than 128'],
      [42, 'metric name must be text, not the number 42'],
    ] as const)
      expect(buildEvent(spec, change(row({ event_name: name, properties: viewed })))).toEqual({
        ok: false,
        rejection: { ...where, key: 'W-1', column: 'event_name', reason },
      });
  });

  it("applies each row's metric rules: an Added to Cart without its cart is refused, a custom metric is not", () => {
    expect(
      buildEvent(
        spec,
        change(row({ event_name: 'Added to Cart', properties: { AddedItemProductName: 'Tee' } })),
      ),
    ).toEqual({
      ok: false,
      rejection: {
        ...where,
        key: 'W-1',
        column: 'properties',
        reason:
          'properties.Items is missing; Added to Cart events need AddedItemProductName, Items, ItemNames',
      },
    });
    // An empty cart is said to be empty, not missing.
    expect(
      buildEvent(
        spec,
        change(row({ event_name: 'Added to Cart', properties: { AddedItemProductName: 'Tee', Items: [] } })),
      ),
    ).toMatchObject({
      ok: false,
      rejection: {
        reason:
          'properties.Items is empty ([]); Added to Cart events need AddedItemProductName, Items, ItemNames',
      },
    });
    expect(
      buildEvent(
        spec,
        change(row({ event_name: 'Wishlisted', properties: { AddedItemProductName: 'Tee' } })),
      ),
    ).toMatchObject({ ok: true, payload: { metric: 'Wishlisted' } });
  });

  it('gives the same rules to a constant metric', () => {
    const constant = eventSpec({ metric: 'Started Checkout' });
    expect(
      buildEvent(constant, change(row({ properties: { Items: [item], ItemNames: ['Tee'] } }))),
    ).toMatchObject({
      ok: false,
      rejection: {
        column: 'properties',
        reason: expect.stringMatching(/^properties\.CheckoutURL is missing/) as string,
      },
    });
    expect(
      buildEvent(
        constant,
        change(row({ properties: { Items: [item], ItemNames: ['Tee'], CheckoutURL: '/checkout' } })),
      ),
    ).toMatchObject({
      ok: false,
      rejection: { reason: 'properties.CheckoutURL must be an http(s) URL, not "/checkout"' },
    });
    expect(
      buildEvent(
        constant,
        change(
          row({ properties: { Items: [item], ItemNames: ['Tee', 7], CheckoutURL: 'https://s.example/c' } }),
        ),
      ),
    ).toMatchObject({ ok: false, rejection: { reason: 'properties.ItemNames[1] must be text, not 7' } });
  });
});

describe('profile properties riding along with an event', () => {
  const spec = eventSpec({
    metric: 'Viewed Product',
    identity: { email: 'email', phone_number: 'phone', external_id: 'person_id' },
    profile: { attributes: { first_name: 'first_name', city: 'city' }, properties: ['rfm_segment'] },
  });

  it('sends the attributes and properties the block names inside the profile, read as a profile sync reads them', () => {
    const built = buildEvent(
      spec,
      change(
        row({
          email: ' Ann@Example.com ',
          phone: '1-800-FLOWERS',
          first_name: ' Ann ',
          city: 'Boston',
          rfm_segment: 'champions',
          properties: viewed,
        }),
      ),
    );
    expect(built).toMatchObject({
      ok: true,
      payload: {
        profile: {
          email: 'ann@example.com',
          external_id: 'C1',
          first_name: 'Ann',
          location: { city: 'Boston' },
          properties: { rfm_segment: 'champions' },
        },
      },
      // The same rule as a profile sync: an invalid phone next to a valid email is dropped and reported.
      dropped: [{ column: 'phone' }],
    });
    const payload = (built as { payload: EventPayload }).payload;
    const body = JSON.parse(bulkEventsBody([payload], false)) as {
      data: { attributes: { 'events-bulk-create': { data: { attributes: { profile: unknown } }[] } } };
    };
    expect(body.data.attributes['events-bulk-create'].data[0]!.attributes.profile).toEqual({
      data: { type: 'profile', attributes: payload.profile },
    });
  });

  it('refuses a profile property whose name Klaviyo cannot segment on, naming it, for every row', () => {
    const bad = eventSpec({ metric: 'Viewed Product', profile: { properties: ['rfm.segment'] } });
    expect(buildEvent(bad, change(row({ properties: viewed })))).toMatchObject({
      ok: false,
      rejection: { column: 'rfm.segment' },
    });
  });

  it('keeps events of one person with different ride-along values in separate entries', () => {
    const a = buildEvent(spec, change(row({ rfm_segment: 'new', properties: viewed })));
    const b = buildEvent(spec, change(row({ id: 'W-2', rfm_segment: 'loyal', properties: viewed })));
    const c = buildEvent(spec, change(row({ id: 'W-3', rfm_segment: 'loyal', properties: viewed })));
    const payloads = [a, b, c].map((r) => (r as { payload: EventPayload }).payload);
    const body = JSON.parse(bulkEventsBody(payloads, false)) as {
      data: {
        attributes: { 'events-bulk-create': { data: { attributes: { events: { data: unknown[] } } }[] } };
      };
    };
    expect(
      body.data.attributes['events-bulk-create'].data.map((e) => e.attributes.events.data.length),
    ).toEqual([1, 2]);
  });

  it('sends the identity alone without the block', () => {
    const plain = eventSpec({ metric: 'Viewed Product' });
    expect(buildEvent(plain, change(row({ first_name: 'Ann', properties: viewed })))).toMatchObject({
      ok: true,
      payload: { profile: { email: 'ann@example.com', external_id: 'C1' } },
    });
    const built = buildEvent(plain, change(row({ first_name: 'Ann', properties: viewed })));
    expect((built as { payload: EventPayload }).payload.profile).not.toHaveProperty('first_name');
  });
});
