/**
 * Reading a result ahead (read-ahead.ts): every chunk once and in order, no more than the bound
 * ahead of the reader, nothing in flight once a reader that stopped early is told so, and a failed
 * fetch thrown after the chunks before it. Then the same through DuckDB's stream.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { emptyState } from '../../test/helpers/duckdb.ts';
import { readAhead } from './read-ahead.ts';
import type { Warehouse } from './warehouse.ts';

/** A source of `n` chunks of `size` numbers, each fetch a turn of the event loop, counting its fetches. */
function source(n: number, size = 5, failAt?: number) {
  const state = { fetched: 0, inFlight: 0 };
  const fetch = async () => {
    state.inFlight += 1;
    await new Promise((r) => setImmediate(r));
    state.inFlight -= 1;
    if (state.fetched === failAt) throw new Error(`fetch ${failAt} failed`);
    if (state.fetched >= n) return null;
    const first = state.fetched * size;
    state.fetched += 1;
    return Array.from({ length: size }, (_, i) => first + i);
  };
  return { state, fetch };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('readAhead', () => {
  it('gives every chunk once, in order', async () => {
    const { fetch } = source(50);
    const seen: number[] = [];
    for await (const chunk of readAhead(fetch, (c) => c.length, 12)) seen.push(...chunk);
    expect(seen).toEqual(Array.from({ length: 250 }, (_, i) => i));
  });

  it('fetches while the reader works, never more than the bound ahead of it', async () => {
    const { state, fetch } = source(50);
    const reader = readAhead(fetch, (c) => c.length, 12);
    await reader.next();
    await pause(30);
    // One chunk read; 12 rows of 5-row chunks make 3 waiting chunks, the third fetched when 10 waited.
    expect(state.fetched).toBe(1 + 3);
    await reader.return(undefined);
  });

  it('leaves no fetch in flight and fetches nothing more once the reader stops', async () => {
    const { state, fetch } = source(50);
    for await (const chunk of readAhead(fetch, (c) => c.length, 1000)) if (chunk[0] === 10) break;
    expect(state.inFlight).toBe(0);
    const fetched = state.fetched;
    await pause(20);
    expect(state.fetched).toBe(fetched);
  });

  it('gives the chunks fetched before a failure, then the failure', async () => {
    const { fetch } = source(50, 5, 4);
    const seen: number[] = [];
    await expect(async () => {
      for await (const chunk of readAhead(fetch, (c) => c.length, 100)) seen.push(...chunk);
    }).rejects.toThrow('fetch 4 failed');
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});

describe("DuckDB's stream, read ahead", () => {
  let wh: Warehouse | undefined;
  afterEach(async () => {
    await wh?.close();
  });

  it('streams every row in order, and a stream left early leaves the warehouse usable', async () => {
    ({ wh } = await emptyState('read-ahead'));
    const rows: number[] = [];
    for await (const chunk of wh.stream('select i from range(100000) t(i) order by i', [], 3000))
      rows.push(...chunk.map((r) => Number(r.i)));
    expect(rows).toEqual(Array.from({ length: 100000 }, (_, i) => i));
    for await (const chunk of wh.stream('select i from range(100000) t(i)', [], 3000))
      if (chunk.length > 0) break;
    expect(await wh.query('select 42 as n')).toEqual([{ n: 42 }]);
  });
});
