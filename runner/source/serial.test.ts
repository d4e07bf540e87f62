import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { queryDuckDb } from '../../test/helpers/duckdb.ts';
import { openDuckDb } from './duckdb.ts';
import type { Warehouse } from './warehouse.ts';

describe('one session shared by syncs side by side (serial.ts), on DuckDB', () => {
  let wh: Warehouse;
  beforeEach(async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'kr-serial-')), 'w.duckdb');
    await queryDuckDb(file, 'create table t (who varchar, n integer)');
    wh = await openDuckDb(file);
  });
  afterEach(async () => {
    await wh.close();
  });

  const rows = async () =>
    (await wh.query('select who, n from t order by who, n')).map((r) => `${String(r.who)}${String(r.n)}`);

  it('keeps another statement out of a transaction until it commits', async () => {
    let inside!: () => void;
    const opened = new Promise<void>((resolve) => (inside = resolve));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const first = wh.transaction(async (tx) => {
      await tx.execute(`insert into t values ('a', 1)`);
      inside();
      await held;
      await tx.execute(`insert into t values ('a', 2)`);
    });
    await opened;
    // Sent while the transaction is open: it waits, so it cannot land inside it.
    let seen: string[] | null = null;
    const between = rows().then((r) => (seen = r));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toBeNull();
    release();
    await Promise.all([first, between]);
    expect(seen).toEqual(['a1', 'a2']);
  });

  it('rolls back a transaction whose work fails, and goes on with the next', async () => {
    const failing = wh.transaction(async (tx) => {
      await tx.execute(`insert into t values ('b', 1)`);
      throw new Error('the batch failed');
    });
    const next = wh.transaction((tx) => tx.execute(`insert into t values ('c', 1)`));
    await expect(failing).rejects.toThrow('the batch failed');
    await next;
    expect(await rows()).toEqual(['c1']);
  });

  it('runs statements from many callers at once without mixing them', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0
          ? wh.transaction(async (tx) => {
              await tx.execute(`insert into t values ('x', ${i})`);
              await tx.execute(`insert into t values ('y', ${i})`);
            })
          : wh.insertRows('t', ['who', 'n'], [['z', i]]),
      ),
    );
    const counted = await wh.query('select who, count(*) as n from t group by who order by who');
    expect(counted.map((r) => `${String(r.who)}${String(r.n)}`)).toEqual(['x10', 'y10', 'z10']);
  });

  it('refuses a transaction begun inside another, and rolls the outer one back', async () => {
    await expect(
      wh.transaction(async (tx) => {
        await tx.execute(`insert into t values ('n', 1)`);
        await tx.transaction((inner) => inner.execute(`insert into t values ('n', 2)`));
      }),
    ).rejects.toThrow('a transaction cannot begin inside another');
    expect(await rows()).toEqual([]);
  });

  it('reads a stream while statements and transactions go on', async () => {
    await wh.execute(`insert into t select 's', i from range(20000) r(i)`);
    let streamed = 0;
    for await (const chunk of wh.stream(`select n from t where who = 's'`, [], 1000)) {
      if (streamed === 0) await wh.transaction((tx) => tx.execute(`insert into t values ('w', 1)`));
      streamed += chunk.length;
    }
    expect(streamed).toBe(20000);
    expect(await rows()).toContain('w1');
  });

  it('starts a stream holding the queue until its first rows arrive, then lets statements by', async () => {
    await wh.execute(`insert into t select 's', i from range(20000) r(i)`);
    const order: string[] = [];
    const rows = wh.stream(`select n from t where who = 's' order by n`, [], 1000)[Symbol.asyncIterator]();
    const first = rows.next().then(() => order.push('first rows'));
    // Asked for after the stream started: it runs once the stream's first rows are in.
    const count = wh.query('select count(*) as n from t').then(() => order.push('statement'));
    await Promise.all([first, count]);
    expect(order).toEqual(['first rows', 'statement']);
    let rest = 0;
    for (let next = await rows.next(); next.done !== true; next = await rows.next())
      rest += next.value.length;
    expect(rest).toBeGreaterThan(0);
  });
});
