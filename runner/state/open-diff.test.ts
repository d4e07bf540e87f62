import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spec } from '../../test/fixtures/specs.ts';
import { confirmChanges } from '../../test/helpers/confirm.ts';
import { emptyState } from '../../test/helpers/duckdb.ts';
import { WarehouseError } from '../errors.ts';
import { openDuckDb } from '../source/duckdb.ts';
import type { Warehouse, WarehouseWarning } from '../source/warehouse.ts';
import { openDiff, type StreamedChange } from './diff.ts';
import { stateOf, type State } from './schema.ts';

let wh: Warehouse;
let state: State;

const profiles = spec({ object: 'profile', properties: ['segment'] }, 'profiles');
profiles.model.relationName = 'main.people';

beforeEach(async () => {
  ({ wh, state } = await emptyState('open-diff'));
  await wh.execute(`
    create table people (id varchar, email varchar, segment varchar);
    insert into people select cast(i as varchar), 'p' || i || '@x.com', 'loyal' from range(1, 13) t(i);
    insert into people values ('4', 'd2@x.com', 'y'), (null, 'n@x.com', 'z'), (null, 'n@x.com', 'z');`);
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

/**
 * Confirms every first-sync row, changes one and deletes another, and reads the diff through
 * `reading`: its counts, and its updated and removed rows.
 */
async function afterAnEdit(reading: State, changedKeys?: number) {
  const first = await read(state, 5000);
  await confirmChanges(
    state,
    profiles,
    first.filter((c) => c.diffKind === 'create'),
    (key) => `P${key}`,
  );
  await wh.execute(`update people set segment = 'lost' where id = '7'`);
  await wh.execute(`delete from people where id = '8'`);
  const diff = await openDiff(reading, profiles, {}, undefined, undefined, changedKeys);
  const rows: StreamedChange[] = [];
  for await (const chunk of diff.changes) rows.push(...chunk);
  const changed = rows.filter((c) => c.diffKind === 'update' || c.diffKind === 'remove');
  return { counts: diff.counts, changed: changed.sort((a, b) => a.diffKind.localeCompare(b.diffKind)) };
}

/** What afterAnEdit reads, whichever way the diff is read. */
const EDITED = {
  counts: { create: 0, update: 1, remove: 1, unchanged: 9, synced: 11 },
  changed: [
    { diffKind: 'remove', key: '8', row: null, previous: { segment: 'loyal' }, profileId: 'P8' },
    { diffKind: 'update', key: '7', row: { segment: 'lost' }, previous: { segment: 'loyal' } },
  ],
};

const byKindAndKey = (rows: StreamedChange[]) =>
  rows.map((c) => `${c.diffKind} ${c.key}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

describe("a sync's diff, its counts then its rows", () => {
  it('gives the counts before the rows, then every row that needs work, whatever the chunk size', async () => {
    const diff = await openDiff(state, profiles, {}, 3);
    expect(diff.counts).toMatchObject({ create: 11, duplicateKeys: 1, nullKeys: 2, synced: 0 });
    const rows: StreamedChange[] = [];
    for await (const chunk of diff.changes) rows.push(...chunk);
    // Two identical rows without a key are two rejections; a duplicate key is reported once.
    expect(byKindAndKey(rows)).toEqual([
      ...['1', '10', '11', '12', '2', '3', '5', '6', '7', '8', '9'].map((k) => `create ${k}`),
      'duplicate 4',
      'null_key ',
      'null_key ',
    ]);
    expect(byKindAndKey(await read(state, 5000))).toEqual(byKindAndKey(rows));
  });

  it('takes a key of blanks for no key: such a row is rejected as one without a key, never sent', async () => {
    // An event of key '' went to Klaviyo with the unique_id of an empty text, shared by every
    // later order whose id is blank too.
    await wh.execute(`insert into people values ('', 'e@x.com', 'z'), ('   ', 'b@x.com', 'z')`);
    const diff = await openDiff(state, profiles, {}, 5000);
    expect(diff.counts).toMatchObject({ create: 11, duplicateKeys: 1, nullKeys: 4 });
    const rows: StreamedChange[] = [];
    for await (const chunk of diff.changes) rows.push(...chunk);
    expect(byKindAndKey(rows).filter((r) => !/^create \d/.test(r))).toEqual([
      'duplicate 4',
      'null_key ',
      'null_key ',
      'null_key ',
      'null_key ',
    ]);
  });

  it('streams only what changed once the snapshot holds the rest, with the values Klaviyo had', async () => {
    expect(await afterAnEdit(state)).toMatchObject(EDITED);
  });

  it('reads the same without listing the changed keys, the whole diff a second time', async () => {
    expect(await afterAnEdit(state, 0)).toMatchObject(EDITED);
  });

  /**
   * Reads the diff listing at most `changedKeys` keys a kind, by kind and key, and says of each
   * rows statement read so far whether it read the rows by their keys.
   */
  function readingByKeys() {
    const rowsStatements: string[] = [];
    const recording: Warehouse = {
      ...wh,
      stream: (sql, params, chunkSize) => (rowsStatements.push(sql), wh.stream(sql, params, chunkSize)),
    };
    const readWith = async (changedKeys: number) => {
      const diff = await openDiff({ ...state, wh: recording }, profiles, {}, 4, 'none', changedKeys);
      const rows: StreamedChange[] = [];
      for await (const chunk of diff.changes) rows.push(...chunk);
      return { counts: diff.counts, rows: byKindAndKey(rows) };
    };
    return { readWith, usedKeys: () => rowsStatements.map((sql) => sql.includes('from_json')) };
  }

  /**
   * The warehouse with a small budget for reads (Warehouse.smallReads, as a plan's read-only DuckDB
   * has): what it was asked, and the rows statements read under the small budget. `tooSmall`: a
   * read under it fails as DuckDB fails for memory, before its first rows.
   */
  function withSmallReads(tooSmall = false) {
    const asked: string[] = [];
    let small = false;
    const budgeted: Warehouse = {
      ...wh,
      smallReads: () => {
        asked.push('small');
        small = true;
        return Promise.resolve(() => {
          asked.push('restored');
          small = false;
          return Promise.resolve();
        });
      },
      async *stream(sql, params, chunkSize) {
        asked.push(small ? 'read under the small budget' : 'read under the whole budget');
        if (small && tooSmall)
          throw new WarehouseError(
            'DuckDB (w.duckdb): Out of Memory Error: failed to pin block of size 256.0 KiB',
          );
        yield* wh.stream(sql, params, chunkSize);
      },
    };
    return { reading: { ...state, wh: budgeted }, asked };
  }

  it('reads a small change by its keys under the small budget, and gives it back once read', async () => {
    const { reading, asked } = withSmallReads();
    expect(await afterAnEdit(reading)).toMatchObject(EDITED);
    // The counts (a query, not a stream) under the whole budget; then the keyed rows under the small one.
    expect(asked).toEqual(['small', 'read under the small budget', 'restored']);
  });

  it('reads the rows again under the whole budget when they do not fit the small one', async () => {
    const { reading, asked } = withSmallReads(true);
    expect(await afterAnEdit(reading)).toMatchObject(EDITED);
    expect(asked).toEqual([
      'small',
      'read under the small budget',
      'restored',
      'read under the whole budget',
    ]);
  });

  it('keeps the whole budget for a read that is not by keys', async () => {
    const { reading, asked } = withSmallReads();
    expect(await afterAnEdit(reading, 0)).toMatchObject(EDITED);
    expect(asked).toEqual(['read under the whole budget']);
  });

  it('reads the rows by their keys only when every kind listed them all', async () => {
    const reading = readingByKeys();
    const readWith = async (changedKeys: number) => (await reading.readWith(changedKeys)).rows;
    const usedKeys = reading.usedKeys;
    await wh.execute(`delete from people where email = 'd2@x.com'`);
    // A first sync: its 12 creations are listed, but nothing is unchanged for the keys to spare.
    expect(await readWith(20)).toHaveLength(14);
    expect(usedKeys()).toEqual([false]);
    await confirmChanges(
      state,
      profiles,
      (await read(state, 5000)).filter((c) => c.diffKind === 'create'),
    );
    // 3 updates beside 9 unchanged rows: listed in full up to 3 keys a kind, cut at 2.
    await wh.execute(`update people set segment = 'lost' where id in ('1', '2', '3')`);
    const [byKeys, cut] = [await readWith(3), await readWith(2)];
    expect(usedKeys()).toEqual([false, true, false]);
    expect(byKeys).toEqual(cut);
    expect(byKeys).toEqual(['null_key ', 'null_key ', 'update 1', 'update 2', 'update 3']);
    // 5 updates beside 7 unchanged rows: the keys would spare fewer than twice their number.
    await wh.execute(`update people set segment = 'lost' where id in ('4', '5')`);
    expect(await readWith(20)).toHaveLength(7);
    expect(usedKeys()).toEqual([false, true, false, false]);
    await wh.execute(`update people set segment = 'loyal' where id in ('4', '5')`);
    // A key of 128 characters is listed; one longer cannot be, and its kind is read whole.
    await wh.execute(`insert into people values (repeat('k', 128), 'long@x.com', 'v')`);
    expect(await readWith(20)).toContain(`create ${'k'.repeat(128)}`);
    await wh.execute(`insert into people values (repeat('k', 129), 'longer@x.com', 'v')`);
    expect(await readWith(20)).toContain(`create ${'k'.repeat(129)}`);
    expect(usedKeys()).toEqual([false, true, false, false, true, false]);
  });

  it('reads a confirmed key that now has two rows by its key as the whole diff does', async () => {
    const { readWith, usedKeys } = readingByKeys();
    await wh.execute(`delete from people where email = 'd2@x.com'`);
    await confirmChanges(
      state,
      profiles,
      (await read(state, 5000)).filter((c) => c.diffKind === 'create'),
    );
    // Key 1 gains a second row, key 2 changes: each kind lists its keys, so they are read by them.
    await wh.execute(`insert into people values ('1', 'again@x.com', 'v')`);
    await wh.execute(`update people set segment = 'lost' where id = '2'`);
    const [byKeys, whole] = [await readWith(20), await readWith(0)];
    expect(usedKeys()).toEqual([true, false]);
    expect(byKeys).toEqual(whole);
    expect(byKeys.counts).toMatchObject({ duplicateKeys: 1, update: 1, unchanged: 10 });
    expect(byKeys.rows).toEqual(['duplicate 1', 'null_key ', 'null_key ', 'update 2']);
  });

  it('gives the values Klaviyo had when the snapshot is smaller than the change, too', async () => {
    // 3 rows confirmed and 13 changed: the snapshot's rows are carried through the diff's join.
    const first = await read(state, 5000);
    await confirmChanges(
      state,
      profiles,
      first.filter((c) => ['1', '2', '3'].includes(c.key)),
      (key) => `P${key}`,
    );
    await wh.execute(`update people set segment = 'lost' where id = '2'`);
    await wh.execute(`delete from people where id = '3'`);
    // By the changed keys, and as the whole diff a second time.
    for (const changedKeys of [undefined, 0]) {
      const diff = await openDiff(state, profiles, {}, undefined, undefined, changedKeys);
      expect(diff.counts).toMatchObject({ create: 8, update: 1, remove: 1, unchanged: 1, synced: 3 });
      const rows: StreamedChange[] = [];
      for await (const chunk of diff.changes) rows.push(...chunk);
      expect(rows).toHaveLength(13);
      const byKey = new Map(rows.map((c) => [`${c.diffKind} ${c.key}`, c]));
      expect(byKey.get('update 2')).toMatchObject({
        previous: { segment: 'loyal' },
        row: { segment: 'lost' },
      });
      expect(byKey.get('remove 3')).toMatchObject({
        previous: { segment: 'loyal' },
        row: null,
        profileId: 'P3',
      });
      expect(byKey.get('create 5')).toMatchObject({ previous: null });
    }
  });

  it('fails a stream that ends before every row its counts announced has arrived', async () => {
    // A driver may end a result early when the warehouse fails part-way (the DuckDB client does):
    // here the real stream is cut after its first two rows.
    const cut: Warehouse = {
      ...wh,
      async *stream(sql, params, chunkSize) {
        for await (const rows of wh.stream(sql, params, chunkSize)) {
          yield rows.slice(0, 2);
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

  it("stops at the first row past its kind's count when the model changed between the counts and the rows", async () => {
    // A dbt build replacing the model while the run reads it: the guard was shown 11 creations.
    const rebuilt: Warehouse = {
      ...wh,
      async *stream(sql, params, chunkSize) {
        await wh.execute(`insert into people values ('13', 'p13@x.com', 'new')`);
        yield* wh.stream(sql, params, chunkSize);
      },
    };
    // Read as the whole diff a second time (no changed keys listed), as a change too large to list is.
    const diff = await openDiff({ ...state, wh: rebuilt }, profiles, {}, 1, 'none', 0);
    expect(diff.counts.create).toBe(11);
    const creates: string[] = [];
    await expect(
      (async () => {
        for await (const chunk of diff.changes)
          for (const c of chunk) if (c.diffKind === 'create') creates.push(c.key);
      })(),
    ).rejects.toThrow(
      new WarehouseError(
        'The diff of sync profiles (model m) brought more create rows than its counts announced (11): the model or the state changed while the run read them (a dbt build at the same time?). Nothing past that row was sent; run again.',
      ),
    );
    // Never a twelfth: the rows of the chunk that brought it are not handed on either.
    expect(creates.length).toBeLessThanOrEqual(11);
  });

  it('leaves a row of another key that appeared between the counts and the rows to the next run', async () => {
    await confirmChanges(
      state,
      profiles,
      (await read(state, 5000)).filter((c) => c.diffKind === 'create'),
    );
    // 2 updates, read by their keys.
    await wh.execute(`update people set segment = 'lost' where id in ('1', '2')`);
    const rebuilt: Warehouse = {
      ...wh,
      async *stream(sql, params, chunkSize) {
        await wh.execute(`insert into people values ('13', 'p13@x.com', 'new')`);
        yield* wh.stream(sql, params, chunkSize);
      },
    };
    const diff = await openDiff({ ...state, wh: rebuilt }, profiles, {}, 1);
    const rows: StreamedChange[] = [];
    for await (const chunk of diff.changes) rows.push(...chunk);
    expect(diff.counts).toMatchObject({ create: 0, update: 2 });
    expect(
      rows
        .filter((c) => c.diffKind === 'update')
        .map((c) => c.key)
        .sort(),
    ).toEqual(['1', '2']);
    expect(rows.map((c) => c.key)).not.toContain('13');
  });

  it('gives every row that shares a key, or has none, and reports a duplicate key once', async () => {
    await wh.execute(
      `insert into people select '4', 'four' || i || '@x.com', 'v' from range(30) t(i);
       insert into people select null, 'none' || i || '@x.com', 'v' from range(30) t(i);`,
    );
    const rows = await read(state, 7);
    expect(rows.filter((c) => c.diffKind === 'null_key')).toHaveLength(32);
    expect(rows.filter((c) => c.diffKind === 'duplicate').map((c) => c.key)).toEqual(['4']);
  });

  it('reads no rows at all when nothing needs work', async () => {
    await wh.execute(`delete from people where id is null or id = '4'`);
    const first = await read(state, 5000);
    await confirmChanges(state, profiles, first);
    let streams = 0;
    const counting: Warehouse = {
      ...wh,
      stream(sql, params, chunkSize) {
        streams += 1;
        return wh.stream(sql, params, chunkSize);
      },
    };
    expect(await read({ ...state, wh: counting }, 5000)).toEqual([]);
    expect(streams).toBe(0);
  });

  it("reads rows too wide for the run's 256MB under a larger budget, and says so", async () => {
    // 500 rows of 64 KB: DuckDB's JSON of a vector of them takes more than 256MB, spilling or not.
    const wide = spec({ object: 'profile', properties: ['notes'] }, 'wide');
    wide.model.relationName = 'main.wide';
    await wh.execute(`create table wide as select cast(i as varchar) as id, 'w' || i || '@x.com' as email,
      repeat(md5(cast(i as varchar)), 2048) as notes from range(500) t(i)`);
    const warned: WarehouseWarning[] = [];
    const saved = process.env.KLAVIYO_RUNNER_DUCKDB_MEMORY_LIMIT;
    delete process.env.KLAVIYO_RUNNER_DUCKDB_MEMORY_LIMIT;
    const file = String(
      (await wh.query(`select path from duckdb_databases() where database_name = current_database()`))[0]!
        .path,
    );
    await wh.close();
    try {
      wh = await openDuckDb(file, false, [], (w) => warned.push(w));
      const diff = await openDiff(stateOf(wh, 'klaviyo_runner'), wide);
      expect(diff.counts.create).toBe(500);
      let rows = 0;
      for await (const chunk of diff.changes) rows += chunk.length;
      expect(rows).toBe(500);
      expect(warned.map((w) => w.event)).toEqual(['warehouse.memory']);
      expect(warned[0]!.message).toContain('raised it to 1024MB');
      // A budget the user set is theirs: the failure says what to raise.
      await wh.close();
      process.env.KLAVIYO_RUNNER_DUCKDB_MEMORY_LIMIT = '256MB';
      wh = await openDuckDb(file, false, [], (w) => warned.push(w));
      await expect(openDiff(stateOf(wh, 'klaviyo_runner'), wide)).rejects.toThrow(/Out of Memory Error/);
      expect(warned).toHaveLength(1);
    } finally {
      if (saved === undefined) delete process.env.KLAVIYO_RUNNER_DUCKDB_MEMORY_LIMIT;
      else process.env.KLAVIYO_RUNNER_DUCKDB_MEMORY_LIMIT = saved;
    }
  });

  it('reads two first syncs of 100,000 rows side by side in 48MB of DuckDB memory', async () => {
    // The rows hold nothing in the warehouse: one statement that put the counts first held every
    // changed row, and each of these diffs alone needed more than 64MB.
    await wh.execute(`
      create table wide as select cast(i as varchar) as id, 'p' || i || '@x.com' as email,
        repeat(chr(cast(97 + (i % 26) as integer)), 200) || i as segment
      from range(100000) t(i)`);
    await wh.execute(`set memory_limit = '48MB'`);
    const one = spec({ object: 'profile', properties: ['segment'] }, 'one');
    const two = spec({ object: 'profile', properties: ['segment'] }, 'two');
    one.model.relationName = two.model.relationName = 'main.wide';
    const opened = [await openDiff(state, one), await openDiff(state, two)];
    expect(opened.map((d) => d.counts.create)).toEqual([100000, 100000]);
    const read = await Promise.all(
      opened.map(async (d) => {
        let n = 0;
        for await (const chunk of d.changes) n += chunk.length;
        return n;
      }),
    );
    expect(read).toEqual([100000, 100000]);
  });
});

describe("a sync's diff as one statement, as Snowflake reads it", () => {
  // The statement is the same SQL on both warehouses; a warehouse named snowflake reads it this way.
  const asSnowflake = (s: State): State => ({ ...s, wh: { ...s.wh, kind: 'snowflake' } });

  it('gives the same counts and rows as the two statements, by kind and key', async () => {
    await wh.execute(`insert into people values ('4', 'd2@x.com', 'y'), (null, 'n@x.com', 'z')`);
    const two = await openDiff(state, profiles, {}, 3);
    const one = await openDiff(asSnowflake(state), profiles, {}, 3);
    expect(one.counts).toEqual(two.counts);
    const rows = async (d: typeof one) => {
      const out: StreamedChange[] = [];
      for await (const chunk of d.changes) out.push(...chunk);
      return out;
    };
    const fromOne = await rows(one);
    // Three identical rows without a key are one line of the statement and three rejections.
    expect(fromOne.filter((c) => c.diffKind === 'null_key')).toHaveLength(3);
    expect(fromOne.map((c) => `${c.diffKind} ${c.key}`)).toEqual(byKindAndKey(fromOne));
    expect(byKindAndKey(fromOne)).toEqual(byKindAndKey(await rows(two)));
  });

  it('gives the values Klaviyo had', async () => {
    expect(await afterAnEdit(asSnowflake(state))).toMatchObject(EDITED);
  });

  it('fails a stream that ends before every row its counts announced has arrived', async () => {
    const snowflake = asSnowflake(state);
    const cut: Warehouse = {
      ...snowflake.wh,
      async *stream(sql, params, chunkSize) {
        for await (const rows of wh.stream(sql, params, chunkSize)) {
          yield rows.slice(0, 5);
          return;
        }
      },
    };
    await expect(read({ ...state, wh: cut }, 4)).rejects.toThrow(
      'The diff of sync profiles (model m) ended after 2 of its 15 changed rows',
    );
  });
});
