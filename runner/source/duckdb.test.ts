import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { queryDuckDb } from '../../test/helpers/duckdb.ts';
import { DUCKDB_ALLOCATOR_CONF, duckdbSettings, openDuckDb, withAllocatorSettings } from './duckdb.ts';

describe("DuckDB's memory and threads, set by the runner", () => {
  const saved = { ...process.env };
  let file: string;
  beforeEach(async () => {
    file = path.join(mkdtempSync(path.join(os.tmpdir(), 'kr-duckdb-')), 'w.duckdb');
    await queryDuckDb(file, 'create table t as select 1 as x');
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  const setting = async (name: string) => {
    const wh = await openDuckDb(file, true);
    try {
      const [row] = await wh.query(`select value from duckdb_settings() where name = '${name}'`);
      return String(row!.value);
    } finally {
      await wh.close();
    }
  };

  it("narrows the budget for small reads on a read-only file only, and gives the run's back", async () => {
    delete process.env.KLAVIYO_RUNNER_DUCKDB_MEMORY_LIMIT;
    const limit = async (wh: Awaited<ReturnType<typeof openDuckDb>>) =>
      String((await wh.query(`select current_setting('memory_limit') as m`))[0]!.m);
    const reading = await openDuckDb(file, true);
    try {
      const restore = await reading.smallReads!();
      expect(await limit(reading)).toMatch(/^12\d\.\d MiB$/);
      await restore();
      expect(await limit(reading)).toMatch(/^2\d\d\.\d MiB$/);
    } finally {
      await reading.close();
    }
    // A sync's file: other statements run beside its reads. A budget set lower than the small one is kept.
    const writing = await openDuckDb(file);
    await writing.close();
    expect(writing.smallReads).toBeUndefined();
    process.env.KLAVIYO_RUNNER_DUCKDB_MEMORY_LIMIT = '100MB';
    const lean = await openDuckDb(file, true);
    await lean.close();
    expect(lean.smallReads).toBeUndefined();
  });

  it('caps them by default and takes the environment over the default', async () => {
    delete process.env.KLAVIYO_RUNNER_DUCKDB_MEMORY_LIMIT;
    delete process.env.KLAVIYO_RUNNER_DUCKDB_THREADS;
    expect(await setting('threads')).toBe('2');
    expect(await setting('memory_limit')).toMatch(/^2\d\d\.\d MiB$/);
    expect(await setting('checkpoint_threshold')).toMatch(/^3\d\.\d MiB$/);
    process.env.KLAVIYO_RUNNER_DUCKDB_MEMORY_LIMIT = '1GB';
    process.env.KLAVIYO_RUNNER_DUCKDB_THREADS = '1';
    expect(await setting('threads')).toBe('1');
    expect(await setting('memory_limit')).toMatch(/^9\d\d\.\d MiB$/);
  });

  it("reads a TIMESTAMPTZ in UTC whatever the machine's time zone", async () => {
    await queryDuckDb(file, `create table stamps as select timestamptz '2025-03-04 05:06:07+02' as at`);
    // DuckDB takes its time zone from the machine when it starts: a process of its own in Tokyo.
    const read = `const { openDuckDb } = await import(${JSON.stringify(path.join(import.meta.dirname, 'duckdb.ts'))});
      const wh = await openDuckDb(${JSON.stringify(file)}, true);
      const [row] = await wh.query("select cast(json_object('at', \\"at\\") as varchar) as j from stamps");
      process.stdout.write(String(row.j));
      await wh.close();`;
    const text = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', read], {
      env: { ...process.env, TZ: 'Asia/Tokyo' },
      encoding: 'utf8',
    });
    expect(text).toBe('{"at":"2025-03-04 03:06:07+00"}');
  });

  it('refuses a value DuckDB would not read, naming the variable', () => {
    expect(() => duckdbSettings({ KLAVIYO_RUNNER_DUCKDB_MEMORY_LIMIT: 'lots' })).toThrow(
      'KLAVIYO_RUNNER_DUCKDB_MEMORY_LIMIT is "lots"; give a size such as 512MB or 2GB.',
    );
    expect(() => duckdbSettings({ KLAVIYO_RUNNER_DUCKDB_THREADS: '0' })).toThrow(
      'KLAVIYO_RUNNER_DUCKDB_THREADS is "0"; give a whole number of threads, 1 or more.',
    );
  });
});

describe("DuckDB's allocator, set while its library loads", () => {
  it('gives the library the setting while it loads, and takes it away after', () => {
    const env: NodeJS.ProcessEnv = { PATH: '/bin' };
    const seen = withAllocatorSettings(() => env.DUCKDB_JE_MALLOC_CONF, env);
    expect(seen).toBe(DUCKDB_ALLOCATOR_CONF);
    expect(DUCKDB_ALLOCATOR_CONF).toBe('muzzy_decay_ms:0');
    expect(env).toEqual({ PATH: '/bin' });
  });

  it("keeps the user's own setting, and takes it away even when loading fails", () => {
    const mine: NodeJS.ProcessEnv = { DUCKDB_JE_MALLOC_CONF: 'narenas:1' };
    expect(withAllocatorSettings(() => mine.DUCKDB_JE_MALLOC_CONF, mine)).toBe('narenas:1');
    expect(mine).toEqual({ DUCKDB_JE_MALLOC_CONF: 'narenas:1' });
    const env: NodeJS.ProcessEnv = {};
    expect(() =>
      withAllocatorSettings(() => {
        throw new Error('no binary for this platform');
      }, env),
    ).toThrow('no binary for this platform');
    expect(env).toEqual({});
  });
});

describe('insertRows on DuckDB', () => {
  /** A new DuckDB file holding one table, open as the runner opens it. */
  async function openWithTable(create: string) {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'kr-insert-')), 'w.duckdb');
    await queryDuckDb(file, create);
    return openDuckDb(file);
  }

  it('stores every text exactly as given, and objects as their JSON', async () => {
    const wh = await openWithTable('create table t (a varchar, b varchar)');
    try {
      const texts = [
        'plain',
        'quote " and \\ back',
        'line\nbreak\ttab',
        'émoji 🎉 ünïcode',
        '\u0001control',
        '',
        '{"a":1}',
        '[1,2]',
        'null',
        '\u2028separator',
      ];
      // More rows than one statement binds, so the slices meet.
      const rows = Array.from({ length: 25_000 }, (_, i) => [
        texts[i % texts.length]!,
        i % 2 ? null : { o: i },
      ]);
      await wh.insertRows('t', ['a', 'b'], rows);
      const got = await wh.query('select a, b from t');
      expect(got).toHaveLength(rows.length);
      expect(got.slice(0, 10).map((r) => r.a)).toEqual(texts);
      expect(got.slice(-4).map((r) => r.b)).toEqual([
        JSON.stringify({ o: 24_996 }),
        null,
        JSON.stringify({ o: 24_998 }),
        null,
      ]);
      const [counted] = await wh.query(`select count(*) filter (where a = 'émoji 🎉 ünïcode') as n from t`);
      expect(Number(counted!.n)).toBe(2500);
    } finally {
      await wh.close();
    }
  });

  it("reads a table's columns again after this session changed them", async () => {
    const wh = await openWithTable('create table t (a varchar, b varchar)');
    try {
      await wh.insertRows('t', ['a', 'b'], [['1', 'x']]);
      // No longer text columns only: the rows must go by name, not fill the table in order.
      await wh.execute('alter table t add column n integer');
      await wh.execute('alter table t alter column a type integer');
      await wh.insertRows('t', ['a', 'b', 'n'], [[2, 'y', 3]]);
      await wh.execute('create or replace table t (b varchar, a varchar)');
      await wh.insertRows('t', ['a', 'b'], [['4', 'z']]);
      expect(await wh.query('select a, b from t')).toEqual([{ a: '4', b: 'z' }]);
    } finally {
      await wh.close();
    }
  });

  it('inserts all of a call or none of it, and a refused or rolled-back call leaves the next one whole', async () => {
    const wh = await openWithTable('create table t (a varchar not null, b varchar)');
    try {
      await expect(
        wh.transaction(async (tx) => {
          await tx.insertRows('t', ['a', 'b'], [['rolled', 'back']]);
          throw new Error('stop');
        }),
      ).rejects.toThrow('stop');
      // The NULL is in the second of three appended chunks: nothing of the call may land.
      const rows = Array.from({ length: 5000 }, (_, i) => [i === 3000 ? null : `a${i}`, `b${i}`]);
      await expect(wh.insertRows('t', ['a', 'b'], rows)).rejects.toThrow(/NOT NULL/);
      await wh.insertRows('t', ['a', 'b'], [['kept', 'row']]);
      expect(await wh.query('select a, b from t')).toEqual([{ a: 'kept', b: 'row' }]);
    } finally {
      await wh.close();
    }
  });

  it('gives back the memory of rows staged and deleted, outside a transaction only', async () => {
    const wh = await openWithTable('create table t (a varchar, b varchar)');
    const inMemoryMb = async () => {
      const [row] = await wh.query(
        `select coalesce(sum(memory_usage_bytes), 0) / 1048576 as mb from duckdb_memory() where tag = 'IN_MEMORY_TABLE'`,
      );
      return Number(row!.mb);
    };
    try {
      const rows = (n: number) => Array.from({ length: 10_000 }, (_, i) => [`${n}-${i}`, 'x'.repeat(1000)]);
      // Inside a transaction DuckDB cannot checkpoint: the rows go in all the same.
      await wh.transaction(async (tx) => {
        for (let n = 0; n < 3; n++) await tx.insertRows('t', ['a', 'b'], rows(n));
      });
      for (let n = 3; n < 10; n++) await wh.insertRows('t', ['a', 'b'], rows(n));
      // The table's own 100,000 rows go to the file; what stays in memory is what the temporary
      // mirror held and deleted since it was last reclaimed (about 70MB here if never).
      await wh.execute('checkpoint');
      expect(await inMemoryMb()).toBeLessThan(25);
      expect(await wh.query('select count(*) as n from t')).toEqual([{ n: '100000' }]);
    } finally {
      await wh.close();
    }
  });
});
