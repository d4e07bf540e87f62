import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { onTable, spec } from '../../test/fixtures/specs.ts';
import { emptyState } from '../../test/helpers/duckdb.ts';
import type { Logger } from '../report/log.ts';
import type { Warehouse } from '../source/warehouse.ts';
import { reportModels } from './model-reports.ts';
import { newResult } from './results.ts';

let wh: Warehouse;
beforeEach(async () => {
  ({ wh } = await emptyState('model-reports'));
  await wh.execute(`create table people as select * from (values
    ('web-1', 'pat@example.com', '020 7946 0958', 'GB'), ('pos-9', 'pat@example.com', '+44 (0)20 7946 0958', null),
    ('app-3', 'sam@example.com', '00 44 20 7946 0958', null), ('c-1', 'ann@example.com', '+1 415 555 2671', null)
  ) as t(person_id, email, phone, country)`);
});
afterEach(async () => {
  await wh?.close();
});

describe('what the models say of a sync, in its log (sync/model-reports.ts)', () => {
  it('warns of keys that share an email and of keys that share a phone number, by counts and keys', async () => {
    const people = onTable(
      spec(
        {
          object: 'profile',
          key: 'person_id',
          identity: { email: 'email', phone_number: 'phone' },
          attributes: { country: 'country' },
        },
        'people_sync',
      ),
      'people',
    );
    const said: { level: string; event: string; message: string; fields?: Record<string, unknown> }[] = [];
    const log: Logger = {
      format: 'json',
      log: (level, event, message, fields) => said.push({ level, event, message, fields }),
    };
    await reportModels(wh, people, newResult(people), log);
    expect(said.map(({ level, event, fields }) => ({ level, event, fields }))).toEqual([
      { level: 'warn', event: 'sync.shared_email', fields: { sync: 'people_sync', emails: 1, keys: 2 } },
      { level: 'warn', event: 'sync.shared_phone', fields: { sync: 'people_sync', phones: 1, keys: 3 } },
    ]);
    expect(said[1]!.message).toMatch(
      /^people_sync: 3 keys of model `people` share 1 phone number once normalised \(e\.g\. keys app-3 and web-1\)/,
    );
    expect(said[1]!.message).not.toMatch(/7946|0958/);
  });
});
