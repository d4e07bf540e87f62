import { describe, expect, it } from 'vitest';
import { sizeInBytes, smallReadBudget } from './duckdb-budget.ts';

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
