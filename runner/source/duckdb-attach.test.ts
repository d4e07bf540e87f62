import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { queryDuckDb } from '../../test/helpers/duckdb.ts';
import { duckdbTarget } from '../config/duckdb-target.ts';
import { attachSql } from './duckdb-attach.ts';
import { openDuckDb } from './duckdb.ts';

const WHERE = 'profiles.yml: target `dev`';

describe('the databases a dbt-duckdb profile attaches', () => {
  let dir: string;
  const target = (output: Record<string, unknown>) =>
    duckdbTarget({ path: 'main.duckdb', ...output }, WHERE, (p) => path.resolve(dir, p));
  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kr-attach-'));
    await queryDuckDb(path.join(dir, 'main.duckdb'), 'create table t as select 1 as x');
    await queryDuckDb(path.join(dir, 'mart.duckdb'), "create table customers as select 'C1' as customer_id");
  });

  it('names each entry as dbt-duckdb does, from its alias or its file, relative to the project', () => {
    const { attach } = target({
      attach: [
        { path: 'mart.duckdb' },
        { path: 'data/other.db', alias: 'Other', read_only: true, options: { encryption_key: 'k' } },
        { path: 'legacy.sqlite', type: 'sqlite' },
        { path: 'md:shop' },
        { path: 'x.duckdb', options: { type: 'postgres' } },
        { path: 'ducklake:lake.ddb' },
      ],
    });
    expect(attach.map((a) => [a.alias, a.path, a.unsupported === undefined])).toEqual([
      ['mart', path.join(dir, 'mart.duckdb'), true],
      ['Other', path.join(dir, 'data', 'other.db'), true],
      ['legacy', 'legacy.sqlite', false],
      ['shop', 'md:shop', false],
      ['x', 'x.duckdb', false],
      ['lake', 'ducklake:lake.ddb', false],
    ]);
    expect(attachSql(attach[1]!)).toBe(
      `attach if not exists '${path.join(dir, 'data', 'other.db')}' as "Other" (READ_ONLY, ENCRYPTION_KEY 'k')`,
    );
    expect(attach[2]!.unsupported).toBe(
      "a database of type `sqlite` needs DuckDB's sqlite extension, which klaviyo-runner does not load",
    );
  });

  it('refuses an entry dbt-duckdb would refuse, naming it', () => {
    expect(() => target({ attach: { path: 'mart.duckdb' } })).toThrow(
      `${WHERE}: \`attach\` must be a list of databases.`,
    );
    expect(() => target({ attach: [{ alias: 'mart' }] })).toThrow(
      `${WHERE}, attach entry 1: give each attached database a \`path\`.`,
    );
    expect(() =>
      target({ attach: [{ path: 'm.duckdb', read_only: true, options: { read_only: true } }] }),
    ).toThrow(
      `${WHERE}, attach entry 1 (m.duckdb): \`read_only\` is given both directly and in \`options\`.`,
    );
  });

  it('reads a model in an attached file, read only, and writes the state in the target file', async () => {
    const { path: file, attach } = target({ attach: [{ path: 'mart.duckdb' }] });
    const wh = await openDuckDb(file, false, attach);
    try {
      expect(await wh.query('select * from "mart"."main"."customers"')).toEqual([{ customer_id: 'C1' }]);
      await expect(wh.execute('create table "mart"."main"."x" (a int)')).rejects.toThrow(/read-only/i);
      await wh.execute('create schema klaviyo_runner');
      await wh.execute('create table klaviyo_runner.snapshot (a int)');
    } finally {
      await wh.close();
    }
    expect(
      await queryDuckDb(path.join(dir, 'main.duckdb'), 'select table_name from duckdb_tables()'),
    ).toEqual([{ table_name: 'snapshot' }, { table_name: 't' }]);
  });

  it('names the profile entry when a model lives where the runner cannot attach, or the file is missing', async () => {
    const { path: file, attach } = target({
      attach: [{ path: 'legacy.sqlite', type: 'sqlite', alias: 'legacy' }],
    });
    const wh = await openDuckDb(file, true, attach);
    try {
      await expect(wh.query('select * from "legacy"."main"."customers"')).rejects.toThrow(
        "The model reads from the database `legacy` of profiles.yml: target `dev`, attach entry 1 (legacy.sqlite, as `legacy`), and a database of type `sqlite` needs DuckDB's sqlite extension",
      );
      await expect(wh.query('select * from "elsewhere"."main"."customers"')).rejects.toThrow(
        'The model reads from the database `elsewhere`, which is neither the target',
      );
    } finally {
      await wh.close();
    }
    const missing = target({ attach: [{ path: 'gone.duckdb' }] });
    await expect(openDuckDb(missing.path, true, missing.attach)).rejects.toThrow(
      `No DuckDB file at ${path.join(dir, 'gone.duckdb')}, which ${WHERE}, attach entry 1 (gone.duckdb, as \`gone\`) attaches.`,
    );
  });
});
