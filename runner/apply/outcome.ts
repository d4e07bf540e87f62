import { KlaviyoError } from '../errors.ts';

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
