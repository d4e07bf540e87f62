import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, KlaviyoError } from '../errors.ts';
import { startSandbox } from '../sandbox/server.ts';
import { HOLE, joinJson, jsonPieces, toJsonText } from '../json-text.ts';
import { KlaviyoClient } from './client.ts';
import { KLAVIYO_REVISION } from './revision.ts';

const BASE = 'https://a.klaviyo.com';
const KEY = 'pk_unit_test_secret';
let agent: MockAgent | undefined;

function client(options: ConstructorParameters<typeof KlaviyoClient>[0] = {}) {
  const mock = new MockAgent();
  mock.disableNetConnect();
  agent = mock;
  return {
    c: new KlaviyoClient({
      apiKey: KEY,
      baseUrl: BASE,
      dispatcher: mock,
      backoffMs: 1,
      limits: 'off',
      ...options,
    }),
    pool: mock.get(BASE),
  };
}
const errors = (status: number, code: string, detail: string) => ({
  errors: [{ id: 'e1', status, code, title: 'x', detail }],
});

afterEach(async () => {
  await agent?.close();
  agent = undefined;
});

describe('KlaviyoClient', () => {
  it('sends the key, the pinned revision and JSON:API headers', async () => {
    const { c, pool } = client();
    pool
      .intercept({
        path: '/api/lists',
        method: 'POST',
        headers: {
          authorization: `Klaviyo-API-Key ${KEY}`,
          revision: KLAVIYO_REVISION,
          'content-type': 'application/vnd.api+json',
          accept: 'application/vnd.api+json',
        },
      })
      .reply(201, { data: { type: 'list', id: 'L1', attributes: { name: 'W' } } });
    const res = await c.call('create_list', 'POST', '/api/lists', {
      data: { type: 'list', attributes: { name: 'W' } },
    });
    expect(res).toEqual({
      status: 201,
      body: { data: { type: 'list', id: 'L1', attributes: { name: 'W' } } },
    });
  });

  it('sends a body that is already JSON text as it is', async () => {
    const { c, pool } = client();
    const [open, close] = jsonPieces({ data: { type: 'list', attributes: { name: HOLE } } }, 1);
    const body = joinJson([open, toJsonText('Wé "quoted"'), close]);
    expect(JSON.parse(body)).toEqual({ data: { type: 'list', attributes: { name: 'Wé "quoted"' } } });
    // Only this exact text matches: a body serialised again (a JSON string value) would not.
    pool
      .intercept({
        path: '/api/lists',
        method: 'POST',
        headers: { 'content-type': 'application/vnd.api+json' },
        body,
      })
      .reply(201, { data: { type: 'list', id: 'L1', attributes: { name: 'W' } } });
    await expect(c.call('create_list', 'POST', '/api/lists', body)).resolves.toMatchObject({ status: 201 });
  });

  it('waits Retry-After on 429, then succeeds', async () => {
    const { c, pool } = client();
    pool
      .intercept({ path: '/api/lists', method: 'GET' })
      .reply(429, errors(429, 'throttled', 'Request was throttled.'), { headers: { 'retry-after': '1' } });
    pool.intercept({ path: '/api/lists', method: 'GET' }).reply(200, { data: [] });
    const started = Date.now();
    await expect(c.call('get_lists', 'GET', '/api/lists')).resolves.toEqual({
      status: 200,
      body: { data: [] },
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(c.requestCounts.get_lists).toBe(2);
  });

  it("holds the tier's next request for a spent steady window, even after a 429 with no retry left", async () => {
    // Paced (limits on): the 429's Retry-After of 2 s is longer than the burst window.
    const { c, pool } = client({ limits: undefined, maxRetries: 0 });
    pool
      .intercept({ path: '/api/lists', method: 'GET' })
      .reply(429, errors(429, 'throttled', 'Request was throttled.'), { headers: { 'retry-after': '2' } });
    pool.intercept({ path: '/api/lists', method: 'GET' }).reply(200, { data: [] });
    const sent = Date.now();
    await expect(c.call('get_lists', 'GET', '/api/lists')).rejects.toMatchObject({ status: 429 });
    await expect(c.call('get_lists', 'GET', '/api/lists')).resolves.toMatchObject({ status: 200 });
    expect(Date.now() - sent).toBeGreaterThanOrEqual(2000);
    await c.close();
  });

  it('retries 5xx and network errors up to a bound, and says so', async () => {
    const { c, pool } = client({ maxRetries: 2 });
    pool.intercept({ path: '/api/lists', method: 'GET' }).reply(503, errors(503, 'error', 'down'));
    pool.intercept({ path: '/api/lists', method: 'GET' }).replyWithError(new Error('socket hang up'));
    pool.intercept({ path: '/api/lists', method: 'GET' }).reply(200, { data: [] });
    await expect(c.call('get_lists', 'GET', '/api/lists')).resolves.toMatchObject({ status: 200 });

    pool
      .intercept({ path: '/api/lists', method: 'GET' })
      .reply(500, errors(500, 'error', 'boom'))
      .times(3);
    const failed = c.call('get_lists', 'GET', '/api/lists');
    await expect(failed).rejects.toThrow('get_lists answered 500: error: boom');
    await expect(failed).rejects.toMatchObject({ retryable: true });
  });

  it('never resends a non-idempotent request whose outcome is unknown, but retries its 429', async () => {
    const { c, pool } = client();
    const body = { data: { type: 'list', attributes: { name: 'W' } } };
    pool.intercept({ path: '/api/lists', method: 'POST' }).replyWithError(new Error('other side closed'));
    const reset = c.call('create_list', 'POST', '/api/lists', body);
    await expect(reset).rejects.toMatchObject({ outcomeUnknown: true, retryable: true, status: undefined });
    await expect(reset).rejects.toThrow('may or may not have carried it out, so it was not resent');
    expect(c.requestCounts.create_list).toBe(1);

    pool.intercept({ path: '/api/lists', method: 'POST' }).reply(504, 'Gateway Timeout');
    await expect(c.call('create_list', 'POST', '/api/lists', body)).rejects.toMatchObject({
      status: 504,
      outcomeUnknown: true,
    });
    expect(c.requestCounts.create_list).toBe(2);

    // 429: Klaviyo did not take the request; a refused connection: it never left.
    pool
      .intercept({ path: '/api/lists', method: 'POST' })
      .reply(429, errors(429, 'throttled', 'Request was throttled.'), { headers: { 'retry-after': '0' } });
    pool
      .intercept({ path: '/api/lists', method: 'POST' })
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    pool.intercept({ path: '/api/lists', method: 'POST' }).reply(201, { data: { type: 'list', id: 'L1' } });
    await expect(c.call('create_list', 'POST', '/api/lists', body)).resolves.toMatchObject({ status: 201 });
    expect(c.requestCounts.create_list).toBe(5);
  });

  it('does not resend create_list after a real connection reset (sandbox)', async () => {
    const sandbox = await startSandbox({
      rateLimits: 'off',
      faults: { reset: 1, operations: ['create_list'] },
    });
    try {
      const c = new KlaviyoClient({ apiKey: KEY, baseUrl: sandbox.url, limits: 'off', backoffMs: 1 });
      const call = c.call('create_list', 'POST', '/api/lists', {
        data: { type: 'list', attributes: { name: 'Reset' } },
      });
      await expect(call).rejects.toMatchObject({ outcomeUnknown: true, retryable: true });
      expect(sandbox.requests().filter((r) => r.operationId === 'create_list')).toHaveLength(1);
      // An idempotent request meeting the same fault is resent as before.
      sandbox.setFaults({ seed: 2, reset: 0.5, operations: ['get_lists'] });
      await expect(c.call('get_lists', 'GET', '/api/lists')).resolves.toMatchObject({ status: 200 });
      await c.close();
    } finally {
      await sandbox.close();
    }
  });

  it("counts each sync's requests on its own view, and the run's on the client", async () => {
    const sandbox = await startSandbox({ rateLimits: 'off' });
    try {
      const c = new KlaviyoClient({ apiKey: KEY, baseUrl: sandbox.url, limits: 'off', backoffMs: 1 });
      const mine: Record<string, number> = {};
      const theirs: Record<string, number> = {};
      const a = c.forSync(mine);
      const b = c.forSync(theirs);
      // Side by side, as the syncs of a run go: each view counts only what went through it.
      await Promise.all([
        a.call('get_lists', 'GET', '/api/lists'),
        b.call('create_list', 'POST', '/api/lists', { data: { type: 'list', attributes: { name: 'V' } } }),
        a.call('get_lists', 'GET', '/api/lists'),
      ]);
      expect(mine).toEqual({ get_lists: 2 });
      expect(theirs).toEqual({ create_list: 1 });
      expect(c.requestCounts).toEqual({ get_lists: 2, create_list: 1 });
      // A view's answer is the run's first answer: the client's promise is the one settled.
      await expect(c.answered).resolves.toBeUndefined();
      expect(a.answered).toBe(c.answered);
      expect(a.baseUrl).toBe(c.baseUrl);
      await c.close();
    } finally {
      await sandbox.close();
    }
  });

  it("does not retry a 400, and keeps Klaviyo's error entries", async () => {
    const { c, pool } = client();
    pool
      .intercept({ path: '/api/lists', method: 'POST' })
      .reply(400, errors(400, 'invalid', 'name is required.'));
    const call = c.call('create_list', 'POST', '/api/lists', { data: {} });
    await expect(call).rejects.toBeInstanceOf(KlaviyoError);
    await expect(call).rejects.toMatchObject({
      status: 400,
      retryable: false,
      errors: [{ code: 'invalid', detail: 'name is required.' }],
    });
    expect(c.requestCounts.create_list).toBe(1);
  });

  it('stops on 403 naming the scope the operation needs, never the key', async () => {
    const { c, pool } = client();
    pool
      .intercept({ path: '/api/event-bulk-create-jobs', method: 'POST' })
      .reply(403, errors(403, 'permission_denied', `Key ${KEY} lacks scope`));
    const call = c.call('bulk_create_events', 'POST', '/api/event-bulk-create-jobs', {});
    await expect(call).rejects.toThrow(
      'The API key lacks a scope for bulk_create_events (403): it needs events:write. permission_denied: Key [redacted] lacks scope',
    );
  });

  it('refuses to start without a key', () => {
    expect(() => new KlaviyoClient({ apiKey: ' ' })).toThrow(ConfigError);
  });
});

/** A real local server answering each request with `answer`, for the faults MockAgent cannot make. */
async function serve(answer: (req: IncomingMessage, res: ServerResponse) => void) {
  const sockets = new Set<Socket>();
  const server = createServer(answer);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('KlaviyoClient against answers that are not Klaviyo', () => {
  it("keeps a proxy's text/plain 400 apart from Klaviyo's JSON:API errors", async () => {
    const { c, pool } = client();
    pool.intercept({ path: '/api/lists', method: 'POST' }).reply(400, 'Bad Request', {
      headers: { 'content-type': 'text/plain' },
    });
    const call = c.call('create_list', 'POST', '/api/lists', { data: {} });
    await expect(call).rejects.toMatchObject({ status: 400, errors: [], retryable: false });
    await expect(call).rejects.toThrow(
      'create_list answered 400: a non-JSON:API answer, not Klaviyo\'s error format: "Bad Request"',
    );
  });

  it('gives up on a server that accepts the connection and never answers, within its timeouts', async () => {
    const silent = await serve(() => undefined);
    try {
      const c = new KlaviyoClient({
        apiKey: KEY,
        baseUrl: silent.url,
        limits: 'off',
        backoffMs: 1,
        requestTimeoutMs: 200,
        unreachableAfterMs: 700,
      });
      const started = Date.now();
      const call = c.call('get_lists', 'GET', '/api/lists');
      await expect(call).rejects.toMatchObject({ unreachable: true, retryable: true });
      await expect(call).rejects.toThrow(
        /has been unreachable for \d+ s \(get_lists: (no answer within the request timeout|the answer took longer than the request deadline)\)/,
      );
      expect(Date.now() - started).toBeLessThan(3000);
      await c.close();
    } finally {
      await silent.close();
    }
  });

  it('abandons an answer whose body trickles in past the attempt deadline', async () => {
    const slow = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.api+json' });
      const timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
    });
    try {
      const c = new KlaviyoClient({
        apiKey: KEY,
        baseUrl: slow.url,
        limits: 'off',
        maxRetries: 0,
        requestTimeoutMs: 150,
      });
      const started = Date.now();
      await expect(c.call('get_lists', 'GET', '/api/lists')).rejects.toThrow(
        'the answer took longer than the request deadline',
      );
      expect(Date.now() - started).toBeLessThan(2000);
      await c.close();
    } finally {
      await slow.close();
    }
  });

  it("stops on a gateway's HTML 502s once Klaviyo has been unreachable past the bound", async () => {
    let hits = 0;
    const gateway = await serve((_req, res) => {
      hits += 1;
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
    });
    try {
      const c = new KlaviyoClient({
        apiKey: KEY,
        baseUrl: gateway.url,
        limits: 'off',
        backoffMs: 100,
        unreachableAfterMs: 250,
      });
      await expect(c.call('get_lists', 'GET', '/api/lists')).rejects.toMatchObject({
        status: 502,
        unreachable: true,
      });
      expect(hits).toBeLessThan(6);
      await c.close();
    } finally {
      await gateway.close();
    }
  });

  it('refuses an invalid KLAVIYO_BASE_URL before any request, and never shows its credentials', async () => {
    expect(() => new KlaviyoClient({ apiKey: KEY, baseUrl: 'a.klaviyo.com' })).toThrow(
      'KLAVIYO_BASE_URL is not a URL: "a.klaviyo.com". Use e.g. https://a.klaviyo.com or http://127.0.0.1:8787.',
    );
    expect(() => new KlaviyoClient({ apiKey: KEY, baseUrl: 'ftp://proxy/' })).toThrow(
      'KLAVIYO_BASE_URL must be an http:// or https:// URL, got "ftp://proxy/".',
    );
    expect(() => new KlaviyoClient({ apiKey: KEY, baseUrl: 'https://u:hunter2@:99999' })).toThrow(
      ConfigError,
    );
    expect(() => new KlaviyoClient({ apiKey: KEY, baseUrl: 'https://u:hunter2@:99999' })).not.toThrow(
      /hunter2/,
    );
    const closed = new KlaviyoClient({
      apiKey: KEY,
      baseUrl: 'http://user:hunter2@127.0.0.1:9/proxy/',
      limits: 'off',
      maxRetries: 1,
      backoffMs: 1,
    });
    expect(closed.baseUrl).toBe('http://127.0.0.1:9/proxy');
    const call = closed.call('get_lists', 'GET', '/api/lists');
    await expect(call).rejects.toMatchObject({ unreachable: true });
    await expect(call).rejects.not.toThrow(/hunter2|user:/);
    await closed.close();
  });
});
