import { describe, expect, it } from 'vitest';
import type { WarehouseWarning } from './warehouse.ts';
import { largerBudget, runBudget, sizeInBytes, smallReadBudget } from './duckdb-budget.ts';

describe("DuckDB's budget for small reads", () => {
  it('reads sizes as DuckDB writes them, decimal and binary units', () => {
    expect(sizeInBytes('256MB')).toBe(256e6);
    expect(sizeInBytes(' 1.5 GiB ')).toBe(1.5 * 2 ** 30);
    expect(sizeInBytes('512kb')).toBe(512e3);
    expect(sizeInBytes('2TB')).toBe(2e12);
    expect(sizeInBytes('lots')).toBeNull();
    expect(sizeInBytes('12 parsecs')).toBeNull();
  });

  it('narrows a budget larger than the small one, and keeps one no larger', () => {
    expect(smallReadBudget('256MB')).toBe('128MB');
    expect(smallReadBudget('1GB')).toBe('128MB');
    expect(smallReadBudget('128MB')).toBeNull();
    expect(smallReadBudget('122MiB')).toBeNull();
    expect(smallReadBudget('100MB')).toBeNull();
  });
});

describe("the run's DuckDB budget after a failure for memory", () => {
  it('grows fourfold up to 80% of the machine, and not past it', () => {
    expect(largerBudget('256MB', 16e9)).toBe('1024MB');
    expect(largerBudget('1024MB', 16e9)).toBe('4096MB');
    expect(largerBudget('4096MB', 16e9)).toBe('12800MB');
    expect(largerBudget('12800MB', 16e9)).toBeNull();
    expect(largerBudget('256MB', 1e9)).toBe('800MB');
    expect(largerBudget('lots', 16e9)).toBeNull();
  });

  it('is raised and said once per step, and never when the user chose it', async () => {
    const set: string[] = [];
    const said: WarehouseWarning[] = [];
    const budget = runBudget(
      '256MB',
      false,
      (size) => Promise.resolve(void set.push(size)),
      (w) => said.push(w),
    );
    const raised = await budget.raise();
    expect(raised).toMatch(/^\d+MB$/);
    expect(set).toEqual([raised]);
    expect(budget.current()).toBe(raised);
    expect(said).toEqual([
      {
        event: 'warehouse.memory',
        message: `DuckDB ran out of its 256MB of memory building the JSON of the model's rows (rows of 10 KB and more need more); the runner raised it to ${raised} for the rest of the run. KLAVIYO_RUNNER_DUCKDB_MEMORY_LIMIT sets it from the start.`,
      },
    ]);
    const chosen = runBudget('256MB', true, (size) => Promise.resolve(void set.push(size)));
    expect(await chosen.raise()).toBeNull();
    expect(chosen.current()).toBe('256MB');
    expect(set).toHaveLength(1);
  });
});
