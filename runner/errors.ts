/**
 * The few error classes the runner throws. Each says what went wrong in a sentence a user can act
 * on; `cli.ts` is the one place they become exit codes (see README "Exit codes").
 *
 * Row-level problems (a bad email, a price that is not a number) are never thrown: they become
 * `Rejection`s carried in the plan and the run results, so one bad row never stops a sync.
 */

/** Exit codes, documented in the README. */
export const ExitCode = {
  ok: 0,
  /** The run finished, but some rows were rejected or failed. */
  rowsRejectedOrFailed: 1,
  /** Could not run: configuration, manifest, warehouse connection or Klaviyo authentication. */
  couldNotRun: 2,
  /** A bug in klaviyo-runner: please report it. */
  internal: 3,
} as const;

/** A problem with what the user gave us: options, profiles.yml, manifest, an exposure block. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** Every problem found, one sentence each (the message lists them too). */
  readonly problems: string[];
  constructor(message: string, problems: string[] = []) {
    super(problems.length > 0 ? `${message}\n${problems.map((p) => `  - ${p}`).join('\n')}` : message);
    this.problems = problems;
  }
}

/** The warehouse could not be reached or refused a statement. */
export class WarehouseError extends Error {
  override readonly name = 'WarehouseError';
}

/**
 * Klaviyo (or a Klaviyo-compatible server) answered with an error we do not retry, or retries ran
 * out. `retryable` says whether a later run may succeed; `status` is the HTTP status when there was one.
 * `outcomeUnknown` says a request that must not be resent blindly (it is not idempotent) may or may
 * not have taken effect: the connection was lost after it went out, or Klaviyo answered 5xx. The
 * caller finds out what Klaviyo holds before trying again. `unreachable` says Klaviyo gave no answer of
 * its own (network errors, timeouts, a gateway's 5xx) for longer than the client's bound: every
 * further request would wait the same, so the run stops.
 */
export class KlaviyoError extends Error {
  override readonly name = 'KlaviyoError';
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
    readonly errors: KlaviyoApiError[] = [],
    readonly outcomeUnknown = false,
    readonly unreachable = false,
  ) {
    super(message);
  }
}

/**
 * 401/403 (the key is wrong or lacks a scope) or Klaviyo unreachable: every further request would
 * fail the same way, so the run stops instead of trying each sync.
 */
export function stopsTheRun(error: unknown): boolean {
  return error instanceof KlaviyoError && (error.status === 401 || error.status === 403 || error.unreachable);
}

/** The run was stopped by SIGINT or SIGTERM. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
}

/** One entry of a JSON:API `errors[]` array as Klaviyo sends it. */
export interface KlaviyoApiError {
  id?: string;
  status?: number;
  code: string;
  title: string;
  detail: string;
  source?: { pointer?: string; parameter?: string };
  meta?: Record<string, unknown>;
}

/**
 * GitHub's REST API refused a request of `klaviyo-runner comment` (a token without
 * `pull-requests: write`, a pull request that does not exist) or kept failing.
 */
export class GitHubError extends Error {
  override readonly name = 'GitHubError';
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
  }
}

/** Another run of the same sync holds the lock. */
export class LockedError extends Error {
  override readonly name = 'LockedError';
}
