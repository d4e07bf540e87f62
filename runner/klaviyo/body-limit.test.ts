import { describe, expect, it } from 'vitest';
import { BodyLimit, partsWithin } from './body-limit.ts';

const items = (...bytes: number[]) => bytes.map((b, i) => ({ key: String(i), bytes: b }));

describe('the largest body known to pass', () => {
  it('is unbounded until a body is refused as too large', () => {
    const limit = new BodyLimit();
    limit.note(202, 'x'.repeat(5000));
    limit.note(400, 'x'.repeat(9000));
    expect(limit.bytes).toBe(Infinity);
  });

  it('is then just under the refused body, and once a smaller one passed, halfway between', () => {
    const limit = new BodyLimit();
    limit.note(413, 'x'.repeat(1000));
    expect(limit.bytes).toBe(999);
    limit.note(202, 'x'.repeat(500));
    limit.note(202, 'x'.repeat(300));
    expect(limit.bytes).toBe(750);
    // A smaller refusal lowers it below what passed before (the proxy, or its limit, changed).
    limit.note(413, 'é'.repeat(200));
    expect(limit.bytes).toBe(399);
  });
});

describe('a batch cut to a body limit', () => {
  it('is one part while no limit is known', () => {
    expect(partsWithin(items(10, 20, 30), Infinity)).toHaveLength(1);
  });

  it('keeps each part within nine tenths of the limit, in order, one item at least', () => {
    const parts = partsWithin(items(40, 40, 40, 100, 10), 100);
    expect(parts.map((p) => p.map((i) => i.key))).toEqual([['0', '1'], ['2'], ['3'], ['4']]);
  });
});
