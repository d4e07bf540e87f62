import { describe, expect, it } from 'vitest';
import { change, spec } from '../../test/fixtures/specs.ts';
import { buildPayload } from './build.ts';
import { eventUniqueId } from './event.ts';

const profileSpec = spec({
  object: 'profile',
  identity: { email: 'email', phone_number: 'phone', external_id: 'id' },
  attributes: { first_name: 'first_name', city: 'city', country: 'country' },
  properties: ['rfm_segment', 'predicted_ltv', 'first_order_at'],
});

const orderSpec = spec({
  object: 'event',
  metric: 'Placed Order',
  time: 'ordered_at',
  value: 'total',
  value_currency: 'currency',
  properties_json: 'properties',
});

const order = (over: Record<string, unknown> = {}) => ({
  id: 'SO-1',
  email: 'a@example.com',
  ordered_at: '2025-03-01 10:00:00',
  total: '$1,204.50',
  currency: 'usd',
  properties: JSON.stringify({
    OrderId: 'SO-1',
    Items: [{ ProductName: 'Tee', SKU: 'T-1', Quantity: 1, ItemPrice: '28.00' }],
  }),
  ...over,
});

describe('profile payloads', () => {
  it('normalises identity, nests location, keeps only allowlisted properties', () => {
    const built = buildPayload(
      profileSpec,
      change({
        id: 'C1',
        email: ' Ann@Example.com ',
        phone: '020 7946 0564',
        first_name: 'Ann',
        city: 'London',
        country: 'GB',
        rfm_segment: 'loyal',
        predicted_ltv: 120.5,
        first_order_at: '2025-01-02 03:04:05',
        secret: 'x',
      }),
    );
    expect(built).toEqual({
      ok: true,
      payload: {
        key: 'C1',
        attributes: {
          email: 'ann@example.com',
          phone_number: '+442079460564',
          external_id: 'C1',
          first_name: 'Ann',
          location: { city: 'London', country: 'GB' },
          properties: { rfm_segment: 'loyal', predicted_ltv: 120.5, first_order_at: '2025-01-02T03:04:05Z' },
        },
        unsetProperties: [],
        bytes: expect.any(Number) as number,
      },
    });
  });

  it('lists a property that was synced and is now null, since bulk import cannot clear it', () => {
    const built = buildPayload(
      profileSpec,
      change({ id: 'C1', email: 'a@example.com', rfm_segment: null }, { id: 'C1', rfm_segment: 'loyal' }),
    );
    expect(built.ok && 'unsetProperties' in built.payload && built.payload.unsetProperties).toEqual([
      'rfm_segment',
    ]);
  });

  it('clears a property whose column left the allowlist', () => {
    const built = buildPayload(
      profileSpec,
      change(
        { id: 'C1', email: 'a@example.com', rfm_segment: 'loyal' },
        { id: 'C1', email: 'a@example.com', rfm_segment: 'loyal', churn_risk: 0.4 },
      ),
    );
    expect(built.ok && 'unsetProperties' in built.payload && built.payload.unsetProperties).toEqual([
      'churn_risk',
    ]);
  });

  it('rejects a row naming the column and the reason', () => {
    expect(buildPayload(profileSpec, change({ id: 'C2', email: 'not-an-email' }))).toEqual({
      ok: false,
      rejection: {
        sync: 'test_sync',
        model: 'm',
        key: 'C2',
        column: 'email',
        reason: '"not-an-email" is not a valid email address',
      },
    });
    const badKey = spec({ object: 'profile', properties: ['rfm segment'] });
    expect(
      buildPayload(badKey, change({ id: 'C3', email: 'a@example.com', 'rfm segment': 'x' })),
    ).toMatchObject({
      ok: false,
      rejection: {
        column: 'rfm segment',
        reason: 'property key "rfm segment" contains a space, dot or bracket',
      },
    });
    const noId = buildPayload(profileSpec, change({ id: null, email: null, phone: null }));
    expect(noId).toMatchObject({
      ok: false,
      rejection: { reason: 'no identifier: email, phone, id are all empty' },
    });
  });

  it('rejects a profile over 100 KB', () => {
    const big = spec({ object: 'profile', properties: ['notes'] });
    expect(
      buildPayload(big, change({ id: 'C4', email: 'a@example.com', notes: 'x'.repeat(110 * 1024) })),
    ).toMatchObject({
      ok: false,
      rejection: { reason: 'profile is 111 KB; Klaviyo accepts at most 100 KB' },
    });
  });
});

describe('event payloads', () => {
  it('builds a Placed Order with a numeric value, typed Items and a deterministic unique_id', () => {
    const built = buildPayload(orderSpec, change(order()));
    expect(built).toMatchObject({
      ok: true,
      payload: {
        key: 'SO-1',
        uniqueId: 'SO-1',
        metric: 'Placed Order',
        time: '2025-03-01T10:00:00Z',
        value: 1204.5,
        valueCurrency: 'USD',
        profile: { email: 'a@example.com', external_id: 'SO-1' },
        properties: {
          OrderId: 'SO-1',
          Items: [{ ProductName: 'Tee', SKU: 'T-1', Quantity: 1, ItemPrice: 28 }],
        },
      },
    });
  });

  it('rejects values and items that are not numbers, naming where', () => {
    expect(buildPayload(orderSpec, change(order({ total: 'abc' })))).toMatchObject({
      ok: false,
      rejection: { column: 'total', reason: 'value "abc" is not a number' },
    });
    const badItem = order({
      properties: JSON.stringify({
        Items: [{ ProductName: 'Tee', SKU: 'T-1', Quantity: 1, ItemPrice: 'N/A' }],
      }),
    });
    expect(buildPayload(orderSpec, change(badItem))).toMatchObject({
      ok: false,
      rejection: { column: 'properties', reason: 'properties.Items[0].ItemPrice "N/A" is not a number' },
    });
    const noSku = order({
      properties: JSON.stringify({ Items: [{ ProductName: 'Tee', Quantity: 1, ItemPrice: 1 }] }),
    });
    expect(buildPayload(orderSpec, change(noSku))).toMatchObject({
      ok: false,
      rejection: { reason: 'properties.Items[0].SKU is missing' },
    });
    expect(buildPayload(orderSpec, change(order({ ordered_at: '1999-12-31 23:59:59' })))).toMatchObject({
      ok: false,
      rejection: {
        column: 'ordered_at',
        reason: 'event time 1999-12-31T23:59:59Z is before 2000, which Klaviyo refuses',
      },
    });
  });

  it('derives unique ids from the key, hashing keys Klaviyo would not take', () => {
    expect(eventUniqueId('SO-1-2')).toBe('SO-1-2');
    expect(eventUniqueId('SO-1-2')).toBe(eventUniqueId('SO-1-2'));
    expect(eventUniqueId('x'.repeat(300))).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(eventUniqueId('order with spaces')).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('list member payloads', () => {
  const listSpec = spec({
    object: 'list_membership',
    list: { name: 'Winback' },
    identity: { email: 'email', phone_number: 'phone' },
    subscribe: { channels: ['email'], consent: 'consent', consented_at: 'consented_at' },
  });

  it('subscribes only rows that gave consent', () => {
    expect(
      buildPayload(
        listSpec,
        change({ id: 'P1', email: 'a@example.com', consent: true, consented_at: '2025-01-01 00:00:00' }),
      ),
    ).toMatchObject({
      ok: true,
      payload: {
        key: 'P1',
        profile: { email: 'a@example.com' },
        subscribe: { channels: ['email'], consentedAt: '2025-01-01T00:00:00Z' },
      },
    });
    const noConsent = buildPayload(listSpec, change({ id: 'P2', email: 'b@example.com', consent: false }));
    expect(noConsent.ok && 'subscribe' in noConsent.payload).toBe(false);
  });

  it('refuses SMS consent without a phone', () => {
    const sms = spec({
      object: 'list_membership',
      list: { id: 'L1' },
      identity: { email: 'email', phone_number: 'phone' },
      subscribe: { channels: ['sms'], consent: 'consent' },
    });
    expect(buildPayload(sms, change({ id: 'P3', email: 'c@example.com', consent: 'yes' }))).toMatchObject({
      ok: false,
      rejection: { reason: 'SMS consent needs a valid phone_number' },
    });
  });
});
