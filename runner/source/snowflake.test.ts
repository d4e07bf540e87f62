/**
 * The Snowflake adapter over the real Node driver, against the Snowflake emulator (fakesnow behind
 * test/emulator/fakesnow_json.py). These also test that adapter: every value type the runner reads
 * comes back through the driver's JSON result parsing as Snowflake would send it.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../test/helpers/emulator.ts';
import { spec } from '../../test/fixtures/specs.ts';
import { WarehouseError } from '../errors.ts';
import { sharedPhones } from './shared-phones.ts';
import { bindText, openSnowflake, rowsPerInsert, snowflakeDialect } from './snowflake.ts';
import type { Warehouse } from './warehouse.ts';

let emulator: Emulator;
let wh: Warehouse;

beforeAll(async () => {
  emulator = await startEmulator();
  wh = await openSnowflake({
    type: 'snowflake',
    account: 'emulator',
    user: 'loader',
    auth: { method: 'password', password: 'unused' },
    database: 'ANALYTICS',
    schema: 'ADAPTER',
    warehouse: 'WH',
    accessUrl: emulator.url,
  });
  await wh.execute('create schema if not exists ANALYTICS.ADAPTER');
});
afterAll(async () => {
  await wh?.close();
  await emulator?.stop();
});

describe('the Snowflake adapter, over the Node driver', () => {
  it('reads every type with lower-cased names, timestamps as UTC text', async () => {
    const rows = await wh.query(`
      select 'a' as person_id, 37.19::number(10, 2) as total, 42 as n, 1.5::float as r, true as ok,
             '2026-01-02 03:04:05.123'::timestamp_ntz as at, '2026-01-02'::date as d,
             null::varchar as missing, parse_json('{"a": [1, null]}') as doc`);
    expect(rows).toEqual([
      {
        person_id: 'a',
        total: 37.19,
        n: 42,
        r: 1.5,
        ok: true,
        at: '2026-01-02 03:04:05.123',
        d: expect.anything() as unknown,
        missing: null,
        doc: { a: [1, null] },
      },
    ]);
  });

  it('asks for a session in UTC, and says what a session that refuses it means (the emulator refuses)', () => {
    expect(wh.warnings).toEqual([
      {
        event: 'warehouse.time_zone',
        message: expect.stringMatching(
          /^Snowflake refused `alter session set timezone = 'UTC'`: .*not implemented.*: TIMESTAMP_LTZ columns are read in the session's own time zone/,
        ) as unknown,
      },
    ]);
  });

  it('streams a result in chunks of the size asked', async () => {
    await wh.execute('create or replace table ANALYTICS.ADAPTER.PEOPLE (person_id varchar)');
    await wh.insertRows('ANALYTICS.ADAPTER.PEOPLE', ['person_id'], [['C1'], ['C2'], ['C3']]);
    const chunks: number[] = [];
    for await (const chunk of wh.stream('select person_id from ANALYTICS.ADAPTER.PEOPLE order by 1', [], 2))
      chunks.push(chunk.length);
    expect(chunks).toEqual([2, 1]);
  });

  it('binds every value as text, so a number column takes 37 then 37.19 (the driver types a column from its first row)', async () => {
    await wh.execute(
      'create or replace table ANALYTICS.ADAPTER.AMOUNTS (k varchar, amount number(10, 2), flag boolean, ts timestamp)',
    );
    await wh.insertRows(
      'ANALYTICS.ADAPTER.AMOUNTS',
      ['k', 'amount', 'flag', 'ts'],
      [
        ['a', 37, true, new Date(Date.UTC(2026, 0, 2, 3, 4, 5))],
        ['b', 37.19, false, null],
      ],
    );
    expect(await wh.query('select k, amount, flag, ts from ANALYTICS.ADAPTER.AMOUNTS order by k')).toEqual([
      { k: 'a', amount: 37, flag: true, ts: '2026-01-02 03:04:05.000' },
      { k: 'b', amount: 37.19, flag: false, ts: null },
    ]);
  });

  it('names the statement Snowflake refused, also when the refusal comes while streaming', async () => {
    await expect(wh.query('select nope from ANALYTICS.ADAPTER.PEOPLE')).rejects.toThrow(
      /^Snowflake refused `select nope from ANALYTICS\.ADAPTER\.PEOPLE`: /,
    );
    const streamed = (async () => {
      for await (const chunk of wh.stream('select * from ANALYTICS.ADAPTER.NO_SUCH_TABLE')) void chunk;
    })();
    await expect(streamed).rejects.toBeInstanceOf(WarehouseError);
    await expect(streamed).rejects.toThrow(
      /Snowflake refused `select \* from ANALYTICS\.ADAPTER\.NO_SUCH_TABLE`/,
    );
  });

  it('connects with a key pair and no password (dbt’s private_key_path form)', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyed = await openSnowflake({
      type: 'snowflake',
      account: 'emulator',
      user: 'loader',
      auth: {
        method: 'key_pair',
        privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      },
      database: 'ANALYTICS',
      schema: 'ADAPTER',
      accessUrl: emulator.url,
    });
    try {
      expect(await keyed.query('select 1 as one')).toEqual([{ one: 1 }]);
    } finally {
      await keyed.close();
    }
  });

  it('finds the keys that share a phone number, its digits taken by REGEXP_REPLACE of every match', async () => {
    await wh.execute(
      `create or replace table ANALYTICS.ADAPTER.PHONES as
       select column1 as person_id, column2 as phone, column3 as country from values
         ('web-1', '020 7946 0958', 'GB'), ('pos-9', '+44 (0)20 7946 0958', null),
         ('app-3', '00 44 20 7946 0958', null), ('fr-1', '+33 1 29 46 09 58', 'FR'),
         ('c-2', '+1 415 555 2671', null), ('c-3', '415.555.2671 Ext. 204', null),
         ('de-1', '+49 0 89 1234', null), ('de-2', '+49 89 1234', null), ('bad-1', '1-800-FLOWERS', null),
         ('at-1', '0043 0 1 23456', null), ('at-2', '+43 1 23456', null)`,
    );
    const phones = spec(
      {
        object: 'profile',
        key: 'person_id',
        identity: { phone_number: 'phone' },
        attributes: { country: 'country' },
      },
      'phones',
    );
    phones.model.relationName = 'ANALYTICS.ADAPTER.PHONES';
    expect(await sharedPhones(wh, phones)).toEqual({
      phones: 4,
      keys: 9,
      examples: [
        ['app-3', 'web-1'],
        ['at-1', 'at-2'],
        ['c-2', 'c-3'],
      ],
    });
  });

  it('describes a relation by lower-cased column names', async () => {
    expect(await wh.columns('ANALYTICS.ADAPTER.PEOPLE')).toEqual([
      { name: 'person_id', type: expect.stringMatching(/^VARCHAR/) as unknown },
    ]);
  });
});

describe('the SQL the Snowflake dialect emits (what the emulator cannot show)', () => {
  const d = snowflakeDialect('analytics');

  it('quotes the runner’s own names upper-cased, the object an unquoted name in DDL creates', () => {
    // Snowflake folds unquoted names to upper case and matches quoted ones exactly; the emulator
    // (DuckDB) matches any case, so only this pins it.
    expect(d.stateTable('klaviyo_runner', 'snapshot')).toBe('"ANALYTICS"."KLAVIYO_RUNNER"."SNAPSHOT"');
    expect(d.ident('run_id')).toBe('"RUN_ID"');
    expect(d.ident('my schema')).toBe('"my schema"');
    expect(d.column('email')).toBe('email');
  });

  it('computes ages and now in UTC on the warehouse clock, whatever the session time zone', () => {
    expect(d.nowUtc).toBe('sysdate()');
    expect(d.secondsSince('heartbeat_at')).toBe('datediff(second, heartbeat_at, sysdate())');
  });

  it('builds JSON and hashes with Snowflake functions, keeping nulls in the hash', () => {
    expect(d.jsonObject([['email', 'm.EMAIL']])).toBe(
      "to_json(object_construct_keep_null('email', m.EMAIL))",
    );
  });

  it('replaces every match of a pattern with three arguments: a fourth is where to start', () => {
    // https://docs.snowflake.com/en/sql-reference/functions/regexp_replace: occurrence 0, the default, is every match.
    expect(d.regexpReplaceAll('m.PHONE', '[^0-9]', '')).toBe("regexp_replace(m.PHONE, '[^0-9]', '')");
  });

  it('matches a whole text with REGEXP_LIKE, which anchors its pattern at both ends', () => {
    expect(d.regexpFullMatch('p', '(0|1)?[0-9]{0,6}')).toBe("regexp_like(p, '(0|1)?[0-9]{0,6}')");
  });

  it('keeps every array-bound INSERT under the driver’s inline bind threshold', () => {
    expect(rowsPerInsert(8) * 8).toBeLessThanOrEqual(65_280);
    expect(rowsPerInsert(5)).toBe(10_000);
    expect(bindText(37)).toBe('37');
    expect(bindText(false)).toBe('false');
    expect(bindText({ a: 1 })).toBe('{"a":1}');
  });
});
