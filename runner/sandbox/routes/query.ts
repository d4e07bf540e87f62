/**
 * The one filter, sort and paginate helper of the sandbox's collection endpoints, as Klaviyo's
 * `filter`, `sort` and `page[size]`/`page[cursor]` query parameters work
 * (https://developers.klaviyo.com/en/docs/filtering_, https://developers.klaviyo.com/en/docs/sorting_and_pagination_).
 */
import { badParameter, links, paginate, parseFilter } from '../jsonapi.ts';
import type { Answer, Ctx } from './route.ts';

/** The request's `filter` conditions as [operator, field, value], none without a filter. */
export function filtersOf(ctx: Ctx): [string, string, unknown][] {
  const filter = ctx.query.get('filter');
  return filter === null ? [] : parseFilter(filter);
}

/** A date-time filter operand: Klaviyo takes ISO 8601; compare instants, not strings. */
export function instant(value: unknown): number {
  const t = Date.parse(String(value));
  if (Number.isNaN(t)) throw badParameter('filter', `Invalid date-time in filter: ${String(value)}`);
  return t;
}

export const TIME_OPS: Record<string, (x: number, t: number) => boolean> = {
  'greater-than': (x, t) => x > t,
  'greater-or-equal': (x, t) => x >= t,
  'less-than': (x, t) => x < t,
  'less-or-equal': (x, t) => x <= t,
};

export const badFilter = (detail: string) => badParameter('filter', detail);

/** `sort=field` or `sort=-field`, with the fields the operation allows. */
export function sortBy<T>(ctx: Ctx, items: T[], allowed: Record<string, (x: T) => string | number>): T[] {
  const sort = ctx.query.get('sort');
  if (sort === null) return items;
  const desc = sort.startsWith('-');
  const key = allowed[desc ? sort.slice(1) : sort];
  if (key === undefined) throw badParameter('sort', `'${sort}' is not a valid sort for this resource.`);
  const cmp = (a: T, b: T) => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
  return [...items].sort((a, b) => (desc ? cmp(b, a) : cmp(a, b)));
}

export function collection(
  ctx: Ctx,
  data: unknown[],
  next: string | null,
  prev: string | null = null,
): Answer {
  return { status: 200, body: { data, links: links(ctx.base, ctx.path, ctx.query, next, prev) } };
}

/** One page of `items` (at most `max`, `size` by default), each shown as `resource` makes it. */
export function pageOf<T>(
  ctx: Ctx,
  items: T[],
  max: number,
  size: number,
  resource: (item: T) => unknown,
): Answer {
  const page = paginate(items, ctx.query, max, size);
  return collection(
    ctx,
    page.items.map((item) => resource(item)),
    page.next,
    page.prev,
  );
}
