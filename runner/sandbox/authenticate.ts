/**
 * The checks Klaviyo makes before it looks at what a request asks: the private key in
 * `Authorization: Klaviyo-API-Key <key>` and the `revision` header
 * (docs/klaviyo-api.md#revision-and-protocol).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { badParameter, HttpError } from './jsonapi.ts';

/** Klaviyo's first dated revision: an earlier date resolves to no revision at all. */
const FIRST_REVISION = '2022-10-17';

/**
 * Checks the `revision` header as Klaviyo does: required, a date (YYYY-MM-DD, optionally with a
 * suffix such as `.pre`). Any date from the first revision on is served: a date that is not
 * itself a revision resolves to the latest revision before it, and the sandbox answers every
 * revision with the 2026-07-15 shapes.
 */
function checkRevision(value: string | string[] | undefined): void {
  if (value === undefined || value === '')
    throw badParameter('revision', 'The `revision` header is required (e.g. 2026-07-15).');
  const text = Array.isArray(value) ? (value[0] ?? '') : value;
  const m = /^(\d{4}-\d{2}-\d{2})(\.[A-Za-z0-9]+)?$/.exec(text.trim());
  const date = m?.[1];
  if (date === undefined || new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) !== date)
    throw badParameter(
      'revision',
      `Invalid revision ${JSON.stringify(text)}: send a date such as 2026-07-15.`,
    );
  if (date < FIRST_REVISION)
    throw new HttpError(404, 'not_found', 'Not found.', 'No valid revisions found for method.');
}

/**
 * The request's private key, once the key and the revision pass (401 or 400/404 otherwise).
 * `apiKeys` limits the keys accepted; without it any non-empty key is.
 */
export function authenticate(headers: IncomingHttpHeaders, apiKeys: string[] | undefined): string {
  const auth = headers.authorization ?? '';
  const key = /^Klaviyo-API-Key\s+(\S+)$/i.exec(auth)?.[1];
  if (key === undefined)
    throw new HttpError(
      401,
      'not_authenticated',
      'Authentication credentials were not provided.',
      'Missing private key: send `Authorization: Klaviyo-API-Key <key>`.',
    );
  if (apiKeys !== undefined && !apiKeys.includes(key))
    throw new HttpError(
      401,
      'authentication_failed',
      'Incorrect authentication credentials.',
      'The private key is not valid for this account.',
    );
  checkRevision(headers.revision);
  return key;
}
