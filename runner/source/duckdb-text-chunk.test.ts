import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { textChunk, type DuckDbModules } from './duckdb-text-chunk.ts';

const require = createRequire(import.meta.url);
const modules: DuckDbModules = {
  api: require('@duckdb/node-api') as DuckDbModules['api'],
  bindings: require('@duckdb/node-bindings') as DuckDbModules['bindings'],
};

/** Appends `rows` chunk by chunk, as the runner does, and reads them back in order. */
async function roundTrip(rows: unknown[][], width: number): Promise<unknown[][]> {
  const instance = await modules.api.DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const columns = Array.from({ length: width }, (_, c) => `c${c} varchar`);
    await conn.run(`create table t (n integer, ${columns.join(', ')})`);
    await conn.run(`create temporary table s (${columns.join(', ')})`);
    const appender = await conn.createAppender('s', 'main', 'temp');
    for (let i = 0; i < rows.length; i += 2048)
      appender.appendDataChunk(textChunk(modules, rows, i, Math.min(2048, rows.length - i), width));
    appender.closeSync();
    // The appender keeps the rows' order; number them to read them back in it.
    await conn.run('insert into t select row_number() over () - 1, * from s');
    const reader = await conn.runAndReadAll(
      `select ${columns.map((_, c) => `c${c}`).join(', ')} from t order by n`,
    );
    return reader.getRows();
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

describe('textChunk', () => {
  it('keeps each NULL at its row, on every bit and byte of the mask and across chunks', async () => {
    // NULLs at the edges of a mask's bytes and 64-bit words, a column NULL throughout, one never
    // NULL, and a chunk short of 2,048 rows at the end.
    const nullAt = new Set([0, 7, 8, 9, 63, 64, 65, 127, 1000, 2047, 2048, 2049, 4095, 4096, 5000]);
    const rows = Array.from({ length: 5001 }, (_, i) => [
      nullAt.has(i) ? null : `v${i}`,
      null,
      `k${i}`,
      i % 3 === 0 ? undefined : { at: i },
    ]);
    const got = await roundTrip(rows, 4);
    expect(got).toHaveLength(rows.length);
    const expected = rows.map((r) => [r[0], null, r[2], r[3] === undefined ? null : JSON.stringify(r[3])]);
    expect(got).toEqual(expected);
  });

  it('stores texts exactly, the empty text apart from NULL', async () => {
    const texts = ['', 'émoji 🎉 ünïcode', 'line\nbreak\ttab', '\u2028', 'quote " and \\', '0', 'null'];
    const rows = texts.flatMap((t) => [
      [t, null],
      [null, t],
    ]);
    expect(await roundTrip(rows, 2)).toEqual(rows);
  });

  it('writes numbers, booleans and objects as their text', () => {
    return expect(roundTrip([[1.5, true, { a: [1] }, 9007199254740993n]], 4)).resolves.toEqual([
      ['1.5', 'true', '{"a":[1]}', '9007199254740993'],
    ]);
  });
});
