/**
 * `klaviyo-runner sandbox`: a local HTTP server that answers like Klaviyo (revision 2026-07-15)
 * for the endpoints the runner uses, so the demo, the tests and users' CI run against real HTTP
 * without a live account. Checks every request as Klaviyo does (Authorization, revision, JSON:API
 * body), enforces per-key rate-limit tiers, can inject seeded faults, and keeps its state
 * inspectable outside `/api/` at `/__sandbox/state` and `/__sandbox/requests`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { ConfigError } from '../errors.ts';
import { Faults, type FaultConfig } from './faults.ts';
import { badParameter, HttpError, sparse } from './jsonapi.ts';
import { FAST_LIMITS, KLAVIYO_LIMITS, RateLimiter, type TierLimits } from './ratelimit.ts';
import { advanceJobs, ROUTES, type Ctx } from './routes.ts';
import { Store, type SandboxState } from './store.ts';

export interface SandboxOptions {
  port?: number;
  host?: string;
  /** Accepted keys; default: any non-empty `Klaviyo-API-Key <key>`. */
  apiKeys?: string[];
  rateLimits?: 'klaviyo' | 'fast' | 'off' | TierLimits;
  /** How long an import job stays queued, then processing (ms). */
  jobDelayMs?: number;
  faults?: FaultConfig;
  /** Keep state in this JSON file: loaded at start, written after every change. */
  persistPath?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  operationId: string | null;
  /** The status answered; -1 when the connection was destroyed without an answer (fault). */
  status: number;
  /** The JSON the sandbox answered (absent for empty answers). */
  responseBody?: unknown;
  /**
   * Set by the `lostAnswer` fault: the request took effect and this is the answer the sandbox then
   * dropped (the client saw only a destroyed connection).
   */
  lostAnswer?: { status: number; body?: unknown };
  startedAt: number;
  finishedAt: number;
}

export interface RunningSandbox {
  url: string;
  close(): Promise<void>;
  inspect(): SandboxState;
  requests(): RecordedRequest[];
  setFaults(faults: FaultConfig): void;
  reset(): void;
}

const JSONAPI = 'application/vnd.api+json';

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

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { ...(body === undefined ? {} : { 'content-type': JSONAPI }), ...headers });
  res.end(text);
}

/** Sends the answer's headers at once and its body a few bytes at a time over `ms`. */
function trickle(res: ServerResponse, status: number, body: unknown, ms: number): void {
  const text = body === undefined ? ' ' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': JSONAPI });
  const steps = 20;
  const size = Math.ceil(text.length / steps);
  let at = 0;
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer);
    res.write(text.slice(at, at + size));
    at += size;
    if (at >= text.length) {
      clearInterval(timer);
      res.end();
    }
  }, ms / steps);
  res.on('close', () => clearInterval(timer));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Header names that carry credentials in one form or another (Authorization, X-Api-Key, cookies...). */
const CREDENTIAL_HEADER = /auth|key|token|secret|password|passwd|cookie|session|signature|credential/i;

/**
 * Headers as recorded for `/__sandbox/requests`: every credential-looking header redacted,
 * whatever scheme it uses, keeping only an Authorization scheme name (`Klaviyo-API-Key`,
 * `Bearer`) so a test can still see which form a client sent.
 */
export function redactHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const text = Array.isArray(v) ? v.join(', ') : v;
    if (!CREDENTIAL_HEADER.test(k)) out[k] = text;
    else {
      const scheme = /^([A-Za-z][A-Za-z0-9-]*)\s+\S/.exec(text)?.[1];
      out[k] = scheme === undefined ? '[redacted]' : `${scheme} [redacted]`;
    }
  }
  return out;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  let store = new Store();
  if (options.persistPath !== undefined && existsSync(options.persistPath)) {
    let saved: unknown;
    try {
      saved = JSON.parse(readFileSync(options.persistPath, 'utf8'));
    } catch (error) {
      throw new ConfigError(
        `--persist ${options.persistPath} is not a sandbox state file: ${(error as Error).message}`,
      );
    }
    store.load(saved as Parameters<Store['load']>[0]);
  }
  const faults = new Faults(options.faults);
  const limits =
    options.rateLimits === 'off'
      ? null
      : options.rateLimits === 'fast'
        ? FAST_LIMITS
        : options.rateLimits === undefined || options.rateLimits === 'klaviyo'
          ? KLAVIYO_LIMITS
          : options.rateLimits;
  let limiter = new RateLimiter(limits);
  const recorded: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const jobDelayMs = options.jobDelayMs ?? 1000;
  let base = '';

  const persist = () => {
    if (options.persistPath !== undefined) writeFileSync(options.persistPath, JSON.stringify(store));
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = Date.now();
    const url = new URL(req.url ?? '/', base);
    const text = await readBody(req);
    let body: unknown = undefined;
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: redactHeaders(req.headers),
      body: undefined,
      operationId: null,
      status: 0,
      startedAt,
      finishedAt: 0,
    };
    if (text !== '') {
      try {
        record.body = JSON.parse(text);
      } catch {
        record.body = text;
      }
    }
    const answer = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      record.responseBody = payload;
      record.finishedAt = Date.now();
      recorded.push(record);
      send(res, status, payload, headers);
    };
    /** Faults: the connection destroyed without an answer (status -1), perhaps after the work was done. */
    const hangUp = (lost?: RecordedRequest['lostAnswer']) => {
      record.status = -1;
      if (lost !== undefined) record.lostAnswer = lost;
      record.finishedAt = Date.now();
      recorded.push(record);
      req.socket.destroy();
    };

    if (url.pathname.startsWith('/__sandbox/')) {
      if (req.method !== 'GET')
        return answer(
          405,
          new HttpError(
            405,
            'method_not_allowed',
            'Read only.',
            'The inspection routes are read-only.',
          ).body(),
        );
      advanceJobs(store, faults);
      if (url.pathname === '/__sandbox/state') return send(res, 200, store.snapshot());
      if (url.pathname === '/__sandbox/requests') return send(res, 200, recorded);
      return send(res, 404, new HttpError(404, 'not_found', 'Not found.', url.pathname).body());
    }

    const match = ROUTES.map((r) => ({
      r,
      m: r.method === req.method ? r.pattern.exec(url.pathname) : null,
    })).find((x) => x.m !== null);
    let limitHeaders: Record<string, string> = {};
    try {
      const auth = req.headers.authorization ?? '';
      const key = /^Klaviyo-API-Key\s+(\S+)$/i.exec(auth)?.[1];
      if (key === undefined)
        throw new HttpError(
          401,
          'not_authenticated',
          'Authentication credentials were not provided.',
          'Missing private key: send `Authorization: Klaviyo-API-Key <key>`.',
        );
      if (options.apiKeys !== undefined && !options.apiKeys.includes(key))
        throw new HttpError(
          401,
          'authentication_failed',
          'Incorrect authentication credentials.',
          'The private key is not valid for this account.',
        );
      checkRevision(req.headers.revision);
      if (match === undefined) {
        const other = ROUTES.find((r) => r.pattern.test(url.pathname));
        if (other !== undefined)
          throw new HttpError(
            405,
            'method_not_allowed',
            'Method not allowed.',
            `Method "${req.method ?? ''}" not allowed.`,
          );
        throw new HttpError(
          404,
          'not_found',
          'Not found.',
          `No endpoint ${req.method ?? ''} ${url.pathname}.`,
        );
      }
      record.operationId = match.r.operationId;
      const wait = limiter.take(key, match.r.operationId);
      if (wait === null) limitHeaders = limiter.headers(key, match.r.operationId);
      if (wait !== null || faults.roll('throttle', match.r.operationId)) {
        const seconds = wait ?? 1;
        return answer(
          429,
          new HttpError(
            429,
            'throttled',
            'Request was throttled.',
            `Request was throttled. Expected available in ${seconds} second${seconds === 1 ? '' : 's'}.`,
          ).body(),
          { 'retry-after': String(seconds) },
        );
      }
      if (faults.roll('reset', match.r.operationId)) return hangUp();
      if (faults.roll('hang', match.r.operationId)) {
        // Read, never answered: the socket stays open until the client gives up or the sandbox closes.
        record.status = -1;
        record.finishedAt = Date.now();
        recorded.push(record);
        return;
      }
      if (faults.roll('proxyBadRequest', match.r.operationId)) {
        record.status = 400;
        record.finishedAt = Date.now();
        recorded.push(record);
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end('Bad Request');
        return;
      }
      if (faults.roll('gatewayError', match.r.operationId)) {
        record.status = 502;
        record.finishedAt = Date.now();
        recorded.push(record);
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end(
          '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>',
        );
        return;
      }
      if (faults.roll('serverError', match.r.operationId)) {
        const status = faults.roll('serverError') ? 503 : 500;
        return answer(
          status,
          new HttpError(
            status,
            'error',
            'A server error occurred.',
            'Something went wrong; try again.',
          ).body(),
        );
      }
      if (faults.roll('slow', match.r.operationId))
        await new Promise((r) => setTimeout(r, faults.config.slowMs ?? 2000));
      if (text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          throw new HttpError(
            400,
            'parse_error',
            'Malformed request body.',
            'The request body is not valid JSON.',
          );
        }
      }
      record.body = body;
      if (['POST', 'PATCH', 'DELETE'].includes(req.method ?? '') && body === undefined)
        throw new HttpError(
          400,
          'invalid',
          'Invalid input.',
          'A JSON:API request body is required.',
          '/data',
        );
      advanceJobs(store, faults);
      const ctx: Ctx = {
        store,
        faults,
        base,
        path: url.pathname,
        params: match.m!.slice(1),
        query: url.searchParams,
        body,
        jobDelayMs,
      };
      const result = match.r.handler(ctx);
      if (req.method !== 'GET') persist();
      if (faults.roll('lostAnswer', match.r.operationId))
        return hangUp({ status: result.status, body: sparse(result.body, url.searchParams) });
      if (faults.roll('slowBody', match.r.operationId)) {
        record.status = result.status;
        record.finishedAt = Date.now();
        recorded.push(record);
        return trickle(
          res,
          result.status,
          sparse(result.body, url.searchParams),
          faults.config.slowBodyMs ?? 5000,
        );
      }
      return answer(result.status, sparse(result.body, url.searchParams), limitHeaders);
    } catch (error) {
      if (error instanceof HttpError) return answer(error.status, error.body(), limitHeaders);
      return answer(
        500,
        new HttpError(500, 'error', 'A server error occurred.', (error as Error).message).body(),
        limitHeaders,
      );
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        send(res, 500, new HttpError(500, 'error', 'A server error occurred.', String(error)).body());
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  base = `http://${options.host ?? '127.0.0.1'}:${address.port}`;

  return {
    url: base,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
    inspect: () => {
      advanceJobs(store, faults);
      return store.snapshot();
    },
    requests: () => [...recorded],
    setFaults: (config) => {
      faults.config = config;
    },
    reset: () => {
      store = new Store();
      limiter = new RateLimiter(limits);
      recorded.length = 0;
    },
  };
}
