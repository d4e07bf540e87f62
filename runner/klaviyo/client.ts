/**
 * The one place the runner talks HTTP to Klaviyo: base URL, key, pinned revision and JSON:API
 * headers; a pace per rate-limit tier shared by every sync of a run (pacing.ts), set to Klaviyo's
 * published burst and steady limits so a healthy run rarely sees a 429 and widening after one;
 * Retry-After honoured on 429 (capped); 5xx and network errors retried with exponential backoff and jitter, up to a
 * bound, for idempotent operations only: a non-idempotent one (create_list) is never resent after a
 * failure that leaves its outcome unknown, it throws a KlaviyoError with `outcomeUnknown` instead;
 * 401/403 stop the run with the scope the operation needs. The key is never logged.
 *
 * Every attempt has limits: to connect, to receive the answer's headers, between two chunks of its
 * body, and in total; a server that accepts the connection and never answers costs one timeout, not
 * a hung run. When Klaviyo gives no answer of its own (network errors, timeouts, a gateway's 5xx)
 * for longer than `unreachableAfterMs`, the client stops retrying and throws a KlaviyoError with
 * `unreachable`, which stops the run (exit 2) instead of costing the same wait in every sync.
 */
import { Agent, request, type Dispatcher } from 'undici';
import { ConfigError, KlaviyoError, type KlaviyoApiError } from '../errors.ts';
import type { JsonText } from '../json-text.ts';
import { parseBaseUrl, withoutCredentials } from './base-url.ts';
import { BodyLimit } from './body-limit.ts';
import type { Tier } from './limits.ts';
import { sleep, tierPace, type TierPace } from './pacing.ts';
import { OPERATIONS, type OperationId } from './operations.ts';
import { DEFAULT_BASE_URL, JSON_API, KLAVIYO_REVISION } from './revision.ts';

/** Default per-attempt limit (connect, headers, gap in the body), in ms; the whole attempt gets twice it. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Default time Klaviyo may stay unreachable before the run stops: three attempts' worth. */
export const DEFAULT_UNREACHABLE_AFTER_MS = 3 * DEFAULT_REQUEST_TIMEOUT_MS;

export interface ClientOptions {
  apiKey?: string;
  baseUrl?: string;
  dispatcher?: Dispatcher;
  /**
   * Retries after the first attempt for 429, 5xx and network errors (for a non-idempotent
   * operation: 429 and failures to connect only).
   */
  maxRetries?: number;
  /** Longest wait honoured from a Retry-After header, in seconds. */
  maxRetryAfterSeconds?: number;
  /** Base of the exponential backoff, in ms. */
  backoffMs?: number;
  /** Turn off client-side limiting (tests of the server's 429 handling). */
  limits?: 'klaviyo' | 'off';
  /**
   * The longest an attempt waits to connect, for the answer's headers, or between two chunks of
   * the answer's body (ms); an attempt as a whole is abandoned after twice this.
   */
  requestTimeoutMs?: number;
  /** How long Klaviyo may give no answer of its own before the client gives up (ms). */
  unreachableAfterMs?: number;
  /** Aborts every request in flight and every wait (SIGINT/SIGTERM). */
  signal?: AbortSignal;
  onRequest?: (event: {
    operationId: OperationId;
    method: string;
    path: string;
    status: number | 'network-error';
    attempt: number;
    ms: number;
  }) => void;
}

/** A document to serialise, or JsonText sent as it is: the one string a body can be (transform/entries.ts). */
export type RequestBody = object | JsonText;

export interface KlaviyoResponse {
  status: number;
  body: unknown;
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504, 524]);

/** Failures to connect at all: the request never left, so even a non-idempotent one may be resent. */
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function neverSent(error: unknown): boolean {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'string' && NOT_SENT.has(code);
}

/** undici's timeouts say which limit was hit; other errors keep their own message. */
function describeNetworkError(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown; message?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.cause?.code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return 'no answer within the request timeout';
  if (code === 'UND_ERR_BODY_TIMEOUT') return 'the answer stopped arriving within the request timeout';
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'could not connect within the request timeout';
  if (e?.name === 'TimeoutError') return 'the answer took longer than the request deadline';
  return String(e?.message ?? error);
}

const NOT_RESENT = 'Klaviyo may or may not have carried it out, so it was not resent';

export function buildHeaders(apiKey: string, hasBody: boolean): Record<string, string> {
  return {
    authorization: `Klaviyo-API-Key ${apiKey}`,
    revision: KLAVIYO_REVISION,
    accept: JSON_API,
    ...(hasBody ? { 'content-type': JSON_API } : {}),
  };
}

/**
 * The entries of Klaviyo's JSON:API error envelope (`{"errors":[{code, title, detail, source?}]}`,
 * https://developers.klaviyo.com/en/docs/rate_limits_and_error_handling), or none when the body is
 * anything else: a proxy's or gateway's text or HTML answer is not Klaviyo speaking about rows.
 */
export function parseErrors(body: unknown): KlaviyoApiError[] {
  const errors = (body as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return [];
  const shaped = errors.every((e) => {
    const entry = e as Partial<KlaviyoApiError> | null;
    return typeof entry === 'object' && entry !== null && typeof entry.code === 'string';
  });
  return shaped ? (errors as KlaviyoApiError[]) : [];
}

/**
 * Gateway answers: a proxy or load balancer in front of Klaviyo could not reach it (524 is
 * Cloudflare's timeout, https://developers.cloudflare.com/support/troubleshooting/http-status-codes/cloudflare-5xx-errors/).
 */
const GATEWAY_STATUS = new Set([502, 504, 524]);

export type RequestCounts = Partial<Record<OperationId, number>>;

export class KlaviyoClient {
  /** The base URL without credentials: the form reports and messages show. */
  readonly baseUrl: string;
  /**
   * Settles at the run's first success from Klaviyo: from then on the key and the address are
   * known good, and the run widens to syncs side by side (sync/schedule.ts).
   */
  readonly answered: Promise<void>;
  private markAnswered: () => void = () => {};
  /** Every request the client made, by operation. */
  readonly requestCounts: RequestCounts = {};
  private readonly apiKey: string;
  private readonly origin: string;
  private readonly secrets: string[];
  private readonly paces = new Map<Tier, TierPace>();
  private readonly dispatcher: Dispatcher;
  private readonly ownDispatcher: Agent | null = null;
  private readonly timeoutMs: number;
  /**
   * When Klaviyo last stopped giving answers of its own; null while it answers. An object, so the
   * views of one sync each (`forSync`) share it: the run stops on Klaviyo unreachable, not a sync.
   */
  private readonly reach: { since: number | null } = { since: null };
  /** The requests of one sync of a run, on a view made by `forSync`; null on the run's client. */
  private readonly own: RequestCounts | null = null;
  /** The bodies Klaviyo, or a proxy in front of it, took and refused as too large (body-limit.ts). */
  readonly bodies = new BodyLimit();

  constructor(private readonly options: ClientOptions = {}) {
    const key = options.apiKey ?? process.env.KLAVIYO_API_KEY;
    if (key === undefined || key.trim() === '') {
      throw new ConfigError(
        'KLAVIYO_API_KEY is not set: create a private API key in Klaviyo (Settings → API keys) and export it.',
      );
    }
    this.apiKey = key.trim();
    this.answered = new Promise((resolve) => (this.markAnswered = resolve));
    const base = parseBaseUrl(options.baseUrl ?? process.env.KLAVIYO_BASE_URL ?? DEFAULT_BASE_URL);
    this.origin = base.url;
    this.baseUrl = base.display;
    this.secrets = base.secrets;
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    if (options.dispatcher !== undefined) this.dispatcher = options.dispatcher;
    else {
      this.ownDispatcher = new Agent({
        connect: { timeout: this.timeoutMs },
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      this.dispatcher = this.ownDispatcher;
    }
  }

  /**
   * The client for one sync of a run, which also counts into `counts` the requests made through
   * it: the syncs go side by side on one client, and each reports its own requests. The view
   * shares everything else with this client (limits, connections, the run's first answer, the
   * bodies refused as too large, how long Klaviyo has been unreachable): it is this client, seen
   * through a prototype with its own `own`. An explicit view rather than an async context, which
   * needs a hook on every promise of the process.
   */
  forSync(counts: RequestCounts): KlaviyoClient {
    const view = Object.create(this) as KlaviyoClient;
    Object.defineProperty(view, 'own', { value: counts });
    return view;
  }

  private countRequest(operationId: OperationId): void {
    this.requestCounts[operationId] = (this.requestCounts[operationId] ?? 0) + 1;
    if (this.own !== null) this.own[operationId] = (this.own[operationId] ?? 0) + 1;
  }

  private pace(operationId: OperationId): TierPace {
    const { tier } = OPERATIONS[operationId];
    let pace = this.paces.get(tier);
    if (pace === undefined) this.paces.set(tier, (pace = tierPace(tier)));
    return pace;
  }

  private redact(text: string): string {
    let out = withoutCredentials(text.split(this.apiKey).join('[redacted]'));
    for (const secret of this.secrets) out = out.split(secret).join('[redacted]');
    return out;
  }

  /**
   * Notes that an attempt got no answer of Klaviyo's own, and throws once that has lasted longer
   * than the bound (counting the wait before the next attempt), so the run stops.
   */
  private noteUnreachable(
    operationId: OperationId,
    what: string,
    since: number,
    wait: number,
    status?: number,
  ): void {
    const now = Date.now();
    // Counted from the start of the first attempt that got no answer, so a hung attempt counts whole.
    this.reach.since ??= since;
    const bound = this.options.unreachableAfterMs ?? DEFAULT_UNREACHABLE_AFTER_MS;
    if (now + wait - this.reach.since > bound)
      throw new KlaviyoError(
        `Klaviyo at ${this.baseUrl} has been unreachable for ${Math.round((now - this.reach.since) / 1000)} s (${operationId}: ${what}); the run stops. Check KLAVIYO_BASE_URL and the network, then run again.`,
        status,
        true,
        [],
        false,
        true,
      );
  }

  /**
   * One operation, retried as its tier and idempotency allow. The body of a success is returned
   * unread: answers.ts checks it against the shape the caller reads before anything uses it.
   */
  async call(
    operationId: OperationId,
    method: Dispatcher.HttpMethod,
    path: string,
    body?: RequestBody,
  ): Promise<KlaviyoResponse> {
    const url = path.startsWith('http') ? path : `${this.origin}${path}`;
    const maxRetries = this.options.maxRetries ?? 6;
    const { idempotent } = OPERATIONS[operationId];
    // Serialised once for all attempts; a string is JsonText, whose payloads were serialised as built.
    const json = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const sent = { method, headers: buildHeaders(this.apiKey, json !== undefined), body: json };
    for (let attempt = 0; ; attempt++) {
      const started = Date.now();
      let status: number;
      let parsed: unknown = undefined;
      let retryAfter: number | null = null;
      try {
        const send = async () => {
          // The whole attempt, body included, has a deadline: a body trickling in one byte at a
          // time never trips the gap timeout alone.
          const signals = [AbortSignal.timeout(2 * this.timeoutMs)];
          if (this.options.signal !== undefined) signals.push(this.options.signal);
          const signal = AbortSignal.any(signals);
          const res = await request(url, { ...sent, dispatcher: this.dispatcher, signal });
          return { res, text: await res.body.text() };
        };
        const { res, text } =
          this.options.limits === 'off'
            ? await send()
            : await this.pace(operationId).run(send, this.options.signal);
        status = res.statusCode;
        if (text !== '') {
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = text;
          }
        }
        const header = res.headers['retry-after'];
        if (header !== undefined) retryAfter = Number(Array.isArray(header) ? header[0] : header);
      } catch (error) {
        if (this.options.signal?.aborted === true) throw this.options.signal.reason as Error;
        this.countRequest(operationId);
        this.options.onRequest?.({
          operationId,
          method,
          path,
          status: 'network-error',
          attempt,
          ms: Date.now() - started,
        });
        const message = this.redact(describeNetworkError(error));
        if (!idempotent && !neverSent(error)) {
          throw new KlaviyoError(
            `${operationId}: the connection was lost after the request went out (${message}); ${NOT_RESENT}.`,
            undefined,
            true,
            [],
            true,
          );
        }
        const wait = this.backoff(attempt);
        this.noteUnreachable(operationId, message, started, attempt >= maxRetries ? 0 : wait);
        if (attempt >= maxRetries) {
          throw new KlaviyoError(
            `${operationId}: network error after ${attempt + 1} attempts (${message}); Klaviyo at ${this.baseUrl} is unreachable, the run stops.`,
            undefined,
            true,
            [],
            false,
            true,
          );
        }
        await sleep(wait, this.options.signal);
        continue;
      }
      this.countRequest(operationId);
      this.options.onRequest?.({ operationId, method, path, status, attempt, ms: Date.now() - started });
      if (json !== undefined) this.bodies.note(status, json);
      const errors = parseErrors(parsed);
      // A gateway's answer, or a 5xx in a shape Klaviyo never sends: Klaviyo itself was not reached.
      const gateway = status >= 500 && (GATEWAY_STATUS.has(status) || errors.length === 0);
      if (!gateway) this.reach.since = null;
      if (status < 300) {
        this.markAnswered();
        return { status, body: parsed };
      }
      const detail =
        errors.map((e) => `${e.code}: ${e.detail}`).join('; ') ||
        (typeof parsed === 'string'
          ? `a non-JSON:API answer, not Klaviyo's error format: ${JSON.stringify(parsed.slice(0, 200))}`
          : '');
      if (status === 401 || status === 403) {
        const scopes = OPERATIONS[operationId].scopes.join(', ');
        throw new KlaviyoError(
          status === 401
            ? `Klaviyo refused the API key (401) on ${operationId}: check KLAVIYO_API_KEY. ${this.redact(detail)}`
            : `The API key lacks a scope for ${operationId} (403): it needs ${scopes}. ${this.redact(detail)}`,
          status,
          false,
          errors,
        );
      }
      if (RETRY_STATUS.has(status) && status !== 429 && !idempotent) {
        // A 5xx (often from a proxy in front of Klaviyo) does not say the work was not done.
        throw new KlaviyoError(
          `${operationId} answered ${status}: ${this.redact(detail)}; ${NOT_RESENT}.`,
          status,
          true,
          errors,
          true,
        );
      }
      const cap = this.options.maxRetryAfterSeconds ?? 60;
      const asked =
        status === 429 && retryAfter !== null && Number.isFinite(retryAfter)
          ? Math.min(retryAfter, cap) * 1000
          : null;
      // The tier's pace widens, and waits out a spent steady window (pacing.ts, `throttled`), for
      // the run's other requests even when this one has no retry left.
      if (status === 429 && this.options.limits !== 'off') this.pace(operationId).throttled(asked ?? 0);
      const retry = RETRY_STATUS.has(status) || gateway;
      if (retry && attempt < maxRetries) {
        const wait = asked !== null ? asked + Math.random() * 250 : this.backoff(attempt);
        if (gateway) this.noteUnreachable(operationId, `answered ${status}`, started, wait, status);
        await sleep(wait, this.options.signal);
        continue;
      }
      throw new KlaviyoError(
        `${operationId} answered ${status}: ${this.redact(detail)}${gateway ? `; Klaviyo at ${this.baseUrl} is unreachable, the run stops` : ''}`,
        status,
        retry,
        errors,
        false,
        gateway,
      );
    }
  }

  private backoff(attempt: number): number {
    const base = this.options.backoffMs ?? 500;
    return Math.min(30_000, base * 2 ** attempt) * (0.5 + Math.random() / 2);
  }

  async close(): Promise<void> {
    await Promise.all([...this.paces.values()].map((p) => p.close()));
    await this.ownDispatcher?.close();
  }
}
