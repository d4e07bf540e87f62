import os from 'node:os';
import type { Warehouse, WarehouseWarning } from './warehouse.ts';

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

/**
 * The budget to read again under once DuckDB failed for lack of memory under `current`: four times
 * it, up to DuckDB's own default of 80% of the machine's memory (`machineBytes`); null when
 * `current` is there already. DuckDB's JSON functions hold a vector's 2,048 rows of JSON several
 * times over while they build them, so rows of 10 KB and more fail under the run's 256MB however
 * few they are (5,000 rows of 12 KB did; 20,000 of 30 KB needed 1GB), where spilling cannot help.
 */
export function largerBudget(current: string, machineBytes: number): string | null {
  const bytes = sizeInBytes(current);
  if (bytes === null) return null;
  const next = Math.min(bytes * 4, machineBytes * 0.8);
  return next > bytes ? `${Math.floor(next / 1e6)}MB` : null;
}

/** The run's DuckDB budget as it stands, and the raise after a failure for memory. */
export interface RunBudget {
  /** The budget now: the run's, or the one it was raised to. */
  readonly current: () => string;
  /** Warehouse.moreMemory. */
  readonly raise: () => Promise<string | null>;
}

/**
 * The budget of a run that started under `initial`. `chosen`: the user set it
 * (KLAVIYO_RUNNER_DUCKDB_MEMORY_LIMIT), and it is never raised; the error then names the variable.
 */
export function runBudget(
  initial: string,
  chosen: boolean,
  set: (budget: string) => Promise<void>,
  warn?: (warning: WarehouseWarning) => void,
): RunBudget {
  let current = initial;
  return {
    current: () => current,
    raise: async () => {
      const next = chosen ? null : largerBudget(current, os.totalmem());
      if (next === null) return null;
      await set(next);
      warn?.({
        event: 'warehouse.memory',
        message: `DuckDB ran out of its ${current} of memory building the JSON of the model's rows (rows of 10 KB and more need more); the runner raised it to ${next} for the rest of the run. KLAVIYO_RUNNER_DUCKDB_MEMORY_LIMIT sets it from the start.`,
      });
      current = next;
      return next;
    },
  };
}

/** DuckDB's "Out of Memory Error". */
export const outOfMemory = (error: unknown) => error instanceof Error && /out of memory/i.test(error.message);

/**
 * `read`, again under a larger DuckDB budget each time it fails for lack of memory, as long as
 * DuckDB's budget may grow (Warehouse.moreMemory): the counts build every row's JSON, whose
 * memory DuckDB cannot spill (`largerBudget`). The rows that follow are read
 * under the budget the counts needed.
 */
export async function withMoreMemory<T>(wh: Warehouse, read: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await read();
    } catch (error) {
      if (!outOfMemory(error) || (await wh.moreMemory?.()) == null) throw error;
    }
  }
}
