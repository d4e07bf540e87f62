import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSnowflake, type FakeSnowflake } from '../../test/helpers/fake-snowflake.ts';
import { openSnowflake, snowflakeDialect } from './snowflake.ts';
import type { Warehouse } from './warehouse.ts';

let fake: FakeSnowflake;
let wh: Warehouse;

beforeAll(async () => {
  fake = await startFakeSnowflake([
    {
      match: /^select person_id, email/,
      columns: [
        { name: 'PERSON_ID', type: 'text' },
        { name: 'EMAIL', type: 'text' },
      ],
      rows: [
        ['C1', 'a@x.com'],
        ['C2', 'b@x.com'],
        ['C3', null],
      ],
    },
    {
      match: /^describe table/,
      columns: [
        { name: 'name', type: 'text' },
        { name: 'type', type: 'text' },
      ],
      rows: [
        ['PERSON_ID', 'VARCHAR(16777216)'],
        ['EMAIL', 'VARCHAR(16777216)'],
      ],
    },
  ]);
  process.env.KLAVIYO_RUNNER_SNOWFLAKE_URL = fake.url;
  wh = await openSnowflake({
    type: 'snowflake',
    account: 'acme',
    user: 'loader',
    password: 'pw',
    database: 'ANALYTICS',
    schema: 'KLAVIYO',
    warehouse: 'WH',
  });
});
afterAll(async () => {
  await wh?.close();
  await fake?.close();
  delete process.env.KLAVIYO_RUNNER_SNOWFLAKE_URL;
});

describe('the Snowflake adapter, over the Node driver', () => {
  it('reads rows with lower-cased column names', async () => {
    expect(await wh.query('select person_id, email from "ANALYTICS"."KLAVIYO"."PROFILES"')).toEqual([
      { person_id: 'C1', email: 'a@x.com' },
      { person_id: 'C2', email: 'b@x.com' },
      { person_id: 'C3', email: null },
    ]);
  });

  it('streams a result in chunks of the size asked', async () => {
    const chunks: number[] = [];
    for await (const chunk of wh.stream(
      'select person_id, email from "ANALYTICS"."KLAVIYO"."PROFILES"',
      [],
      2,
    ))
      chunks.push(chunk.length);
    expect(chunks).toEqual([2, 1]);
  });

  it('describes columns and binds inserted rows', async () => {
    expect(await wh.columns('"ANALYTICS"."KLAVIYO"."PROFILES"')).toEqual([
      { name: 'person_id', type: 'VARCHAR(16777216)' },
      { name: 'email', type: 'VARCHAR(16777216)' },
    ]);
    await wh.insertRows(
      '"ANALYTICS"."KLAVIYO_RUNNER"."stage"',
      ['batch_id', 'key'],
      [
        ['b', 'k1'],
        ['b', 'k2'],
      ],
    );
    const insert = fake.statements.find((s) => s.sqlText.startsWith('insert into'))!;
    expect(insert.sqlText).toBe(
      'insert into "ANALYTICS"."KLAVIYO_RUNNER"."stage" ("batch_id", "key") values (?, ?)',
    );
    expect(JSON.stringify(insert.bindings)).toContain('k2');
  });

  it('builds JSON and hashes with Snowflake functions, keeping nulls in the hash', () => {
    const d = snowflakeDialect('ANALYTICS');
    expect(d.jsonObject([['email', 'm.EMAIL']])).toBe(
      "to_json(object_construct_keep_null('email', m.EMAIL))",
    );
    expect(d.stateTable('klaviyo_runner', 'snapshot')).toBe('"ANALYTICS"."klaviyo_runner"."snapshot"');
    expect(d.column('email')).toBe('email');
  });
});
