import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KlaviyoError } from '../errors.ts';
import { startSandbox, type RunningSandbox } from '../sandbox/server.ts';
import { KlaviyoClient } from './client.ts';
import { allLists, findOrCreateList } from './lists.ts';
import { allMetrics } from './metrics.ts';
import { getProfileImport } from './profiles.ts';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function sandbox(): Promise<RunningSandbox> {
  const sb = await startSandbox({ rateLimits: 'off', jobDelayMs: 0 });
  closers.push(() => sb.close());
  return sb;
}

/** A server in front of "Klaviyo" that answers every request with this status and body (GETs with `get` if given). */
async function answering(
  status: number,
  body: string,
  contentType = 'application/vnd.api+json',
  get?: string,
) {
  const server = createServer((req, res) => {
    const plain = req.method === 'GET' && get !== undefined;
    res.writeHead(plain ? 200 : status, { 'content-type': plain ? 'application/vnd.api+json' : contentType });
    res.end(plain ? get : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function clientOf(baseUrl: string): KlaviyoClient {
  const client = new KlaviyoClient({
    apiKey: 'pk_test',
    baseUrl,
    limits: 'off',
    backoffMs: 1,
    maxRetries: 0,
  });
  closers.push(() => client.close());
  return client;
}

describe("Klaviyo's answers, read against the fields the runner uses", () => {
  it('follows links.next through every page', async () => {
    const sb = await sandbox();
    const client = clientOf(sb.url);
    for (let i = 0; i < 12; i++) await findOrCreateList(client, `List ${i}`);
    const pages: string[][] = [];
    for await (const page of allLists(client)) pages.push(page.map((l) => l.attributes.name ?? ''));
    // get_lists pages hold at most 10.
    expect(pages.map((p) => p.length)).toEqual([10, 2]);
    expect(pages.flat()).toHaveLength(12);
  });

  it('refuses a page whose resources lack a field it reads, naming the operation and the field', async () => {
    const client = clientOf(await answering(200, JSON.stringify({ data: [{ id: 7, attributes: {} }] })));
    const read = (async () => {
      for await (const _page of allMetrics(client));
    })();
    await expect(read).rejects.toThrow(KlaviyoError);
    await expect(read).rejects.toThrow(
      'get_metrics answered 200 with a body the runner cannot read: /data/0/id must be string.',
    );
  });

  it("refuses a proxy's HTML page answered with status 200 instead of a job", async () => {
    const client = clientOf(await answering(200, '<html><body>Welcome</body></html>', 'text/html'));
    const read = getProfileImport(client, 'job1');
    await expect(read).rejects.toMatchObject({ status: 200, retryable: true, outcomeUnknown: false });
    await expect(read).rejects.toThrow(
      'get_bulk_import_profiles_job answered 200 with a body the runner cannot read: the answer must be object.',
    );
  });

  it('reads an unreadable answer to a create that must not be resent as an unknown outcome', async () => {
    const empty = JSON.stringify({ data: [], links: {} });
    const client = clientOf(
      await answering(201, JSON.stringify({ data: { type: 'list' } }), undefined, empty),
    );
    // No list is found, the create goes out, and its answer names no id: the list may exist.
    const made = findOrCreateList(client, 'VIP', { creates: 1, settleMs: 1 });
    await expect(made).rejects.toMatchObject({ outcomeUnknown: true });
  });
});
