/** JSON:API answers as Klaviyo shapes them: resources, errors[], cursor links (docs/klaviyo-api.md#revision-and-protocol, docs/klaviyo-api.md#errors). */
import { randomUUID } from 'node:crypto';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
    readonly pointer?: string,
    readonly meta?: Record<string, unknown>,
    readonly parameter?: string,
  ) {
    super(detail);
  }
  body(): unknown {
    const source =
      this.pointer !== undefined
        ? { pointer: this.pointer }
        : this.parameter !== undefined
          ? { parameter: this.parameter }
          : undefined;
    return {
      errors: [
        {
          id: randomUUID(),
          status: this.status,
          code: this.code,
          title: this.title,
          detail: this.detail,
          ...(source ? { source } : {}),
          ...(this.meta ? { meta: this.meta } : {}),
        },
      ],
    };
  }
}

export const invalid = (detail: string, pointer?: string) =>
  new HttpError(400, 'invalid', 'Invalid input.', detail, pointer);
export const notFound = (detail: string) => new HttpError(404, 'not_found', 'Not found.', detail);
/** 400 naming a query parameter or header (`filter`, `sort`, `include`, `page[size]`, `revision` …). */
export const badParameter = (parameter: string, detail: string) =>
  new HttpError(400, 'invalid', 'Invalid input.', detail, undefined, undefined, parameter);

export interface Page<T> {
  items: T[];
  next: string | null;
  prev: string | null;
}

/**
 * The cursor a client sent. Klaviyo's SDKs take `links.next` whole as their cursor argument and
 * cut the cursor out of it only when the link starts with https://, so over plain http they send
 * the whole link, and Python's cut keeps the `=`: accept the bare cursor, `=cursor`, or a link.
 */
export function cursorOf(raw: string | null): string | null {
  if (raw === null) return null;
  const text = raw.trim();
  if (/^https?:\/\//i.test(text)) {
    try {
      return cursorOf(new URL(text).searchParams.get('page[cursor]') ?? '');
    } catch {
      return text;
    }
  }
  return text.replace(/^=/, '');
}

/** Cursor pagination: the cursor is the offset, opaque to clients. */
export function paginate<T>(all: T[], query: URLSearchParams, max: number, fallback: number): Page<T> {
  const sizeText = query.get('page[size]');
  const size = sizeText === null ? fallback : Number(sizeText);
  if (!Number.isInteger(size) || size < 1 || size > max) {
    throw badParameter('page[size]', `page[size] must be an integer between 1 and ${max}.`);
  }
  const cursor = cursorOf(query.get('page[cursor]'));
  const decoded = cursor === null ? '0' : Buffer.from(cursor, 'base64url').toString();
  const offset = /^\d+$/.test(decoded) ? Number(decoded) : NaN;
  if (!Number.isSafeInteger(offset)) throw badParameter('page[cursor]', 'Invalid cursor provided.');
  const encode = (n: number) => Buffer.from(String(n)).toString('base64url');
  const items = all.slice(offset, offset + size);
  const next = offset + size < all.length ? encode(offset + size) : null;
  const prev = offset > 0 ? encode(Math.max(0, offset - size)) : null;
  return { items, next, prev };
}

/**
 * CollectionLinks: `self` always; `next` and `prev` only when there is such a page (the schema
 * has no null).
 */
export function links(
  base: string,
  path: string,
  query: URLSearchParams,
  next: string | null,
  prev: string | null = null,
): Record<string, string> {
  const self = `${base}${path}${query.size > 0 ? `?${query.toString()}` : ''}`;
  const at = (cursor: string) => {
    const q = new URLSearchParams(query);
    q.set('page[cursor]', cursor);
    return `${base}${path}?${q.toString()}`;
  };
  return {
    self,
    ...(next === null ? {} : { next: at(next) }),
    ...(prev === null ? {} : { prev: at(prev) }),
  };
}

/**
 * Klaviyo's filter language, the part the runner uses: equals, any, greater-than, less-than,
 * greater-or-equal, less-or-equal, and(...). Returns [operator, field, value] triples.
 */
export function parseFilter(text: string): [string, string, unknown][] {
  const out: [string, string, unknown][] = [];
  const parseValue = (raw: string): unknown => {
    const v = raw.trim();
    if (v.startsWith('[')) return JSON.parse(v) as unknown[];
    if (v.startsWith('"')) return JSON.parse(v) as string;
    return v;
  };
  const walk = (expr: string): void => {
    const m = /^([a-z-]+)\((.*)\)$/s.exec(expr.trim());
    if (!m) throw badParameter('filter', `Invalid filter: ${expr}`);
    const [, op, inner] = m as unknown as [string, string, string];
    const args: string[] = [];
    let depth = 0;
    let inString = false;
    let start = 0;
    for (let i = 0; i < inner.length; i++) {
      const c = inner[i];
      if (c === '"' && inner[i - 1] !== '\\') inString = !inString;
      if (inString) continue;
      if (c === '(' || c === '[') depth++;
      if (c === ')' || c === ']') depth--;
      if (c === ',' && depth === 0) {
        args.push(inner.slice(start, i));
        start = i + 1;
      }
    }
    args.push(inner.slice(start));
    if (op === 'and') {
      for (const a of args) walk(a);
      return;
    }
    if (args.length !== 2) throw badParameter('filter', `Invalid filter: ${expr}`);
    try {
      out.push([op, args[0]!.trim(), parseValue(args[1]!)]);
    } catch {
      throw badParameter('filter', `Invalid filter value in ${expr}`);
    }
  };
  walk(text);
  return out;
}

/**
 * Sparse fieldsets: with `fields[<type>]=a,b` a resource of that type keeps only those
 * attributes, in `data` and in `included` alike.
 */
export function sparse(body: unknown, query: URLSearchParams): unknown {
  const wanted = new Map<string, Set<string>>();
  for (const [key, value] of query) {
    const m = /^fields\[([^\]]+)\]$/.exec(key);
    if (m) wanted.set(m[1]!, new Set(value.split(',').map((f) => f.trim())));
  }
  if (wanted.size === 0 || typeof body !== 'object' || body === null) return body;
  const trim = (resource: unknown): unknown => {
    const r = resource as { type?: string; attributes?: Record<string, unknown> };
    const keep = r.type === undefined ? undefined : wanted.get(r.type);
    if (keep === undefined || r.attributes === undefined) return resource;
    // A nested field (`location.city`) keeps its top-level attribute whole.
    const kept = (k: string) => keep.has(k) || [...keep].some((f) => f.startsWith(`${k}.`));
    return { ...r, attributes: Object.fromEntries(Object.entries(r.attributes).filter(([k]) => kept(k))) };
  };
  const doc = body as { data?: unknown; included?: unknown[] };
  return {
    ...doc,
    ...(doc.data === undefined
      ? {}
      : { data: Array.isArray(doc.data) ? doc.data.map(trim) : trim(doc.data) }),
    ...(doc.included === undefined ? {} : { included: doc.included.map(trim) }),
  };
}
