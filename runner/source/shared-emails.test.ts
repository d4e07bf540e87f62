import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { onTable, spec } from '../../test/fixtures/specs.ts';
import { emptyState } from '../../test/helpers/duckdb.ts';
import { sharedEmails, sharedEmailsMessage } from './shared-emails.ts';
import type { Warehouse } from './warehouse.ts';

let wh: Warehouse;
beforeEach(async () => {
  ({ wh } = await emptyState('shared-emails'));
  await wh.execute(`create table people as select * from (values
    ('web-1', 'Pat@Example.com'), ('pos-9', ' pat@example.com' || chr(9)), ('app-3', 'mailto:PAT@example.com'),
    ('c-1', 'ann@example.com'), ('c-1', 'ann@example.com'),
    ('c-2', 'bo@example.com'), ('c-3', 'BO@example.com'),
    ('c-4', null), ('c-5', null), (null, 'cy@example.com'), ('c-6', 'cy@example.com')
  ) as t(person_id, email)`);
});
afterEach(async () => {
  await wh?.close();
});

const people = (object: 'profile' | 'list_membership' | 'event') =>
  onTable(spec({ object, key: 'person_id', identity: { email: 'email' } }, 'people_sync'), 'people');

describe('keys that share an email (source/shared-emails.ts)', () => {
  it('finds the keys whose emails are one once normalised, and names them by key only', async () => {
    const shared = await sharedEmails(wh, people('profile'));
    // pat (three spellings, three keys) and bo (two keys); ann's one key twice is a duplicate key,
    // not two people; missing emails and a missing key share nothing.
    expect(shared).toEqual({
      emails: 2,
      keys: 5,
      examples: [
        ['app-3', 'web-1'],
        ['c-2', 'c-3'],
      ],
    });
    expect(sharedEmailsMessage(people('profile'), shared!)).toBe(
      'people_sync: 5 keys of model `people` share 2 emails (e.g. keys app-3 and web-1; c-2 and c-3); Klaviyo holds one profile for each, and their values overwrite each other. Keep one row per person in the model.',
    );
    // Fewer examples than emails: the totals are still of them all.
    expect(await sharedEmails(wh, people('profile'), 1)).toEqual({
      emails: 2,
      keys: 5,
      examples: [['app-3', 'web-1']],
    });
    expect(sharedEmailsMessage(people('list_membership'), shared!)).toContain(
      'taking one key off the list takes the person off',
    );
  });

  it('leaves event syncs alone: one person has many events', async () => {
    expect(await sharedEmails(wh, people('event'))).toBeNull();
  });
});
