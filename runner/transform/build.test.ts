import { describe, expect, it } from 'vitest';
import type { KlaviyoSyncConfig, SyncSpec } from '../manifest/spec.ts';
import type { RowChange } from '../state/changes.ts';
import { objectOf } from '../objects/index.ts';
import { parseRow } from '../state/row-json.ts';
import { eventUniqueId } from './event.ts';
import type { BuildResult, EventPayload, ListMemberPayload, ProfilePayload } from './payload.ts';

/** A row's payload as the sync's object builds it. */
const buildPayload = (spec: SyncSpec, change: RowChange) =>
  objectOf(spec).build(spec, change) as BuildResult<ProfilePayload | EventPayload | ListMemberPayload>;

function syncSpec(config: Partial<KlaviyoSyncConfig> & Pick<KlaviyoSyncConfig, 'object'>): SyncSpec {
  return {
    name: 'unit_sync',
    exposureId: 'exposure.unit.unit_sync',
    yamlPath: 'models/unit/exposures.yml',
    tags: [],
    config: { key: 'id', identity: { email: 'email', external_id: 'id' }, ...config },
    model: {
      uniqueId: 'model.unit.unit_model',
      name: 'unit_model',
      relationName: '"db"."main"."unit_model"',
      materialized: 'table',
      originalFilePath: 'models/unit/unit_model.sql',
    },
    rejectedRowsRelations: [],
    withheldFieldsRelations: [],
  };
}

function rowChange(row: Record<string, unknown>, previous: Record<string, unknown> | null = null): RowChange {
  return {
    kind: previous === null ? 'create' : 'update',
    key: String(row.id),
    hash: 'hash',
    row,
    previous,
    profileId: null,
  };
}

const where = { sync: 'unit_sync', model: 'unit_model' };

describe('profile payloads', () => {
  const profileSpec = syncSpec({
    object: 'profile',
    identity: { email: 'email', phone_number: 'phone', external_id: 'id' },
    phone_region: 'US',
    attributes: { first_name: 'first_name', city: 'city', country: 'country' },
    properties: ['rfm_segment', 'predicted_ltv', 'first_order_at'],
  });

  it('sends a profile without a phone no numbering plan has when its email is valid, and reports the field', () => {
    const built = buildPayload(
      profileSpec,
      rowChange({ id: 'C9', email: 'ann@example.com', phone: '+1 555 010 5738', country: 'US' }),
    );
    expect(built).toMatchObject({
      ok: true,
      payload: { attributes: { email: 'ann@example.com', external_id: 'C9' } },
      dropped: [
        {
          column: 'phone',
          reason:
            'phone_number dropped: "+1 555 010 5738" is not a valid phone number: no number +15550105738 exists in the numbering plan of +1',
        },
      ],
    });
    expect(built.ok && (built.payload as ProfilePayload).attributes).not.toHaveProperty('phone_number');
  });

  it('rejects the row for an invalid phone when there is no valid email, or when the sync says reject_row', () => {
    const row = { id: 'C9', email: null, phone: '1-800-FLOWERS', country: 'United States' };
    expect(buildPayload(profileSpec, rowChange(row))).toMatchObject({
      ok: false,
      rejection: { key: 'C9', column: 'phone' },
    });
    const strict = syncSpec({ ...profileSpec.config, on_invalid_phone: 'reject_row' });
    expect(buildPayload(strict, rowChange({ ...row, email: 'ann@example.com' }))).toMatchObject({
      ok: false,
      rejection: { key: 'C9', column: 'phone' },
    });
  });

  it('reads a national phone in the country written as a name or alias', () => {
    const built = buildPayload(
      profileSpec,
      rowChange({ id: 'C8', email: 'bo@example.com', phone: '020 7946 0564', country: 'United Kingdom' }),
    );
    expect(built.ok ? (built.payload as ProfilePayload).attributes.phone_number : undefined).toBe(
      '+442079460564',
    );
  });

  it('normalises identity, nests location, keeps only allowlisted properties', () => {
    const built = buildPayload(
      profileSpec,
      rowChange({
        id: 'C1',
        email: ' Ann@Example.com ',
        phone: '020 7946 0564',
        first_name: ' Ann ',
        city: 'London',
        country: 'GB',
        rfm_segment: 'loyal',
        predicted_ltv: 120.5,
        first_order_at: '2025-01-02 03:04:05',
        secret: 'not in the allowlist',
      }),
    );
    const attributes = {
      email: 'ann@example.com',
      phone_number: '+442079460564',
      external_id: 'C1',
      first_name: 'Ann',
      location: { city: 'London', country: 'GB' },
      properties: { rfm_segment: 'loyal', predicted_ltv: 120.5, first_order_at: '2025-01-02T03:04:05Z' },
    };
    expect(built).toEqual({
      ok: true,
      payload: {
        key: 'C1',
        attributes,
        unsetProperties: [],
        unsetAttributes: [],
        // The entry the import job carries, and its bytes: what the 100 KB limit measures.
        json: JSON.stringify({ type: 'profile', attributes }),
        bytes: Buffer.byteLength(JSON.stringify({ type: 'profile', attributes })),
      },
    });
  });

  it('leaves out location and properties when the row has none', () => {
    expect(buildPayload(profileSpec, rowChange({ id: 'C9', email: 'z@example.com' }))).toMatchObject({
      ok: true,
      payload: { attributes: { email: 'z@example.com', external_id: 'C9' }, unsetProperties: [] },
    });
    const built = buildPayload(profileSpec, rowChange({ id: 'C9', email: 'z@example.com' }));
    expect(built.ok && 'attributes' in built.payload && Object.keys(built.payload.attributes)).toEqual([
      'email',
      'external_id',
    ]);
  });

  it('unsets a property that had a value and is now null, and only that one', () => {
    const built = buildPayload(
      profileSpec,
      rowChange(
        { id: 'C1', email: 'a@example.com', rfm_segment: null, predicted_ltv: null, first_order_at: null },
        { id: 'C1', email: 'a@example.com', rfm_segment: 'loyal', predicted_ltv: null },
      ),
    );
    expect(built).toMatchObject({ ok: true, payload: { unsetProperties: ['rfm_segment'] } });
    expect(built.ok && 'attributes' in built.payload && built.payload.attributes.properties).toBeUndefined();
  });

  it('leaves out a property whose text is empty or blank, and clears it when Klaviyo had a value', () => {
    const built = buildPayload(
      profileSpec,
      rowChange(
        {
          id: 'C1',
          email: 'a@example.com',
          rfm_segment: '',
          predicted_ltv: ' \t\u00a0',
          first_order_at: 'x',
        },
        { id: 'C1', email: 'a@example.com', rfm_segment: 'loyal', predicted_ltv: '' },
      ),
    );
    expect(built).toMatchObject({ ok: true, payload: { unsetProperties: ['rfm_segment'] } });
    expect(built.ok && 'attributes' in built.payload && built.payload.attributes.properties).toEqual({
      first_order_at: 'x',
    });
    // Text with something in it is a value, its spaces kept.
    const kept = buildPayload(
      profileSpec,
      rowChange({ id: 'C2', email: 'b@example.com', rfm_segment: ' a ' }),
    );
    expect(kept.ok && 'attributes' in kept.payload && kept.payload.attributes.properties).toEqual({
      rfm_segment: ' a ',
    });
  });

  it('clears a standard or location attribute that had a value and is now empty, and only that one', () => {
    const withLatitude = syncSpec({
      ...profileSpec.config,
      attributes: { ...profileSpec.config.attributes, latitude: 'lat' },
    });
    const built = buildPayload(
      withLatitude,
      rowChange(
        { id: 'C1', email: 'a@example.com', first_name: null, city: '  ', country: 'FR', lat: null },
        { id: 'C1', email: 'a@example.com', first_name: 'Al', city: 'Paris', country: null, lat: 48.85 },
      ),
    );
    expect(built).toMatchObject({
      ok: true,
      payload: { unsetAttributes: ['first_name', 'location.city', 'location.latitude'], unsetProperties: [] },
    });
  });

  it('refuses a date property the model stores as a date when it is no date Klaviyo can hold', () => {
    const dated: SyncSpec = { ...profileSpec, dateColumns: ['first_order_at'] };
    const built = (first_order_at: string, spec = dated) =>
      buildPayload(spec, rowChange({ id: 'C1', email: 'a@example.com', first_order_at }));
    const properties = (b: ReturnType<typeof built>) =>
      b.ok && 'attributes' in b.payload ? b.payload.attributes.properties : null;
    // What DuckDB writes in a row's JSON for a DATE or TIMESTAMP of infinity, BC or past 9999.
    for (const text of ['infinity', '-infinity', '0044-03-15 (BC)', '12000-01-01 00:00:00'])
      expect(built(text)).toMatchObject({
        ok: false,
        rejection: {
          column: 'first_order_at',
          reason: `property first_order_at: ${JSON.stringify(text)} is a date Klaviyo cannot hold (infinity, a date BC or a year past 9999); make it null or a date in the model`,
        },
      });
    // Dates are sent as before: timestamps in ISO 8601 UTC, a DATE's text as it is.
    expect(properties(built('2025-03-04 03:06:07+00'))).toEqual({ first_order_at: '2025-03-04T03:06:07Z' });
    expect(properties(built('2025-03-04'))).toEqual({ first_order_at: '2025-03-04' });
    // A text column holding the word is text.
    expect(properties(built('infinity', profileSpec))).toEqual({ first_order_at: 'infinity' });
  });

  it("refuses a whole-number property past 2^53, whose digits the row's JSON number lost", () => {
    // 9007199254740993 as a BIGINT reads back as 9007199254740992: the id would change silently.
    const big = buildPayload(
      profileSpec,
      rowChange({
        id: 'C1',
        email: 'a@example.com',
        predicted_ltv: JSON.parse('9007199254740993') as number,
      }),
    );
    expect(big).toMatchObject({
      ok: false,
      rejection: {
        column: 'predicted_ltv',
        reason:
          "property predicted_ltv: 9007199254740992 is beyond ±2^53, where a JSON number no longer keeps every digit (the model's value may have other last digits, or decimals); cast the column to text in the model",
      },
    });
    // A DECIMAL(38,10) of 12345678901234567890.0123456789 is no whole number: the reason says
    // the value shown is not the model's, rather than calling it whole.
    const decimal = buildPayload(
      profileSpec,
      rowChange({
        id: 'C1',
        email: 'a@example.com',
        predicted_ltv: JSON.parse('12345678901234567890.0123456789') as number,
      }),
    );
    expect(decimal).toMatchObject({ ok: false, rejection: { column: 'predicted_ltv' } });
    expect(decimal.ok ? '' : decimal.rejection.reason).not.toContain('whole number');
    const safe = buildPayload(
      profileSpec,
      rowChange({ id: 'C1', email: 'a@example.com', predicted_ltv: Number.MAX_SAFE_INTEGER }),
    );
    expect(safe).toMatchObject({ ok: true });
  });

  it("sends a FLOAT or DOUBLE past 2^53 that the row's text shows whole, and still refuses a BIGINT", () => {
    // DuckDB's json_object of a DOUBLE 1e300, a DOUBLE 1e20 and a BIGINT 9007199254740993.
    const read = (json: string): RowChange => {
      const { row, text } = parseRow(json);
      return { ...rowChange(row!), rowText: text };
    };
    const double = read(
      '{"id":"C1","email":"a@example.com","predicted_ltv":1e300,"rfm_segment":100000000000000000000.0}',
    );
    expect(buildPayload(profileSpec, double)).toMatchObject({
      ok: true,
      payload: { attributes: { properties: { predicted_ltv: 1e300, rfm_segment: 1e20 } } },
    });
    const bigint = read(
      '{"id":"C1","email":"a@example.com","predicted_ltv":1e300,"rfm_segment":9007199254740993}',
    );
    expect(buildPayload(profileSpec, bigint)).toMatchObject({
      ok: false,
      rejection: { column: 'rfm_segment' },
    });
    // Nested in an OBJECT column, as Snowflake's TO_JSON writes a FLOAT.
    const nested = read(
      '{"id":"C1","email":"a@example.com","rfm_segment":{"erp":{"weight":1.000000000000000e+20}}}',
    );
    expect(buildPayload(profileSpec, nested)).toMatchObject({ ok: true });
    // The same row without the warehouse's text (a row not read from it): not known whole, refused.
    expect(buildPayload(profileSpec, rowChange(double.row!))).toMatchObject({
      ok: false,
      rejection: { column: 'rfm_segment' },
    });
  });

  it('refuses a whole number past 2^53 inside a VARIANT, OBJECT or ARRAY property, naming its path', () => {
    // Snowflake's TO_JSON writes a VARIANT's numbers with every digit; JSON.parse keeps 15 to 17.
    const { row } = parseRow(
      '{"id":"C1","email":"a@example.com","rfm_segment":{"erp":{"ids":[1,12345678901234567890]}}}',
    );
    expect(buildPayload(profileSpec, rowChange(row!))).toMatchObject({
      ok: false,
      rejection: {
        column: 'rfm_segment',
        reason:
          "property rfm_segment: erp.ids[1] 12345678901234567000 is beyond ±2^53, where a JSON number no longer keeps every digit (the model's value may have other last digits, or decimals); write it as text in the model",
      },
    });
    const nested = parseRow('{"id":"C1","email":"a@example.com","rfm_segment":{"erp":{"ids":[1,2.5e-3]}}}');
    expect(buildPayload(profileSpec, rowChange(nested.row!))).toMatchObject({ ok: true });
  });

  it('clears a property that left the allowlist only when on_remove asks for it', () => {
    const previous = { id: 'C1', email: 'a@example.com', rfm_segment: 'loyal', churn_risk: 'high' };
    const row = { id: 'C1', email: 'a@example.com', rfm_segment: 'loyal' };
    const unsetOf = (on_remove?: 'ignore' | 'unset_properties') => {
      const s = { ...profileSpec, config: { ...profileSpec.config, on_remove } };
      const built = buildPayload(s, rowChange(row, previous));
      return built.ok && 'unsetProperties' in built.payload ? built.payload.unsetProperties : null;
    };
    expect(unsetOf(undefined)).toEqual([]);
    expect(unsetOf('ignore')).toEqual([]);
    expect(unsetOf('unset_properties')).toEqual(['churn_risk']);
  });

  it('does not unset anything for a new row', () => {
    const built = buildPayload(
      profileSpec,
      rowChange({ id: 'C1', email: 'a@example.com', rfm_segment: null }),
    );
    expect(built).toMatchObject({ ok: true, payload: { unsetProperties: [], unsetAttributes: [] } });
  });

  it.each([
    [
      'rfm segment',
      'property key "rfm segment" contains a space, which Klaviyo reads as a path; rename the column in the model (e.g. rfm_segment)',
    ],
    [
      'rfm.segment',
      'property key "rfm.segment" contains a dot, which Klaviyo reads as a path; rename the column in the model (e.g. rfm_segment)',
    ],
    [
      '$segment',
      'property key "$segment" starts with $, which Klaviyo reserves for its own properties; rename the column in the model (e.g. segment)',
    ],
  ])('rejects the property key %j, naming the column', (column, reason) => {
    const badKey = syncSpec({ object: 'profile', properties: ['ok_column', column] });
    expect(buildPayload(badKey, rowChange({ id: 'C3', email: 'a@example.com', [column]: 'x' }))).toEqual({
      ok: false,
      rejection: { ...where, key: 'C3', column, reason },
    });
  });

  it('rejects an invalid identifier naming its column, and a row with none', () => {
    expect(buildPayload(profileSpec, rowChange({ id: 'C2', email: 'not-an-email' }))).toEqual({
      ok: false,
      rejection: {
        ...where,
        key: 'C2',
        column: 'email',
        reason: '"not-an-email" is not a valid email address: it has no @',
      },
    });
    expect(buildPayload(profileSpec, rowChange({ id: null, email: null, phone: ' ' }))).toEqual({
      ok: false,
      rejection: {
        ...where,
        key: 'null',
        reason: 'no identifier: email, phone, id are all empty; Klaviyo needs at least one',
      },
    });
  });

  it('rejects a profile over 100 KB, and accepts one just under', () => {
    const big = syncSpec({ object: 'profile', properties: ['notes'] });
    expect(
      buildPayload(big, rowChange({ id: 'C4', email: 'a@example.com', notes: 'x'.repeat(110 * 1024) })),
    ).toEqual({
      ok: false,
      rejection: {
        ...where,
        key: 'C4',
        reason:
          'profile is 111 KB as JSON; Klaviyo accepts at most 100 KB per profile, so drop or shorten properties in the model',
      },
    });
    const under = buildPayload(
      big,
      rowChange({ id: 'C5', email: 'a@example.com', notes: 'x'.repeat(99 * 1024) }),
    );
    expect(under.ok).toBe(true);
  });
});

describe('event payloads', () => {
  const orderSpec = syncSpec({
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

  const items = (item: Record<string, unknown>) => JSON.stringify({ OrderId: 'SO-1', Items: [item] });

  it('leaves out an allowlisted property whose text is empty or blank', () => {
    const spec = syncSpec({ ...orderSpec.config, properties: ['channel', 'note', 'store'] });
    const built = buildPayload(spec, rowChange(order({ channel: '', note: '   ', store: 'web' })));
    expect(built.ok && 'properties' in built.payload ? built.payload.properties : null).toMatchObject({
      store: 'web',
    });
    expect(
      built.ok && 'properties' in built.payload ? Object.keys(built.payload.properties) : null,
    ).not.toContain('channel');
    expect(
      built.ok && 'properties' in built.payload ? Object.keys(built.payload.properties) : null,
    ).not.toContain('note');
  });

  it('refuses an event property the model stores as a date when it is infinity, naming the column', () => {
    const spec: SyncSpec = {
      ...syncSpec({ ...orderSpec.config, properties: ['shipped_at', 'note'] }),
      dateColumns: ['shipped_at'],
    };
    const refused = buildPayload(spec, rowChange(order({ shipped_at: 'infinity', note: 'infinity' })));
    expect(refused).toMatchObject({ ok: false, rejection: { column: 'shipped_at' } });
    expect(refused.ok ? '' : refused.rejection.reason).toContain('property shipped_at: "infinity" is a date');
    const sent = buildPayload(
      spec,
      rowChange(order({ shipped_at: '2025-03-02 08:00:00', note: 'infinity' })),
    );
    expect(sent.ok && 'properties' in sent.payload ? sent.payload.properties : null).toMatchObject({
      shipped_at: '2025-03-02T08:00:00Z',
      note: 'infinity',
    });
  });

  it('refuses a whole number past 2^53 inside properties_json, naming its path', () => {
    // A VARIANT column reaches the runner as an object parsed from the row's JSON text.
    const { row } = parseRow(
      JSON.stringify(order()).replace(
        /"properties":"[^}]*}\]}"/,
        '"properties":{"Items":[{"ProductName":"Tee","SKU":"T-1","Quantity":1,"ItemPrice":28,"ProductID":12345678901234567890}]}',
      ),
    );
    expect(row!.properties).toMatchObject({ Items: [{ SKU: 'T-1' }] });
    expect(buildPayload(orderSpec, rowChange(row!))).toMatchObject({
      ok: false,
      rejection: {
        column: 'properties',
        reason:
          "properties.Items[0].ProductID 12345678901234567000 is beyond ±2^53, where a JSON number no longer keeps every digit (the model's value may have other last digits, or decimals); write it as text in the model",
      },
    });
  });

  it('builds a Placed Order with a numeric value, typed Items and the key as unique_id', () => {
    const built = buildPayload(orderSpec, rowChange(order()));
    const profile = { email: 'a@example.com', external_id: 'SO-1' };
    const properties = {
      OrderId: 'SO-1',
      Items: [{ ProductName: 'Tee', SKU: 'T-1', Quantity: 1, ItemPrice: 28 }],
    };
    expect(built).toEqual({
      ok: true,
      payload: {
        key: 'SO-1',
        uniqueId: 'SO-1',
        metric: 'Placed Order',
        time: '2025-03-01T10:00:00Z',
        value: 1204.5,
        valueCurrency: 'USD',
        profile,
        properties,
        // The texts the bulk request carries: the event's entry, and its profile's.
        json: JSON.stringify({
          type: 'event',
          attributes: {
            properties,
            time: '2025-03-01T10:00:00Z',
            value: 1204.5,
            value_currency: 'USD',
            unique_id: 'SO-1',
            metric: { data: { type: 'metric', attributes: { name: 'Placed Order' } } },
          },
        }),
        profileJson: JSON.stringify({ type: 'profile', attributes: profile }),
        bytes: expect.any(Number) as number,
      },
    });
    // The same row gives the same unique_id on every run, so a retry cannot double the event.
    const again = buildPayload(orderSpec, rowChange(order()));
    expect(again.ok && 'uniqueId' in again.payload && again.payload.uniqueId).toBe('SO-1');
  });

  it('derives unique ids from the key, hashing keys Klaviyo would not take', () => {
    expect(eventUniqueId('SO-1-2')).toBe('SO-1-2');
    expect(eventUniqueId('x'.repeat(255))).toBe('x'.repeat(255));
    const long = eventUniqueId('x'.repeat(256));
    expect(long).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(eventUniqueId('x'.repeat(256))).toBe(long);
    expect(eventUniqueId('x'.repeat(257))).not.toBe(long);
    expect(eventUniqueId('order with spaces')).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(eventUniqueId('tab\there')).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(eventUniqueId('')).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes an unprintable key in the payload too', () => {
    const built = buildPayload(orderSpec, rowChange(order({ id: 'SO 1' })));
    expect(built).toMatchObject({ ok: true, payload: { key: 'SO 1', uniqueId: eventUniqueId('SO 1') } });
    expect(built.ok && 'uniqueId' in built.payload && built.payload.uniqueId).toMatch(
      /^sha256:[0-9a-f]{64}$/,
    );
  });

  it('rejects a value that is not a number, naming the column', () => {
    expect(buildPayload(orderSpec, rowChange(order({ total: 'abc' })))).toEqual({
      ok: false,
      rejection: {
        ...where,
        key: 'SO-1',
        column: 'total',
        reason: 'value "abc" is not a number by the rules of docs/value-rules.md',
      },
    });
  });

  it('rejects an event time before 2000', () => {
    expect(buildPayload(orderSpec, rowChange(order({ ordered_at: '1999-12-31 23:59:59' })))).toEqual({
      ok: false,
      rejection: {
        ...where,
        key: 'SO-1',
        column: 'ordered_at',
        reason: 'event time 1999-12-31T23:59:59Z is before 2000, which Klaviyo refuses',
      },
    });
    expect(buildPayload(orderSpec, rowChange(order({ ordered_at: '2000-01-01 00:00:00' }))).ok).toBe(true);
  });

  it('rejects an item price that is not a number, by its path', () => {
    const built = buildPayload(
      orderSpec,
      rowChange(
        order({ properties: items({ ProductName: 'Tee', SKU: 'T-1', Quantity: 1, ItemPrice: 'N/A' }) }),
      ),
    );
    expect(built).toMatchObject({ ok: false, rejection: { ...where, key: 'SO-1', column: 'properties' } });
    expect(!built.ok && built.rejection.reason).toContain('properties.Items[0].ItemPrice');
    expect(!built.ok && built.rejection.reason).toContain('"N/A" is not a number');
  });

  it('rejects every row of a sync whose allowlisted column cannot be a property key, naming it', () => {
    const spaced = syncSpec({ ...orderSpec.config, properties: ['discount code'] });
    for (const id of ['SO-1', 'SO-2'])
      expect(buildPayload(spaced, rowChange(order({ id, 'discount code': 'WINTER' })))).toEqual({
        ok: false,
        rejection: {
          ...where,
          key: id,
          column: 'discount code',
          reason:
            'property key "discount code" contains a space, which Klaviyo reads as a path; rename the column in the model (e.g. discount_code)',
        },
      });
  });

  it('rejects an item without a SKU', () => {
    const built = buildPayload(
      orderSpec,
      rowChange(order({ properties: items({ ProductName: 'Tee', Quantity: 1, ItemPrice: 1 }) })),
    );
    expect(built).toMatchObject({ ok: false, rejection: { ...where, key: 'SO-1', column: 'properties' } });
    expect(!built.ok && built.rejection.reason).toMatch(/^properties\.Items\[0\]\.SKU is missing/);
  });
});

describe('list member payloads', () => {
  const listSpec = syncSpec({
    object: 'list_membership',
    list: { name: 'Winback' },
    identity: { email: 'email', phone_number: 'phone' },
    subscribe: { channels: ['email'], consent: 'consent', consented_at: 'consented_at' },
  });

  it('subscribes a row whose consent column is true', () => {
    expect(
      buildPayload(
        listSpec,
        rowChange({ id: 'P1', email: 'A@Example.com', consent: true, consented_at: '2025-01-01 00:00:00' }),
      ),
    ).toEqual({
      ok: true,
      payload: {
        key: 'P1',
        profile: { email: 'a@example.com' },
        profileId: null,
        subscribe: { channels: ['email'], consentedAt: '2025-01-01T00:00:00Z' },
      },
    });
  });

  it.each([false, null, 'no'])('adds without subscribing when consent is %j', (consent) => {
    expect(buildPayload(listSpec, rowChange({ id: 'P2', email: 'b@example.com', consent }))).toEqual({
      ok: true,
      payload: { key: 'P2', profile: { email: 'b@example.com' }, profileId: null },
    });
  });

  it.each(['maybe', 'oui'])(
    'adds without subscribing when consent is %j, and says the value is unread',
    (consent) => {
      expect(buildPayload(listSpec, rowChange({ id: 'P2', email: 'b@example.com', consent }))).toEqual({
        ok: true,
        payload: { key: 'P2', profile: { email: 'b@example.com' }, profileId: null },
        dropped: [
          {
            column: 'consent',
            reason: `not_a_boolean: "${consent}" is not true or false (accepted: true/false, yes/no, y/n, t/f, 1/0); the member is added without subscribing`,
          },
        ],
      });
    },
  );

  it('subscribes the channels a row has an identifier for, and reports the others dropped', () => {
    const both = syncSpec({
      object: 'list_membership',
      list: { id: 'L1' },
      identity: { email: 'email', phone_number: 'phone' },
      subscribe: { channels: ['email', 'sms'], consent: 'consent' },
    });
    expect(buildPayload(both, rowChange({ id: 'P3', email: 'c@example.com', consent: true }))).toEqual({
      ok: true,
      payload: {
        key: 'P3',
        profile: { email: 'c@example.com' },
        profileId: null,
        subscribe: { channels: ['email'] },
      },
      dropped: [{ column: 'phone', reason: 'sms consent not sent: the row has no valid phone_number' }],
    });
    expect(buildPayload(both, rowChange({ id: 'P4', phone: '+44 20 7946 0564', consent: true }))).toEqual({
      ok: true,
      payload: {
        key: 'P4',
        profile: { phone_number: '+442079460564' },
        profileId: null,
        subscribe: { channels: ['sms'] },
      },
      dropped: [{ column: 'email', reason: 'email consent not sent: the row has no email' }],
    });
    // No channel left: on the list all the same, not subscribed.
    const email = syncSpec({
      object: 'list_membership',
      list: { id: 'L1' },
      identity: { email: 'email', phone_number: 'phone' },
      subscribe: { channels: ['email'], consent: 'consent' },
    });
    expect(buildPayload(email, rowChange({ id: 'P5', phone: '+44 20 7946 0564', consent: true }))).toEqual({
      ok: true,
      payload: { key: 'P5', profile: { phone_number: '+442079460564' }, profileId: null },
      dropped: [{ column: 'email', reason: 'email consent not sent: the row has no email' }],
    });
  });
});

describe('list member consent times', () => {
  const spec = syncSpec({
    object: 'list_membership',
    list: { name: 'Winback' },
    subscribe: { channels: ['email'], consent: 'consent', consented_at: 'consented_at' },
  });

  it('refuses consent given in the future, which Klaviyo would refuse', () => {
    const row = { id: 'P9', email: 'f@example.com', consent: 'yes', consented_at: '2999-01-01 00:00:00' };
    expect(buildPayload(spec, rowChange(row))).toEqual({
      ok: false,
      rejection: {
        ...where,
        key: 'P9',
        column: 'consented_at',
        reason:
          'consent time 2999-01-01T00:00:00Z is in the future; Klaviyo takes only consent already given',
      },
    });
  });
});

describe('what a list member withdrew', () => {
  const both = syncSpec({
    object: 'list_membership',
    list: { name: 'Winback' },
    identity: { email: 'email', phone_number: 'phone' },
    subscribe: { channels: ['email', 'sms'], consent: 'consent', consented_at: 'consented_at' },
  });
  const before = { id: 'P1', email: 'a@example.com', phone: '+15005550006', consent: true };
  const update = (row: Record<string, unknown>, extra: Partial<RowChange> = {}): RowChange => ({
    ...rowChange(row, before),
    ...extra,
  });

  it('sends the unsubscribe for every channel when the consent column turns false, to the identifiers subscribed', () => {
    expect(buildPayload(both, update({ ...before, phone: null, consent: false }))).toEqual({
      ok: true,
      payload: {
        key: 'P1',
        profile: { email: 'a@example.com' },
        profileId: null,
        unsubscribe: { channels: ['email', 'sms'], email: 'a@example.com', phone_number: '+15005550006' },
      },
    });
  });

  it('withdraws nothing when consent was never given, or when it becomes unclear rather than false', () => {
    const member = {
      key: 'P1',
      profile: { email: 'a@example.com', phone_number: '+15005550006' },
      profileId: null,
    };
    const never = rowChange({ ...before, consent: false }, { ...before, consent: false });
    expect(buildPayload(both, never)).toEqual({ ok: true, payload: member });
    expect(buildPayload(both, update({ ...before, consent: null }))).toEqual({ ok: true, payload: member });
  });

  it('withdraws email only when the suppressions model marks the email unsubscribed, and keeps SMS', () => {
    const built = buildPayload(
      both,
      update({ ...before, consented_at: '2025-01-01 00:00:00', $email_consent: 'UNSUBSCRIBED' }),
    );
    expect(built).toMatchObject({
      ok: true,
      payload: {
        unsubscribe: { channels: ['email'], email: 'a@example.com' },
        subscribe: { channels: ['sms'] },
      },
    });
    const left = { ...rowChange(before, before), kind: 'remove' as const, row: null, leftUnsubscribed: true };
    expect(buildPayload(both, left)).toMatchObject({
      ok: true,
      payload: { unsubscribe: { channels: ['email'], email: 'a@example.com' } },
    });
  });

  it('subscribes again only with consent dated after the withdrawal', () => {
    const withdrawn = { withdrawnAt: { email: '2026-03-01 12:00:00', sms: '2026-03-01 12:00:00' } };
    const back = { ...before, consented_at: '2025-06-01 00:00:00' };
    expect(buildPayload(both, update(back, withdrawn))).toEqual({
      ok: false,
      rejection: {
        ...where,
        key: 'P1',
        column: 'consented_at',
        reason:
          'consent was withdrawn (email unsubscribe sent to Klaviyo at 2026-03-01T12:00:00Z, sms unsubscribe sent to Klaviyo at 2026-03-01T12:00:00Z); subscribing again needs consent dated after it in consented_at',
      },
    });
    expect(
      buildPayload(both, update({ ...back, consented_at: '2026-03-02 08:00:00' }, withdrawn)),
    ).toMatchObject({
      ok: true,
      payload: { subscribe: { channels: ['email', 'sms'], consentedAt: '2026-03-02T08:00:00Z' } },
    });
  });

  it('holds back only the channel withdrawn: an email withdrawal leaves SMS consent as it is', () => {
    const emailOnly = { withdrawnAt: { email: '2026-03-01 12:00:00' } };
    const sms = { ...before, consented_at: '2025-06-01 00:00:00', $email_consent: 'UNSUBSCRIBED' };
    expect(buildPayload(both, rowChange(sms, sms))).toMatchObject({ ok: true, payload: {} });
    expect(buildPayload(both, { ...rowChange(sms, sms), ...emailOnly })).toMatchObject({
      ok: true,
      payload: { subscribe: { channels: ['sms'], consentedAt: '2025-06-01T00:00:00Z' } },
    });
    const back = { ...sms, $email_consent: 'SUBSCRIBED' };
    const refused = buildPayload(both, { ...rowChange(back, sms), ...emailOnly });
    expect(!refused.ok && refused.rejection.reason).toMatch(
      /^consent was withdrawn \(email unsubscribe sent/,
    );
  });
});
