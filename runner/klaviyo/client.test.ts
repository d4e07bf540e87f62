import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, KlaviyoError } from '../errors.ts';
import { startSandbox } from '../sandbox/server.ts';
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

  it('follows links.next through every page', async () => {
    const { c, pool } = client();
    pool.intercept({ path: '/api/profiles?page[size]=100', method: 'GET' }).reply(200, {
      data: [{ id: 'a' }],
      links: { self: 'x', next: `${BASE}/api/profiles?page[size]=100&page[cursor]=2` },
    });
    pool
      .intercept({ path: '/api/profiles?page[size]=100&page[cursor]=2', method: 'GET' })
      .reply(200, { data: [{ id: 'b' }], links: { self: 'y' } });
    const ids: string[] = [];
    for await (const page of c.pages<{ id: string }>('get_profiles', '/api/profiles?page[size]=100'))
      ids.push(...page.map((p) => p.id));
    expect(ids).toEqual(['a', 'b']);
  });

  it('refuses to start without a key', () => {
    expect(() => new KlaviyoClient({ apiKey: ' ' })).toThrow(ConfigError);
  });
});
