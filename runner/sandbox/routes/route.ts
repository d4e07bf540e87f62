/**
 * What every sandbox endpoint family shares: the request context, the answer, the route table's
 * entry, and the JSON:API body checks Klaviyo applies before it reads a request
 * (docs/klaviyo-api.md#operations-and-batch-limits).
 */
import type { Faults } from '../faults.ts';
import { badParameter, HttpError, invalid } from '../jsonapi.ts';
import type { Store } from '../store.ts';

export interface Ctx {
  store: Store;
  faults: Faults;
  base: string;
  path: string;
  params: string[];
  query: URLSearchParams;
  body: unknown;
  /** The request body's size in UTF-8 bytes as it arrived: what Klaviyo's size limits measure. */
  bodyBytes: number;
  jobDelayMs: number;
}
export interface Answer {
  status: number;
  body?: unknown;
}
export type Handler = (ctx: Ctx) => Answer;
export interface Route {
  method: string;
  pattern: RegExp;
  operationId: string;
  handler: Handler;
  /** A write Klaviyo's description gives no request body (a DELETE by id): none is required. */
  bodyless?: boolean;
}

const ID = '([^/]+)';
/** One endpoint: method, path (`{id}` for a path parameter) and the operationId that picks its rate-limit tier. */
export const route = (method: string, path: string, operationId: string, handler: Handler): Route => ({
  method,
  pattern: new RegExp(`^${path.replaceAll('{id}', ID)}/?$`),
  operationId,
  handler,
});

// ---- body checks -------------------------------------------------------------------------------
export function dataOf(ctx: Ctx, type: string): Record<string, unknown> {
  const data = (ctx.body as { data?: unknown } | null)?.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw invalid('The request body must be a JSON:API document with `data`.', '/data');
  const d = data as Record<string, unknown>;
  if (d.type !== type) throw invalid(`\`data.type\` must be "${type}".`, '/data/type');
  return d;
}

export function attributesOf(d: Record<string, unknown>): Record<string, unknown> {
  const a = d.attributes;
  if (typeof a !== 'object' || a === null)
    throw invalid('`data.attributes` is required.', '/data/attributes');
  return a as Record<string, unknown>;
}

export function arrayAt(value: unknown, pointer: string, max: number, what: string): unknown[] {
  if (!Array.isArray(value)) throw invalid(`${pointer} must be an array.`, pointer);
  if (value.length === 0) throw invalid(`${pointer} must not be empty.`, pointer);
  if (value.length > max)
    throw new HttpError(
      400,
      'invalid',
      'Invalid input.',
      `At most ${max} ${what} are allowed per request; got ${value.length}.`,
      pointer,
    );
  return value;
}

export const present = <T>(value: T | null | undefined): value is T => value !== undefined && value !== null;

/** The relationships `include=a,b` asks for, each one the resource allows (400 naming it otherwise). */
export function includes(ctx: Ctx, allowed: string[], resource: string): string[] {
  const names = (ctx.query.get('include') ?? '').split(',').filter((x) => x !== '');
  for (const name of names)
    if (!allowed.includes(name))
      throw badParameter('include', `'${name}' is not a valid relationship to include for ${resource}.`);
  return names;
}
