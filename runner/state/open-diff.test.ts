import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spec } from '../../test/fixtures/specs.ts';
import { WarehouseError } from '../errors.ts';
import { openDuckDb } from '../source/duckdb.ts';
import type { Warehouse } from '../source/warehouse.ts';
import { diffSql, openDiff, type StreamedChange } from './diff.ts';
import { ensureStateSchema, stateOf, type State } from './schema.ts';
import { confirmRows } from './snapshot.ts';

let wh: Warehouse;
let state: State;

const profiles = spec({ object: 'profile', properties: ['segment'] }, 'profiles');
profiles.model.relationName = 'main.people';

beforeEach(async () => {
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'kr-open-diff-')), 'w.duckdb');
  const instance = await DuckDBInstance.create(file);
  const conn = await instance.connect();
  await conn.run(`
    create table people (id varchar, email varchar, segment varchar);
    insert into people select cast(i as varchar), 'p' || i || '@x.com', 'loyal' from range(1, 13) t(i);
    insert into people values ('4', 'd2@x.com', 'y'), (null, 'n@x.com', 'z'), (null, 'n@x.com', 'z');`);
  conn.closeSync();
  instance.closeSync();
  wh = await openDuckDb(file);
  state = stateOf(wh, 'klaviyo_runner');
  await ensureStateSchema(state);
});
afterEach(async () => {
  await wh.close();
});

async function read(s: State, chunkSize: number): Promise<StreamedChange[]> {
  const diff = await openDiff(s, profiles, {}, chunkSize);
  const out: StreamedChange[] = [];
  for await (const chunk of diff.changes) out.push(...chunk);
  return out;
}

describe('one diff statement per sync', () => {
  it('gives the counts before the rows, then every row by kind and key, whatever the chunk size', async () => {
    const diff = await openDiff(state, profiles, {}, 3);
    expect(diff.counts).toMatchObject({ create: 11, duplicateKeys: 1, nullKeys: 2, synced: 0 });
    const rows: StreamedChange[] = [];
    for await (const chunk of diff.changes) rows.push(...chunk);
    // Two identical rows without a key are two rejections; a duplicate key is reported once.
    expect(rows.map((c) => `${c.diffKind} ${c.key}`)).toEqual([
      ...['1', '10', '11', '12', '2', '3', '5', '6', '7', '8', '9'].map((k) => `create ${k}`),
      'duplicate 4',
      'null_key ',
      'null_key ',
    ]);
    expect(await read(state, 5000)).toEqual(rows);
  });

  it('streams only what changed once the snapshot holds the rest, with the values Klaviyo had', async () => {
    const first = await read(state, 5000);
    await confirmRows(
      state,
      profiles,
      'run-1',
      first
        .filter((c) => c.diffKind === 'create')
        .map((c) => ({ key: c.key, hash: c.hash!, row: c.row, profileId: `P${c.key}` })),
    );
    await wh.execute(`update people set segment = 'lost' where id = '7'`);
    await wh.execute(`delete from people where id = '8'`);
    const diff = await openDiff(state, profiles);
    expect(diff.counts).toMatchObject({ create: 0, update: 1, remove: 1, unchanged: 9, synced: 11 });
    const rows: StreamedChange[] = [];
    for await (const chunk of diff.changes) rows.push(...chunk);
    expect(rows.filter((c) => c.diffKind === 'update' || c.diffKind === 'remove')).toMatchObject([
      { diffKind: 'remove', key: '8', row: null, previous: { segment: 'loyal' }, profileId: 'P8' },
      { diffKind: 'update', key: '7', row: { segment: 'lost' }, previous: { segment: 'loyal' } },
    ]);
  });

  it('fails a stream that ends before every row its counts announced has arrived', async () => {
    // A driver may end a result early when the warehouse fails part-way (the DuckDB client does):
    // here the real stream is cut after its first five lines, the three counts and two rows.
    const cut: Warehouse = {
      ...wh,
      async *stream(sql, params, chunkSize) {
        for await (const rows of wh.stream(sql, params, chunkSize)) {
          yield rows.slice(0, 5);
          return;
        }
      },
    };
    await expect(read({ ...state, wh: cut }, 4)).rejects.toThrow(
      new WarehouseError(
        'The diff of sync profiles (model m) ended after 2 of its 15 changed rows: the warehouse stopped the result early (with DuckDB, most often for lack of memory: raise KLAVIYO_RUNNER_DUCKDB_MEMORY_LIMIT). Nothing past that row was read or sent; run again.',
      ),
    );
  });

  it('gives rows that share a key, or have none, in the same order every time', async () => {
    await wh.execute(
      `insert into people select '4', 'four' || i || '@x.com', 'v' from range(30) t(i);
       insert into people select null, 'none' || i || '@x.com', 'v' from range(30) t(i);`,
    );
    const rows = await read(state, 7);
    const nullKeys = rows.filter((c) => c.diffKind === 'null_key').map((c) => c.hash!);
    expect(nullKeys).toHaveLength(32);
    // By hash, not as the sort happened to leave them: the same plan lists them the same way.
    expect(nullKeys).toEqual([...nullKeys].sort());
    const [duplicate] = rows.filter((c) => c.diffKind === 'duplicate');
    const [least] = await wh.query(
      `select min(hash) as h from (${diffSql(state, profiles).sql}) as d where kind = 'duplicate'`,
    );
    expect(duplicate!.hash).toBe(least!.h);
  });
});
