import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import type { KlaviyoSyncConfig, SyncSpec } from '../manifest/spec.ts';
import { csvLayout } from './csv-columns.ts';
import { profileEntry } from '../transform/entries.ts';

function spec(config: KlaviyoSyncConfig): SyncSpec {
  return {
    name: 'unit_sync',
    exposureId: 'exposure.unit.unit_sync',
    yamlPath: 'models/unit/exposures.yml',
    tags: [],
    config,
    model: {
      uniqueId: 'model.unit.m',
      name: 'm',
      relationName: '"db"."main"."m"',
      materialized: 'table',
      originalFilePath: 'models/unit/m.sql',
    },
    rejectedRowsRelations: [],
    withheldFieldsRelations: [],
  };
}

describe("Klaviyo's CSV import layout", () => {
  const profiles = spec({
    object: 'profile',
    key: 'id',
    identity: { email: 'email', phone_number: 'phone' },
    attributes: { zip: 'zip', first_name: 'first_name', latitude: 'lat' },
    properties: ['tags', 'vip', 'note'],
  });

  it('names the columns from the configuration, in Klaviyo order, whatever the rows hold', () => {
    expect(csvLayout(profiles).header).toEqual([
      'Email',
      'Phone Number',
      'First Name',
      'Zip Code',
      'Latitude',
      'tags',
      'vip',
      'note',
    ]);
  });

  it('writes values as text a CSV parser reads back unchanged, quotes and line breaks included', () => {
    const layout = csvLayout(profiles);
    const attributes = {
      email: 'ann@example.com',
      first_name: 'Ann, "the first"',
      location: { zip: '02134', latitude: 42.35 },
      properties: { tags: ['a', 'b'], vip: true, note: 'line one\nline two' },
    };
    const record = layout.record({
      key: 'C1',
      attributes,
      unsetProperties: [],
      unsetAttributes: [],
      json: profileEntry(attributes),
      bytes: 0,
    });
    expect(record).toEqual([
      'ann@example.com',
      '',
      'Ann, "the first"',
      '02134',
      '42.35',
      '["a","b"]',
      'true',
      'line one\nline two',
    ]);
    const text = stringify([record], { header: true, columns: layout.header });
    expect(parse(text, { columns: true })).toEqual([
      Object.fromEntries(layout.header.map((h, i) => [h, record[i]])),
    ]);
  });

  it('writes consent only for the channels a member consented to', () => {
    const layout = csvLayout(
      spec({
        object: 'list_membership',
        key: 'id',
        identity: { email: 'email', phone_number: 'phone' },
        list: { name: 'VIP' },
        subscribe: { channels: ['email', 'sms'], consent: 'ok', consented_at: 'at' },
      }),
    );
    expect(layout.header).toEqual([
      'Email',
      'Phone Number',
      'Email Marketing Consent',
      'Email Marketing Consent Timestamp',
      'SMS Marketing Consent',
      'SMS Marketing Consent Timestamp',
    ]);
    const member = (subscribe?: { channels: ('email' | 'sms')[]; consentedAt?: string }) =>
      layout.record({
        key: 'C1',
        profile: { email: 'ann@example.com', phone_number: '+12125552368' },
        profileId: null,
        ...(subscribe === undefined ? {} : { subscribe }),
      });
    expect(member({ channels: ['email'], consentedAt: '2025-06-01T00:00:00Z' })).toEqual([
      'ann@example.com',
      '+12125552368',
      'Subscribed',
      '2025-06-01T00:00:00Z',
      '',
      '',
    ]);
    expect(member()).toEqual(['ann@example.com', '+12125552368', '', '', '', '']);
  });

  it('refuses a custom property named like one of the import columns, naming it', () => {
    expect(() =>
      csvLayout(
        spec({
          object: 'profile',
          key: 'id',
          identity: { email: 'email' },
          attributes: { city: 'city' },
          properties: ['City'],
        }),
      ),
    ).toThrow(
      "unit_sync (models/unit/exposures.yml): the custom property `City` has the name of another column of Klaviyo's CSV import; rename the model column to export it.",
    );
  });
});
