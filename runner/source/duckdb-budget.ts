/**
 * DuckDB's memory budget for reads that need little of it (Warehouse.smallReads). DuckDB caches
 * the file's blocks it reads up to its `memory_limit` and lets go of them only when it needs the
 * room or the limit comes down (https://duckdb.org/docs/stable/configuration/overview). A plan
 * reads a small change in two statements: the counts hash every row of the model and the snapshot,
 * and the rows of the changed keys then read the snapshot's row texts. Under the run's 256MB both
 * filled the cache: the plan of a 1% change of 1,000,000 profiles (`npm run bench`) peaked at
 * 355-407 MB where its bare SQL reference peaked at 282-300 MB; with the keyed read under 128MB, at
 * 292-305 MB in the same time within the noise (64MB gave the same). Rows too wide for it are read
 * again under the run's budget (state/diff.ts).
 */

/** The budget of reads that need little memory. */
const SMALL_READS = '128MB';

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** Bytes of a DuckDB size as the runner's settings write it (`256MB`, `1.5GiB`); null when not one. */
export function sizeInBytes(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(text.trim());
  const unit = m === null ? undefined : UNITS[m[2]!.toLowerCase()];
  return unit === undefined ? null : Number(m![1]) * unit;
}

/**
 * The budget for reads that need little memory under `configured` (the run's `memory_limit`), or
 * null when the configured one is no larger: a budget set lower on purpose is kept.
 */
export function smallReadBudget(configured: string): string | null {
  const bytes = sizeInBytes(configured);
  return bytes !== null && bytes > sizeInBytes(SMALL_READS)! ? SMALL_READS : null;
}
