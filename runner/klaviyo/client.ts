/**
 * The one place the runner talks HTTP to Klaviyo: base URL, key, pinned revision and JSON:API
 * headers; a limiter per rate-limit tier shared by every sync of a run, set to Klaviyo's
 * published burst and steady limits so a healthy run rarely sees a 429; Retry-After honoured on
 * 429 (capped); 5xx and network errors retried with exponential backoff and jitter, up to a
 * bound, for idempotent operations only: a non-idempotent one (create_list) is never resent after a
 * failure that leaves its outcome unknown, it throws a KlaviyoError with `outcomeUnknown` instead;
 * 401/403 stop the run with the scope the operation needs. The key is never logged.
 */
import Bottleneck from 'bottleneck';
import { request, type Dispatcher } from 'undici';
import { ConfigError, KlaviyoError, type KlaviyoApiError } from '../errors.ts';
import { OPERATIONS, TIER_LIMITS, type OperationId, type Tier } from './operations.ts';
import { DEFAULT_BASE_URL, JSON_API, KLAVIYO_REVISION } from './revision.ts';

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
  onRequest?: (event: {
    operationId: OperationId;
    method: string;
    path: string;
    status: number | 'network-error';
    attempt: number;
    ms: number;
  }) => void;
}

export interface KlaviyoResponse<T = unknown> {
  status: number;
  body: T;
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

const NOT_RESENT = 'Klaviyo may or may not have carried it out, so it was not resent';

export function buildHeaders(apiKey: string, hasBody: boolean): Record<string, string> {
  return {
    authorization: `Klaviyo-API-Key ${apiKey}`,
    revision: KLAVIYO_REVISION,
    accept: JSON_API,
    ...(hasBody ? { 'content-type': JSON_API } : {}),
  };
}

function parseErrors(body: unknown): KlaviyoApiError[] {
  const errors = (body as { errors?: unknown } | null)?.errors;
  return Array.isArray(errors) ? (errors as KlaviyoApiError[]) : [];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class KlaviyoClient {
  readonly baseUrl: string;
  readonly requestCounts: Partial<Record<OperationId, number>> = {};
  private readonly apiKey: string;
  private readonly limiters = new Map<Tier, Bottleneck>();

  constructor(private readonly options: ClientOptions = {}) {
    const key = options.apiKey ?? process.env.KLAVIYO_API_KEY;
    if (key === undefined || key.trim() === '') {
      throw new ConfigError(
        'KLAVIYO_API_KEY is not set: create a private API key in Klaviyo (Settings → API keys) and export it.',
      );
    }
    this.apiKey = key.trim();
    this.baseUrl = (options.baseUrl ?? process.env.KLAVIYO_BASE_URL ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  }

  /** Burst and steady windows enforced together, as Klaviyo does (docs/klaviyo-api.md#rate-limits). */
  private limiter(tier: Tier): Bottleneck {
    let limiter = this.limiters.get(tier);
    if (limiter === undefined) {
      const { burstPerSecond, perMinute } = TIER_LIMITS[tier];
      const steady = new Bottleneck({
        reservoir: perMinute,
        reservoirRefreshAmount: perMinute,
        reservoirRefreshInterval: 60_000,
      });
      // Klaviyo counts the burst in fixed one-second windows whose edges we cannot see; a
      // reservoir refilled on our own clock can put two bursts into one of theirs. Spacing the
      // starts evenly, a little wider than 1/burst, keeps every one-second window within it.
      limiter = new Bottleneck({
        minTime: Math.ceil((1000 / burstPerSecond) * 1.05),
        maxConcurrent: burstPerSecond,
      });
      limiter.chain(steady);
      this.limiters.set(tier, limiter);
    }
    return limiter;
  }

  private redact(text: string): string {
    return text.split(this.apiKey).join('[redacted]');
  }

  async call<T = unknown>(
    operationId: OperationId,
    method: Dispatcher.HttpMethod,
    path: string,
    body?: unknown,
  ): Promise<KlaviyoResponse<T>> {
    const url = path.startsWith('http') ? path : `${this.baseUrl}${path}`;
    const maxRetries = this.options.maxRetries ?? 6;
    const { idempotent } = OPERATIONS[operationId];
    const payload = body === undefined ? undefined : JSON.stringify(body);
    for (let attempt = 0; ; attempt++) {
      const started = Date.now();
      let status: number;
      let parsed: unknown = undefined;
      let retryAfter: number | null = null;
      try {
        const send = () =>
          request(url, {
            method,
            headers: buildHeaders(this.apiKey, payload !== undefined),
            body: payload,
            dispatcher: this.options.dispatcher,
          });
        const res =
          this.options.limits === 'off'
            ? await send()
            : await this.limiter(OPERATIONS[operationId].tier).schedule(send);
        status = res.statusCode;
        const text = await res.body.text();
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
        this.requestCounts[operationId] = (this.requestCounts[operationId] ?? 0) + 1;
        this.options.onRequest?.({
          operationId,
          method,
          path,
          status: 'network-error',
          attempt,
          ms: Date.now() - started,
        });
        if (!idempotent && !neverSent(error)) {
          throw new KlaviyoError(
            `${operationId}: the connection was lost after the request went out (${this.redact((error as Error).message)}); ${NOT_RESENT}.`,
            undefined,
            true,
            [],
            true,
          );
        }
        if (attempt >= maxRetries) {
          throw new KlaviyoError(
            `${operationId}: network error after ${attempt + 1} attempts (${this.redact((error as Error).message)}).`,
            undefined,
            true,
          );
        }
        await sleep(this.backoff(attempt));
        continue;
      }
      this.requestCounts[operationId] = (this.requestCounts[operationId] ?? 0) + 1;
      this.options.onRequest?.({ operationId, method, path, status, attempt, ms: Date.now() - started });
      if (status < 300) return { status, body: parsed as T };
      const errors = parseErrors(parsed);
      const detail =
        errors.map((e) => `${e.code}: ${e.detail}`).join('; ') ||
        (typeof parsed === 'string' ? parsed.slice(0, 200) : '');
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
      if (RETRY_STATUS.has(status) && attempt < maxRetries) {
        const cap = this.options.maxRetryAfterSeconds ?? 60;
        const wait =
          status === 429 && retryAfter !== null && Number.isFinite(retryAfter)
            ? Math.min(retryAfter, cap) * 1000 + Math.random() * 250
            : this.backoff(attempt);
        await sleep(wait);
        continue;
      }
      throw new KlaviyoError(
        `${operationId} answered ${status}: ${this.redact(detail)}`,
        status,
        RETRY_STATUS.has(status),
        errors,
      );
    }
  }

  private backoff(attempt: number): number {
    const base = this.options.backoffMs ?? 500;
    return Math.min(30_000, base * 2 ** attempt) * (0.5 + Math.random() / 2);
  }

  /** Follows `links.next` until the last page (Klaviyo's cursor pagination, docs/klaviyo-api.md#revision-and-protocol). */
  async *pages<T>(operationId: OperationId, path: string): AsyncIterable<T[]> {
    let next: string | null = path;
    while (next !== null) {
      const res: KlaviyoResponse<{ data: T[]; links?: { next?: string | null } }> = await this.call(
        operationId,
        'GET',
        next,
      );
      yield res.body.data;
      next = res.body.links?.next ?? null;
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.limiters.values()].map((l) => l.disconnect()));
  }
}
