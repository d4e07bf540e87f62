import { KlaviyoError } from '../errors.ts';

/** What happened to each row sent to Klaviyo: the unit the snapshot and the run report are built from. */
export type RowStatus = 'confirmed' | 'rejected' | 'failed';

export interface RowOutcome {
  key: string;
  status: RowStatus;
  /** Klaviyo's reason for a rejection, or the error for a failure. */
  reason?: string;
  profileId?: string | null;
}

/**
 * Whether Klaviyo refused a request (400) for something in its rows: its JSON:API errors point
 * into the request's `data`. Only then may rows be rejected permanently; a 400 in any other form
 * (a proxy's text or HTML, an error about a header or a query parameter) says nothing about the
 * rows, so they fail and are sent again next run.
 */
export function blamesRows(error: unknown): error is KlaviyoError {
  return (
    error instanceof KlaviyoError &&
    error.status === 400 &&
    error.errors.some((e) => e.source?.pointer?.startsWith('/data') === true)
  );
}

/** The reason a batch failed without a row being blamed. */
export function notAboutRows(error: unknown): string {
  return `${(error as Error).message} (not an error about these rows: they are sent again next run)`;
}
