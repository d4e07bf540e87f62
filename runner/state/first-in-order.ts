/**
 * A diff's rows arrive in no order (diff-sql.ts, `rowsStatement`), yet a plan lists a few of them
 * (examples, the first rejections) and must list the same ones every time, or a pull request's plan
 * comment would change between two runs over the same data. The order is by kind, then key: a
 * duplicate key's rows by their hash too, and rows without a key by their hash alone.
 */
import type { StreamedChange } from './diff.ts';

/** Where a change stands in a listing: its kind, then what tells it from the others of that kind. */
export function listingOrder(change: StreamedChange): [string, string] {
  const hash = change.hash ?? '';
  if (change.diffKind === 'null_key') return [change.diffKind, hash];
  if (change.diffKind === 'duplicate') return [change.diffKind, `${change.key}\u0000${hash}`];
  return [change.diffKind, change.key];
}

const before = (a: [string, string], b: [string, string]) =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;

/**
 * The first `limit` items of a stream by `listingOrder`, whatever order they arrive in. Holds at
 * most twice `limit` items: past that it sorts and keeps the first `limit`, so a million rows cost
 * a few sorts of a small list rather than one of all of them. Once it has kept `limit`, a row that
 * comes after the last one kept is passed over without being held: a plan offers every row it
 * sends as an example, and after its first few almost none can be one. Items of equal order keep
 * the order they came in (the sort is stable, and a later equal of the last kept is passed over).
 */
export class FirstInOrder<T> {
  private held: { order: [string, string]; item: T }[] = [];
  /** The order of the last item kept at the last cut, once `limit` were kept. */
  private last: [string, string] | null = null;

  constructor(private readonly limit: number) {}

  add(change: StreamedChange, item: T): void {
    if (this.limit <= 0) return;
    const order = listingOrder(change);
    if (this.last !== null && before(order, this.last) >= 0) return;
    this.held.push({ order, item });
    if (this.held.length >= 2 * this.limit) this.prune();
  }

  /** The items kept, first first. */
  list(): T[] {
    this.prune();
    return this.held.map((h) => h.item);
  }

  private prune(): void {
    this.held.sort((a, b) => before(a.order, b.order));
    this.held.length = Math.min(this.held.length, this.limit);
    if (this.limit > 0 && this.held.length === this.limit) this.last = this.held[this.limit - 1]!.order;
  }
}
