import { KlaviyoError, stopsTheRun } from '../errors.ts';
import type { RowOutcome } from '../state/changes.ts';

/**
 * Whether Klaviyo refused a request for something in its rows: a 400, or a 409 such as
 * `duplicate_profile` (a profile's email and phone belong to two profiles,
 * docs/klaviyo-api.md#errors), whose JSON:API errors point into the request's `data`. Only then
 * may rows be rejected permanently (the executors halve a batch until the bad rows stand alone);
 * an error in any other form (a proxy's text or HTML, an error about a header or a query
 * parameter) says nothing about the rows, so they fail and are sent again next run.
 */
const ABOUT_THE_DATA = new Set([400, 409]);

export function blamesRows(error: unknown): error is KlaviyoError {
  return (
    error instanceof KlaviyoError &&
    error.status !== undefined &&
    ABOUT_THE_DATA.has(error.status) &&
    error.errors.some((e) => e.source?.pointer?.startsWith('/data') === true)
  );
}

/**
 * Whether the request's body was too large for Klaviyo, or for a proxy in front of it (413,
 * klaviyo/body-limit.ts). Sending the same batch again would meet the same refusal on every run,
 * so the executors halve it instead, until a part passes or one row alone is refused, which is
 * then rejected until it changes.
 */
export function tooLarge(error: unknown): error is KlaviyoError {
  return error instanceof KlaviyoError && error.status === 413;
}

/** The reason a batch failed without a row being blamed. */
export function notAboutRows(error: unknown): string {
  return `${(error as Error).message} (not an error about these rows: they are sent again next run)`;
}

/**
 * The index of the profile a JSON pointer names inside a request's profile list
 * (`/data/attributes/profiles/data/N/...`), as a refused import or subscription request and an
 * import job's errors point (docs/klaviyo-api.md#errors); null when it names none.
 */
const PROFILE_AT = /\/profiles\/data\/(\d+)(?:\/|$)/;
export function profileIndex(pointer: string | null | undefined): number | null {
  const m = PROFILE_AT.exec(pointer ?? '');
  return m === null ? null : Number(m[1]);
}

/** The members an error points at (index into `sent`), with Klaviyo's reason for each. */
function namedMembers(error: unknown, sent: readonly unknown[]): Map<number, string> {
  const named = new Map<number, string>();
  if (!blamesRows(error)) return named;
  for (const e of error.errors) {
    const index = profileIndex(e.source?.pointer);
    if (index !== null && index < sent.length) named.set(index, `${e.title} ${e.detail}`.trim());
  }
  return named;
}

/**
 * Sends one request's profiles (`request`), each with an outcome of its own: Klaviyo refuses such
 * a request whole for one wrong profile and points at it, so that profile alone is rejected and
 * the rest are sent again; an error naming none fails them all, to be sent again next run.
 * `failed` words the reason of a failure.
 */
export async function eachRowAlone<T extends { key: string }>(
  rows: T[],
  request: (batch: T[]) => Promise<void>,
  failed: (reason: string) => string = (reason) => reason,
): Promise<RowOutcome[]> {
  const outcomes: RowOutcome[] = [];
  let pending = rows;
  // Each pass either ends or takes at least one row out, so it ends.
  while (pending.length > 0) {
    try {
      await request(pending);
      outcomes.push(...pending.map((m) => ({ key: m.key, status: 'confirmed' as const })));
      return outcomes;
    } catch (error) {
      if (stopsTheRun(error)) throw error;
      const named = namedMembers(error, pending);
      if (named.size === 0) {
        const reason = failed(blamesRows(error) ? (error as Error).message : notAboutRows(error));
        outcomes.push(...pending.map((m) => ({ key: m.key, status: 'failed' as const, reason })));
        return outcomes;
      }
      for (const [i, reason] of named) outcomes.push({ key: pending[i]!.key, status: 'rejected', reason });
      pending = pending.filter((_, i) => !named.has(i));
    }
  }
  return outcomes;
}
