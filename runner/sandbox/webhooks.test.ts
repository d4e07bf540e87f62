/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call --
   The sandbox's answers and deliveries are untyped JSON here; the answers are checked against Klaviyo's OpenAPI description. */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertAllValid } from '../../test/helpers/openapi-contract.ts';
import { startSandbox, type RunningSandbox } from './server.ts';

const headers = {
  authorization: 'Klaviyo-API-Key pk_sandbox_test',
  revision: '2026-07-15',
  'content-type': 'application/vnd.api+json',
  accept: 'application/vnd.api+json',
};
const SECRET = 'sandbox-test-secret-123';

let sandbox: RunningSandbox;
async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${sandbox.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

const webhookBody = (endpoint: string, topics: string[]) => ({
  data: {
    type: 'webhook',
    attributes: { name: 'test', endpoint_url: endpoint, secret_key: SECRET },
    relationships: { 'webhook-topics': { data: topics.map((id) => ({ type: 'webhook-topic', id })) } },
  },
});

const sendEvent = (uniqueId: string, metric: string) =>
  api('POST', '/api/event-bulk-create-jobs', {
    data: {
      type: 'event-bulk-create-job',
      attributes: {
        'events-bulk-create': {
          data: [
            {
              type: 'event-bulk-create',
              attributes: {
                profile: { data: { type: 'profile', attributes: { email: `${uniqueId}@example.com` } } },
                events: {
                  data: [
                    {
                      type: 'event',
                      attributes: {
                        properties: { OrderId: uniqueId },
                        time: '2026-11-01T10:00:00Z',
                        value: 10,
                        unique_id: uniqueId,
                        metric: { data: { type: 'metric', attributes: { name: metric } } },
                      },
                    },
                  ],
                },
              },
            },
          ],
        },
      },
    },
  });

interface Received {
  headers: Record<string, string | string[] | undefined>;
  raw: string;
}
let endpoint: Server;
let endpointUrl: string;
const received: Received[] = [];
let failNext = 0;

beforeAll(async () => {
  sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 0 });
  endpoint = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      if (failNext > 0) {
        failNext -= 1;
        res.writeHead(503).end();
        return;
      }
      received.push({ headers: req.headers, raw });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));
  endpointUrl = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/hooks`;
});
afterAll(async () => {
  await sandbox.close();
  await new Promise((r) => endpoint.close(r));
});

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}

describe('sandbox webhooks', () => {
  it('refuses what Klaviyo refuses: an http endpoint beyond loopback, no topics, no secret', async () => {
    const http = await api(
      'POST',
      '/api/webhooks',
      webhookBody('http://hooks.example.com/x', ['event:klaviyo.placed_order']),
    );
    expect(http.status).toBe(400);
    expect(http.body.errors[0].source.pointer).toBe('/data/attributes/endpoint_url');
    const noTopics = await api('POST', '/api/webhooks', webhookBody(endpointUrl, []));
    expect(noTopics.status).toBe(400);
    const noSecret = webhookBody(endpointUrl, ['event:klaviyo.placed_order']);
    delete (noSecret.data.attributes as Partial<typeof noSecret.data.attributes>).secret_key;
    expect((await api('POST', '/api/webhooks', noSecret)).status).toBe(400);
    expect((await api('DELETE', '/api/webhooks/NOPE')).status).toBe(404);
  });

  it('delivers the subscribed events stored after the webhook, signed, retrying a failed delivery', async () => {
    await sendEvent('before', 'Placed Order');
    const created = await api(
      'POST',
      '/api/webhooks',
      webhookBody(endpointUrl, ['event:klaviyo.placed_order']),
    );
    expect(created.status).toBe(201);
    const id = created.body.data.id as string;
    expect(created.body.data.attributes.endpoint_url).toBe(new URL(endpointUrl).origin);

    failNext = 1;
    await sendEvent('after-1', 'Placed Order');
    await sendEvent('other', 'Viewed Product');
    await until(() => received.length >= 1);
    expect(failNext).toBe(0);
    expect(received).toHaveLength(1);
    const [delivery] = received;
    const stamp = String(delivery!.headers['klaviyo-timestamp']);
    expect(Math.abs(Date.parse(stamp) - Date.now())).toBeLessThan(60_000);
    expect(delivery!.headers['klaviyo-webhook-id']).toBe(id);
    expect(delivery!.headers['klaviyo-signature']).toBe(
      createHmac('sha256', SECRET).update(delivery!.raw).update(stamp).digest('hex'),
    );
    const body = JSON.parse(delivery!.raw);
    expect(body.meta.klaviyo_webhook_id).toBe(id);
    const stored = sandbox.inspect().events.find((e) => e.uniqueId === 'after-1')!;
    expect(body.data).toEqual([
      {
        external_id: stored.id,
        topic: 'event:klaviyo.placed_order',
        payload: expect.objectContaining({
          data: expect.objectContaining({ type: 'event', id: stored.id }),
        }),
      },
    ]);

    const listed = await api('GET', '/api/webhooks?include=webhook-topics');
    expect(listed.body.data.map((w: { id: string }) => w.id)).toEqual([id]);
    expect(listed.body.included).toEqual([expect.objectContaining({ id: 'event:klaviyo.placed_order' })]);
    const topics = await api('GET', '/api/webhook-topics');
    expect(topics.body.data.map((t: { id: string }) => t.id)).toEqual(
      expect.arrayContaining(['event:klaviyo.placed_order', 'event:klaviyo.viewed_product']),
    );
    expect((await api('DELETE', `/api/webhooks/${id}`)).status).toBe(204);

    // Deleted: nothing more is delivered.
    await sendEvent('after-delete', 'Placed Order');
    await new Promise((r) => setTimeout(r, 600));
    expect(received).toHaveLength(1);
    assertAllValid(sandbox.requests().filter((r) => r.status < 300));
  });
});
