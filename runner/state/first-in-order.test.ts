import { describe, expect, it } from 'vitest';
import type { StreamedChange } from './diff.ts';
import { FirstInOrder, listingOrder } from './first-in-order.ts';

const change = (diffKind: StreamedChange['diffKind'], key: string, hash: string): StreamedChange => ({
  diffKind,
  kind: 'create',
  key,
  hash,
  row: {},
  previous: null,
  profileId: null,
  withdrawnAt: {},
  leftUnsubscribed: false,
});

/** A deterministic shuffle, so a failure can be replayed. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('the first rows of a diff by kind and key', () => {
  const rows = [
    ...Array.from({ length: 500 }, (_, i) => change('create', `k${String(i).padStart(3, '0')}`, `h${i}`)),
    ...Array.from({ length: 40 }, (_, i) => change('duplicate', 'dup', `h${String(99 - i)}`)),
    ...Array.from({ length: 40 }, (_, i) => change('null_key', '', `n${String(i).padStart(2, '0')}`)),
  ];

  it('keeps the same ones whatever order the rows arrive in', () => {
    const lists = [1, 2, 3, 4, 5].map((seed) => {
      const first = new FirstInOrder<string>(7);
      for (const c of shuffled(rows, seed)) first.add(c, `${c.diffKind} ${c.key} ${c.hash}`);
      return first.list();
    });
    expect(lists[0]).toEqual([
      'create k000 h0',
      'create k001 h1',
      'create k002 h2',
      'create k003 h3',
      'create k004 h4',
      'create k005 h5',
      'create k006 h6',
    ]);
    for (const list of lists) expect(list).toEqual(lists[0]);
  });

  it("orders a duplicate key's rows by hash, and rows without a key by hash alone", () => {
    const duplicates = new FirstInOrder<string>(2);
    const nulls = new FirstInOrder<string>(2);
    for (const c of shuffled(rows, 9)) {
      if (c.diffKind === 'duplicate') duplicates.add(c, c.hash!);
      if (c.diffKind === 'null_key') nulls.add(c, c.hash!);
    }
    expect(duplicates.list()).toEqual(['h60', 'h61']);
    expect(nulls.list()).toEqual(['n00', 'n01']);
    expect(listingOrder(change('duplicate', 'a', 'h'))).toEqual(['duplicate', 'a\u0000h']);
  });

  it('keeps everything when there are fewer than its limit, and nothing at a limit of 0', () => {
    const few = new FirstInOrder<string>(10);
    for (const c of [rows[3]!, rows[1]!, rows[2]!]) few.add(c, c.key);
    expect(few.list()).toEqual(['k001', 'k002', 'k003']);
    const none = new FirstInOrder<string>(0);
    none.add(rows[0]!, 'x');
    expect(none.list()).toEqual([]);
  });

  it('keeps the first to come of rows in the same place, however many more come after', () => {
    const first = new FirstInOrder<string>(2);
    for (const item of ['a', 'b', 'c', 'd', 'e']) first.add(change('create', 'same', 'h'), item);
    first.add(change('create', 'earlier', 'h'), 'f');
    expect(first.list()).toEqual(['f', 'a']);
  });
});
