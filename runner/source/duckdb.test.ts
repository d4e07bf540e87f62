import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { queryDuckDb } from '../../test/helpers/duckdb.ts';
import { duckdbSettings, openDuckDb } from './duckdb.ts';

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

  it('caps them by default and takes the environment over the default', async () => {
    delete process.env.KLAVIYO_RUNNER_DUCKDB_MEMORY_LIMIT;
    delete process.env.KLAVIYO_RUNNER_DUCKDB_THREADS;
    expect(await setting('threads')).toBe('2');
    expect(await setting('memory_limit')).toMatch(/^2\d\d\.\d MiB$/);
    process.env.KLAVIYO_RUNNER_DUCKDB_MEMORY_LIMIT = '1GB';
    process.env.KLAVIYO_RUNNER_DUCKDB_THREADS = '1';
    expect(await setting('threads')).toBe('1');
    expect(await setting('memory_limit')).toMatch(/^9\d\d\.\d MiB$/);
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
