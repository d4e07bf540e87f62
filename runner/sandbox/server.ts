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
import { authenticate } from './authenticate.ts';
import { dispatch, readJson, routeFor, type Account } from './dispatch.ts';
import { openExchange, parseBody, readBody, send, type Exchange, type RecordedRequest } from './exchange.ts';
import { Faults, type FaultConfig } from './faults.ts';
import { answerAfter, faultBefore, proxyRefusesBody } from './inject.ts';
import { HttpError } from './jsonapi.ts';
import { FAST_LIMITS, KLAVIYO_LIMITS, RateLimiter, type TierLimits } from './ratelimit.ts';
import { advanceJobs } from './routes.ts';
import { Store, type SandboxState } from './store.ts';

export { redactHeaders, type RecordedRequest } from './exchange.ts';

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

export interface RunningSandbox {
  url: string;
  close(): Promise<void>;
  inspect(): SandboxState;
  requests(): RecordedRequest[];
  setFaults(faults: FaultConfig): void;
  reset(): void;
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

  /** `/__sandbox/state` and `/__sandbox/requests`: read-only, no key needed, never recorded but a refused write. */
  function inspection(ex: Exchange, req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (req.method !== 'GET')
      return ex.answer(
        405,
        new HttpError(405, 'method_not_allowed', 'Read only.', 'The inspection routes are read-only.').body(),
      );
    advanceJobs(store, faults);
    if (url.pathname === '/__sandbox/state') return send(res, 200, store.snapshot());
    if (url.pathname === '/__sandbox/requests') return send(res, 200, recorded);
    return send(res, 404, new HttpError(404, 'not_found', 'Not found.', url.pathname).body());
  }

  /** One request: authenticate, find the route, take the rate limit, play the faults, dispatch. */
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = Date.now();
    const url = new URL(req.url ?? '/', base);
    const { text, bytes } = await readBody(req);
    const parsed = parseBody(text);
    const ex = openExchange(req, res, url, text, startedAt, recorded);
    if (url.pathname.startsWith('/__sandbox/')) return inspection(ex, req, res, url);
    let limitHeaders: Record<string, string> = {};
    try {
      const key = authenticate(req.headers, options.apiKeys);
      const { route, params } = routeFor(req.method, url.pathname);
      const op = route.operationId;
      ex.record.operationId = op;
      // A proxy in front of Klaviyo refuses a body over its limit before Klaviyo counts the request.
      if (proxyRefusesBody(ex, faults, text)) return;
      // Counted when it arrived, as Klaviyo's edge counts it: not after its body was read.
      const wait = limiter.take(key, op, startedAt);
      if (wait === null) limitHeaders = limiter.headers(key, op, startedAt);
      if (await faultBefore(ex, faults, op, wait)) return;
      const json = readJson(parsed, req.method, route.bodyless === true);
      const account: Account = { store, faults, base, jobDelayMs };
      const result = dispatch(account, route, params, url, { json, bytes });
      if (req.method !== 'GET') persist();
      return answerAfter(ex, faults, op, result, url.searchParams, limitHeaders);
    } catch (error) {
      if (error instanceof HttpError) return ex.answer(error.status, error.body(), limitHeaders);
      return ex.answer(
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
