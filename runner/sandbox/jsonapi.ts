/** JSON:API answers as Klaviyo shapes them: resources, errors[], cursor links (API-NOTES §2, §9). */
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

export interface Page<T> {
  items: T[];
  next: string | null;
}

/** Cursor pagination: the cursor is the offset, opaque to clients. */
export function paginate<T>(all: T[], query: URLSearchParams, max: number, fallback: number): Page<T> {
  const sizeText = query.get('page[size]');
  const size = sizeText === null ? fallback : Number(sizeText);
  if (!Number.isInteger(size) || size < 1 || size > max) {
    throw new HttpError(
      400,
      'invalid',
      'Invalid input.',
      `page[size] must be an integer between 1 and ${max}.`,
      undefined,
      undefined,
      'page[size]',
    );
  }
  const cursor = query.get('page[cursor]');
  const offset = cursor === null ? 0 : Number(Buffer.from(cursor, 'base64url').toString());
  if (!Number.isInteger(offset) || offset < 0)
    throw new HttpError(
      400,
      'invalid',
      'Invalid input.',
      'Invalid page cursor.',
      undefined,
      undefined,
      'page[cursor]',
    );
  const items = all.slice(offset, offset + size);
  const next = offset + size < all.length ? Buffer.from(String(offset + size)).toString('base64url') : null;
  return { items, next };
}

/** CollectionLinks: `self` always; `next` only when there is a next page (the schema has no null). */
export function links(
  base: string,
  path: string,
  query: URLSearchParams,
  next: string | null,
): Record<string, string> {
  const self = `${base}${path}${query.size > 0 ? `?${query.toString()}` : ''}`;
  if (next === null) return { self };
  const q = new URLSearchParams(query);
  q.set('page[cursor]', next);
  return { self, next: `${base}${path}?${q.toString()}` };
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
    if (!m)
      throw new HttpError(
        400,
        'invalid',
        'Invalid input.',
        `Invalid filter: ${expr}`,
        undefined,
        undefined,
        'filter',
      );
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
    if (args.length !== 2)
      throw new HttpError(
        400,
        'invalid',
        'Invalid input.',
        `Invalid filter: ${expr}`,
        undefined,
        undefined,
        'filter',
      );
    try {
      out.push([op, args[0]!.trim(), parseValue(args[1]!)]);
    } catch {
      throw new HttpError(
        400,
        'invalid',
        'Invalid input.',
        `Invalid filter value in ${expr}`,
        undefined,
        undefined,
        'filter',
      );
    }
  };
  walk(text);
  return out;
}
