import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { onTable, spec } from '../../test/fixtures/specs.ts';
import { emptyState } from '../../test/helpers/duckdb.ts';
import { normalizePhone } from '../identity/phone.ts';
import { duckdbDialect } from './duckdb.ts';
import { phoneDigitsSql, sharedPhones, sharedPhonesMessage } from './shared-phones.ts';
import type { Warehouse } from './warehouse.ts';

let wh: Warehouse;
beforeEach(async () => {
  ({ wh } = await emptyState('shared-phones'));
  await wh.execute(`create table people as select * from (values
    -- One London number in three forms under three keys: national in GB, "(0)", and "00".
    ('web-1', '020 7946 0958', 'GB'), ('pos-9', '+44 (0)20 7946 0958', 'United States'),
    ('app-3', '00 44 20 7946 0958', null),
    -- Its last 7 digits, another number: a Paris number, and a US one in the default region.
    ('fr-1', '+33 1 29 46 09 58', 'FR'), ('us-1', '(415) 946-0958', null),
    -- A US number with and without an extension, the second behind trailing spaces.
    ('c-2', '+1 415 555 2671', 'US'), ('c-3', '415.555.2671 Ext. 204  ', null),
    -- Numbers of fewer than 7 digits after their national prefix: Tokelau's, Saint Pierre's.
    ('tk-1', '7290', 'Tokelau'), ('tk-2', '+690 7290', null),
    ('pm-1', '055 12 34', 'PM'), ('pm-2', '+508 55 12 34', null), ('pm-3', '+508 55 12 35', null),
    -- A short Munich number, once with the national prefix after the calling code: it is found
    -- by its last 4 digits, its other forms also by their last 7, and it is counted once.
    ('de-1', '+49 0 89 1234', 'Germany'), ('de-2', '+49 89 1234', null), ('de-3', '0049 89 1234', null),
    -- A short Vienna number, once with the national prefix after "00" and the calling code.
    ('at-1', '0043 0 1 23456', null), ('at-2', '+43 1 23456', null),
    -- One key twice is a duplicate key, not two people; a missing or blank key shares nothing.
    ('c-1', '+1 212 555 0143', null), ('c-1', '212-555-0143', null),
    (null, '+1 415 555 2671', null), ('  ', '+1 415 555 2671', null),
    -- Phones that do not normalise are sent as no phone: never shared.
    ('bad-1', '1-800-FLOWERS', null), ('bad-2', '1-800-FLOWERS', null),
    ('c-4', null, null), ('c-5', null, null)
  ) as t(person_id, phone, country)`);
});
afterEach(async () => {
  await wh?.close();
});

const people = (object: 'profile' | 'list_membership' | 'event', phone: string | null = 'phone') =>
  onTable(
    spec(
      {
        object,
        key: 'person_id',
        identity: phone === null ? { email: 'email' } : { phone_number: phone },
        attributes: { country: 'country' },
      },
      'people_sync',
    ),
    'people',
  );

describe('keys that share a phone number (source/shared-phones.ts)', () => {
  it('finds the keys whose phones are one E.164 number, and names them by key only', async () => {
    // The rows the numbers come from are what the payload sends, and distinct where they should be.
    expect(normalizePhone('+33 1 29 46 09 58', 'FR')).toEqual({ ok: true, value: '+33129460958' });
    expect(normalizePhone('(415) 946-0958', null)).toEqual({ ok: true, value: '+14159460958' });
    const shared = await sharedPhones(wh, people('profile'));
    // London (3 keys), the US number with its extension (2), Tokelau's (2), Saint Pierre's (2),
    // Munich's (3), Vienna's (2).
    expect(shared).toEqual({
      phones: 6,
      keys: 14,
      examples: [
        ['app-3', 'web-1'],
        ['at-1', 'at-2'],
        ['c-2', 'c-3'],
      ],
    });
    expect(sharedPhonesMessage(people('profile'), shared!)).toBe(
      "people_sync: 14 keys of model `people` share 6 phone numbers once normalised (e.g. keys app-3 and web-1; at-1 and at-2; c-2 and c-3); a phone number identifies one Klaviyo profile, so Klaviyo takes each number's keys for one person. Keep one row per person in the model, or the phone on one row only.",
    );
    expect(sharedPhonesMessage(people('profile'), shared!)).not.toMatch(/\+?44|7946|0958/);
    expect(await sharedPhones(wh, people('list_membership'), 1)).toEqual({
      phones: 6,
      keys: 14,
      examples: [['app-3', 'web-1']],
    });
  });

  it('reads the country only where the sync names one, else the phone_region', async () => {
    const noCountry = { ...people('profile'), config: { ...people('profile').config, attributes: {} } };
    // Without the country column the national numbers are read as US ones: London's is another
    // number, and Tokelau's and Saint Pierre's none. The international forms still share.
    expect(await sharedPhones(wh, noCountry)).toEqual({
      phones: 4,
      keys: 9,
      examples: [
        ['app-3', 'pos-9'],
        ['at-1', 'at-2'],
        ['c-2', 'c-3'],
      ],
    });
    const gb = { ...noCountry, config: { ...noCountry.config, phone_region: 'GB' } };
    expect((await sharedPhones(wh, gb))?.examples[0]).toEqual(['app-3', 'web-1']);
  });

  it('takes the digits phone.ts reads, whatever the extension or "(0)"', async () => {
    const digits = async (text: string) =>
      (await wh.query(`select ${phoneDigitsSql(duckdbDialect, duckdbDialect.literal(text))} as p`))[0]!.p;
    expect(await digits('+44 (0)20 7946 0958 extension 12')).toBe('442079460958');
    expect(await digits('020 7946 0958 #12')).toBe('02079460958');
    expect(await digits('020-7946-0958 X 123456 ')).toBe('02079460958');
    expect(await digits('020 7946 0958')).toBe('02079460958');
  });

  it('leaves event syncs and syncs without a phone alone', async () => {
    expect(await sharedPhones(wh, people('event'))).toBeNull();
    expect(await sharedPhones(wh, people('profile', null))).toBeNull();
  });
});
