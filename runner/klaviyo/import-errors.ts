/**
 * Which of a bulk import job's import errors say the row is wrong (permanent: rejected, not resent
 * until it changes) and which say Klaviyo could not do it this time (temporary: the row stays
 * unconfirmed and the next run sends it again). Klaviyo's import errors carry the JSON:API error
 * fields `code`, `title` and `detail`
 * (https://developers.klaviyo.com/en/reference/get_errors_for_bulk_import_profiles_job); its error
 * guide sorts failures into request problems (4xx: fix the request) and its own (5xx, 429: try
 * again, https://developers.klaviyo.com/en/docs/rate_limits_and_error_handling). An import error
 * is temporary when its code is one of Klaviyo's server-side or throttling codes, or its text asks
 * to try again; anything else names a problem with the row.
 */

export type ImportErrorKind = 'permanent' | 'temporary';

/** Codes of failures on Klaviyo's side or of throttling, not of the row. */
const TEMPORARY_CODES = new Set([
  'error',
  'internal_error',
  'server_error',
  'service_unavailable',
  'temporarily_unavailable',
  'timeout',
  'throttled',
  'rate_limited',
]);

const TEMPORARY_TEXT = /\btemporar(y|ily)\b|\btry again\b|\bretry\b|\btimed? ?out\b|\bunavailable\b/i;

export function importErrorKind(error: { code: string; title: string; detail: string }): ImportErrorKind {
  if (TEMPORARY_CODES.has(error.code.toLowerCase())) return 'temporary';
  return TEMPORARY_TEXT.test(`${error.title} ${error.detail}`) ? 'temporary' : 'permanent';
}
