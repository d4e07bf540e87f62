/**
 * From an authenticated request to its handler's answer: find the route (405 for a known path
 * with another method, 404 for an unknown one), read the JSON:API body, run the handler.
 */
import type { ParsedBody } from './exchange.ts';
import type { Faults } from './faults.ts';
import { HttpError } from './jsonapi.ts';
import { advanceJobs, ROUTES, type Answer, type Route } from './routes.ts';
import type { Store } from './store.ts';

/** What every handler sees besides the request: the account's state and how the sandbox runs. */
export interface Account {
  store: Store;
  faults: Faults;
  base: string;
  jobDelayMs: number;
}

export function routeFor(method: string | undefined, path: string): { route: Route; params: string[] } {
  for (const route of ROUTES) {
    const m = route.method === method ? route.pattern.exec(path) : null;
    if (m !== null) return { route, params: m.slice(1) };
  }
  if (ROUTES.some((r) => r.pattern.test(path)))
    throw new HttpError(
      405,
      'method_not_allowed',
      'Method not allowed.',
      `Method "${method ?? ''}" not allowed.`,
    );
  throw new HttpError(404, 'not_found', 'Not found.', `No endpoint ${method ?? ''} ${path}.`);
}

/**
 * The request body as JSON (undefined when empty); a write without one is refused, as Klaviyo does,
 * unless its route takes none.
 */
export function readJson(parsed: ParsedBody, method: string | undefined, bodyless = false): unknown {
  if (parsed !== null && !parsed.ok)
    throw new HttpError(400, 'parse_error', 'Malformed request body.', 'The request body is not valid JSON.');
  const body = parsed?.value;
  if (!bodyless && ['POST', 'PATCH', 'DELETE'].includes(method ?? '') && body === undefined)
    throw new HttpError(400, 'invalid', 'Invalid input.', 'A JSON:API request body is required.', '/data');
  return body;
}

/** The request as its handler reads it: its JSON and its size as it arrived. */
export interface RequestBody {
  json: unknown;
  bytes: number;
}

/** Runs the route's handler on the account, after moving import jobs along to the present. */
export function dispatch(
  account: Account,
  route: Route,
  params: string[],
  url: URL,
  body: RequestBody,
): Answer {
  const { store, faults, base, jobDelayMs } = account;
  advanceJobs(store, faults);
  return route.handler({
    store,
    faults,
    base,
    path: url.pathname,
    params,
    query: url.searchParams,
    body: body.json,
    bodyBytes: body.bytes,
    jobDelayMs,
  });
}
