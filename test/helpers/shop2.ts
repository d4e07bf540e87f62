/**
 * The second shop (test/shop2): a temp copy installing this checkout as its package, built with
 * the project's own dbt, and its hand-written expectations read as rows.
 */
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { queryDuckDb } from './duckdb.ts';
import { repoRoot, run, type Ran } from './dbt.ts';

export interface Shop2Project {
  dir: string;
  db: string;
  env: NodeJS.ProcessEnv;
}

export async function copyShop2Project(): Promise<Shop2Project> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kr-shop2-'));
  await cp(path.join(repoRoot, 'test', 'shop2'), dir, {
    recursive: true,
    filter: (src) => !/[/\\](target|dbt_packages|logs)$/.test(src),
  });
  await writeFile(path.join(dir, 'packages.yml'), `packages:\n  - local: ${repoRoot}\n`);
  const db = path.join(dir, 'target', 'shop2.duckdb');
  return { dir, db, env: { DBT_SEND_ANONYMOUS_USAGE_STATS: 'false', SHOP2_DUCKDB: db } };
}

/** `dbt deps` then `dbt build`, as the shop runs them; the build's output is returned. */
export async function buildShop2(project: Shop2Project): Promise<Ran> {
  const dbt = path.join(repoRoot, '.venv', 'bin', 'dbt');
  const dirs = ['--profiles-dir', project.dir, '--project-dir', project.dir];
  const deps = await run(dbt, ['deps', ...dirs], { cwd: project.dir, env: project.env });
  if (deps.code !== 0) return deps;
  return run(dbt, ['build', ...dirs], { cwd: project.dir, env: project.env });
}

/** A CSV of test/shop2/expected, every cell as text ('' for empty), in file order. */
export async function readExpected(file: string): Promise<Record<string, string>[]> {
  const csv = path.join(repoRoot, 'test', 'shop2', 'expected', file).replaceAll("'", "''");
  const rows = await queryDuckDb(
    ':memory:',
    `select * from read_csv('${csv}', header = true, all_varchar = true, quote = '"')`,
  );
  return rows.map((row) =>
    Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null ? '' : String(v)])),
  );
}
