/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument --
   The sandbox's answers are untyped JSON:API documents here; afterAll checks each against Klaviyo's OpenAPI description. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertAllValid } from '../../test/helpers/openapi-contract.ts';
import { startSandbox, type RunningSandbox } from './server.ts';

let sandbox: RunningSandbox;
const headers = {
  authorization: 'Klaviyo-API-Key pk_sandbox_test',
  revision: '2026-07-15',
  'content-type': 'application/vnd.api+json',
  accept: 'application/vnd.api+json',
};

async function api(method: string, path: string, body?: unknown, extra: Record<string, string> = {}) {
  const res = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: { ...headers, ...extra },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
}

const profile = (attributes: Record<string, unknown>) => ({ type: 'profile', attributes });
const importBody = (profiles: Record<string, unknown>[]) => ({
  data: { type: 'profile-bulk-import-job', attributes: { profiles: { data: profiles.map(profile) } } },
});
const eventEntry = (email: string, uniqueId: string, metric = 'Placed Order') => ({
  type: 'event-bulk-create',
  attributes: {
    profile: { data: { type: 'profile', attributes: { email } } },
    events: {
      data: [
        {
          type: 'event',
          attributes: {
            properties: { OrderId: uniqueId },
            time: '2025-03-01T10:00:00Z',
            value: 10,
            unique_id: uniqueId,
            metric: { data: { type: 'metric', attributes: { name: metric } } },
          },
        },
      ],
    },
  },
});
const eventsBody = (entries: unknown[]) => ({
  data: { type: 'event-bulk-create-job', attributes: { 'events-bulk-create': { data: entries } } },
});

async function waitForJob(id: string) {
  for (;;) {
    const job = await api('GET', `/api/profile-bulk-import-jobs/${id}`);
    if (job.body.data.attributes.status === 'complete') return job;
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 20 });
});
afterAll(async () => {
  assertAllValid(sandbox.requests().filter((r) => r.status < 400 && r.path.startsWith('/api/')));
  await sandbox.close();
});

describe('the sandbox answers as Klaviyo does', () => {
  it('needs a private key and a revision', async () => {
    expect((await api('GET', '/api/lists', undefined, { authorization: '' })).body.errors[0]).toMatchObject({
      status: 401,
      code: 'not_authenticated',
    });
    const noRevision = await fetch(`${sandbox.url}/api/lists`, {
      headers: { authorization: headers.authorization },
    });
    expect(noRevision.status).toBe(400);
  });

  it('runs a bulk import job to completion, importing valid rows and reporting the others with pointers', async () => {
    await api('POST', '/api/profile-import', { data: profile({ email: 'taken@example.com' }) });
    await api('POST', '/api/profile-import', { data: profile({ external_id: 'X-9' }) });
    const submitted = await api(
      'POST',
      '/api/profile-bulk-import-jobs',
      importBody([
        { email: 'ok@example.com', properties: { rfm_segment: 'loyal' } },
        { email: 'bad-email' },
        { email: 'ok2@example.com', phone_number: '555-0100' },
        { email: 'taken@example.com', external_id: 'X-9' },
      ]),
    );
    expect(submitted.status).toBe(202);
    expect(submitted.body.data.attributes).toMatchObject({ status: 'queued', total_count: 4 });
    const done = await waitForJob(submitted.body.data.id);
    expect(done.body.data.attributes).toMatchObject({
      status: 'complete',
      completed_count: 1,
      failed_count: 3,
    });
    const errors = await api('GET', `/api/profile-bulk-import-jobs/${submitted.body.data.id}/import-errors`);
    expect(
      errors.body.data.map((e: { attributes: { code: string; source: { pointer: string } } }) => [
        e.attributes.code,
        e.attributes.source.pointer,
      ]),
    ).toEqual([
      ['invalid', '/data/attributes/profiles/data/1/attributes/email'],
      ['invalid', '/data/attributes/profiles/data/2/attributes/phone_number'],
      ['duplicate_profile', '/data/attributes/profiles/data/3'],
    ]);
    const imported = await api('GET', `/api/profile-bulk-import-jobs/${submitted.body.data.id}/profiles`);
    expect(imported.body.data.map((p: { attributes: { email: string } }) => p.attributes.email)).toEqual([
      'ok@example.com',
    ]);
  });

  it('refuses more than 10,000 profiles in one job', async () => {
    const res = await api(
      'POST',
      '/api/profile-bulk-import-jobs',
      importBody(Array.from({ length: 10_001 }, (_, i) => ({ email: `p${i}@example.com` }))),
    );
    expect(res.status).toBe(400);
    expect(res.body.errors[0].detail).toBe('At most 10000 profiles are allowed per request; got 10001.');
  });

  it('bulk import ignores null; profile-import clears with null', async () => {
    await api('POST', '/api/profile-import', {
      data: profile({ email: 'n@example.com', first_name: 'Ann', properties: { tier: 'gold' } }),
    });
    const job = await api(
      'POST',
      '/api/profile-bulk-import-jobs',
      importBody([{ email: 'n@example.com', first_name: null, properties: { tier: null } }]),
    );
    await waitForJob(job.body.data.id);
    const kept = sandbox.inspect().profiles.find((p) => p.email === 'n@example.com')!;
    expect([kept.attributes.first_name, kept.properties.tier]).toEqual(['Ann', 'gold']);
    const cleared = await api('POST', '/api/profile-import', {
      data: profile({ email: 'n@example.com', first_name: null }),
    });
    expect(cleared.status).toBe(200);
    expect(
      sandbox.inspect().profiles.find((p) => p.email === 'n@example.com')!.attributes.first_name,
    ).toBeUndefined();
  });

  it('answers 409 duplicate_profile with the existing id', async () => {
    const created = await api('POST', '/api/profiles', { data: profile({ email: 'dup@example.com' }) });
    expect(created.status).toBe(201);
    const again = await api('POST', '/api/profiles', { data: profile({ email: 'dup@example.com' }) });
    expect(again.status).toBe(409);
    expect(again.body.errors[0]).toMatchObject({
      code: 'duplicate_profile',
      source: { pointer: '/data/attributes' },
      meta: { duplicate_profile_id: created.body.data.id },
    });
  });

  it('fails a whole bulk event request on a repeated unique_id, and ignores a stored one', async () => {
    const before = sandbox.inspect().events.length;
    const dup = await api(
      'POST',
      '/api/event-bulk-create-jobs',
      eventsBody([eventEntry('e@example.com', 'SO-1'), eventEntry('e@example.com', 'SO-1')]),
    );
    expect(dup.status).toBe(400);
    expect(sandbox.inspect().events.length).toBe(before);
    expect(
      (await api('POST', '/api/event-bulk-create-jobs', eventsBody([eventEntry('e@example.com', 'SO-1')])))
        .status,
    ).toBe(202);
    expect(
      (
        await api(
          'POST',
          '/api/event-bulk-create-jobs',
          eventsBody([eventEntry('e@example.com', 'SO-1'), eventEntry('e@example.com', 'SO-2')]),
        )
      ).status,
    ).toBe(202);
    expect(sandbox.inspect().events.length).toBe(before + 2);
  });

  it('filters profiles with any(), pages at most 100, and lists at most 10 per page', async () => {
    const found = await api(
      'GET',
      `/api/profiles?filter=${encodeURIComponent('any(email,["ok@example.com","dup@example.com"])')}&page[size]=100`,
    );
    expect(found.body.data.map((p: { attributes: { email: string } }) => p.attributes.email).sort()).toEqual([
      'dup@example.com',
      'ok@example.com',
    ]);
    expect((await api('GET', '/api/profiles?page[size]=101')).status).toBe(400);
    for (let i = 0; i < 11; i++)
      await api('POST', '/api/lists', { data: { type: 'list', attributes: { name: `L${i}` } } });
    const first = await api('GET', '/api/lists');
    expect(first.body.data).toHaveLength(10);
    expect(typeof first.body.links.next).toBe('string');
    expect((await api('GET', '/api/lists?page[size]=11')).status).toBe(400);
  });

  it('adds and removes list members by profile id, and reflects suppressions in subscriptions', async () => {
    const list = await api('POST', '/api/lists', { data: { type: 'list', attributes: { name: 'Winback' } } });
    const p = await api('POST', '/api/profile-import', { data: profile({ email: 'm@example.com' }) });
    const members = { data: [{ type: 'profile', id: p.body.data.id }] };
    expect(
      (await api('POST', `/api/lists/${list.body.data.id}/relationships/profiles`, members)).status,
    ).toBe(204);
    expect((await api('GET', `/api/lists/${list.body.data.id}/relationships/profiles`)).body.data).toEqual([
      { type: 'profile', id: p.body.data.id },
    ]);
    expect(
      (await api('DELETE', `/api/lists/${list.body.data.id}/relationships/profiles`, members)).status,
    ).toBe(204);
    expect((await api('GET', `/api/lists/${list.body.data.id}/relationships/profiles`)).body.data).toEqual(
      [],
    );
    const suppress = await api('POST', '/api/profile-suppression-bulk-create-jobs', {
      data: {
        type: 'profile-suppression-bulk-create-job',
        attributes: { profiles: { data: [profile({ email: 'm@example.com' })] } },
      },
    });
    expect(suppress.status).toBe(202);
    const read = await api('GET', `/api/profiles/${p.body.data.id}?additional-fields[profile]=subscriptions`);
    expect(read.body.data.attributes.subscriptions.email.marketing).toMatchObject({
      can_receive_email_marketing: false,
      suppression: [{ reason: 'USER_SUPPRESSED' }],
    });
  });
});

describe('the sandbox records what it was sent', () => {
  it('reads a recorded JSON body back as JSON and any other body as its text, in process and over HTTP', async () => {
    const body = { data: { type: 'list', attributes: { name: 'Recorded é' } } };
    await api('POST', '/api/lists', body);
    await fetch(`${sandbox.url}/api/lists`, { method: 'POST', headers, body: '{not json' });
    const [json, text] = sandbox.requests().slice(-2);
    expect(json!.body).toEqual(body);
    expect(json!.body).toBe(json!.body);
    expect(text!.body).toBe('{not json');
    const overHttp = (await (await fetch(`${sandbox.url}/__sandbox/requests`)).json()) as { body: unknown }[];
    expect(overHttp.slice(-2).map((r) => r.body)).toEqual([body, '{not json']);
  });
});

describe('the sandbox keeps no credential it was sent', () => {
  it('redacts every credential-looking header in /__sandbox/requests, whatever its form', async () => {
    const secrets = {
      authorization: 'Bearer pk_bearer_secret',
      'x-api-key': 'pk_header_secret',
      'proxy-authorization': 'Basic cGtfYmFzaWNfc2VjcmV0',
      cookie: 'session=pk_cookie_secret',
      'x-auth-token': 'pk_token_secret',
    };
    await api('GET', '/api/lists', undefined, secrets);
    await api('GET', '/api/lists', undefined, { authorization: 'pk_bare_secret' });
    await api('GET', '/api/lists');
    const recorded = await (await fetch(`${sandbox.url}/__sandbox/requests`)).text();
    for (const secret of [...Object.values(secrets), 'pk_bare_secret', 'pk_sandbox_test'])
      expect(recorded).not.toContain(secret);
    const requests = JSON.parse(recorded) as { headers: Record<string, string> }[];
    expect(requests.at(-3)!.headers).toMatchObject({
      authorization: 'Bearer [redacted]',
      'x-api-key': '[redacted]',
      'proxy-authorization': 'Basic [redacted]',
      cookie: '[redacted]',
      'x-auth-token': '[redacted]',
      revision: '2026-07-15',
    });
    expect(requests.at(-2)!.headers.authorization).toBe('[redacted]');
    expect(requests.at(-1)!.headers.authorization).toBe('Klaviyo-API-Key [redacted]');
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After past the burst, and honouring it succeeds', async () => {
    const limited = await startSandbox({
      rateLimits: {
        XS: { burst: 1, steady: 2 },
        S: { burst: 1, steady: 2 },
        M: { burst: 2, steady: 100 },
        L: { burst: 2, steady: 100 },
        XL: { burst: 2, steady: 100 },
      },
    });
    try {
      const call = () => fetch(`${limited.url}/api/lists`, { headers });
      // Start inside a fresh second so the burst window is not split.
      await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push(await call());
      expect(statuses.map((r) => r.status)).toEqual([200, 200, 429]);
      const throttled = statuses[2]!;
      const body = (await throttled.json()) as { errors: { code: string }[] };
      expect(body.errors[0]!.code).toBe('throttled');
      const wait = Number(throttled.headers.get('retry-after'));
      expect(wait).toBe(1);
      await new Promise((r) => setTimeout(r, wait * 1000));
      expect((await call()).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('consent with historical_import', () => {
  const subscribeBody = (marketing: Record<string, unknown>, historical: boolean) => ({
    data: {
      type: 'profile-subscription-bulk-create-job',
      attributes: {
        ...(historical ? { historical_import: true } : {}),
        profiles: {
          data: [profile({ email: 'consent@example.com', subscriptions: { email: { marketing } } })],
        },
      },
    },
  });
  const post = (body: unknown) => api('POST', '/api/profile-subscription-bulk-create-jobs', body);
  const pointer = '/data/attributes/profiles/data/0/attributes/subscriptions/email/marketing/consented_at';

  it('needs a consent time in the past on every profile of a historical import', async () => {
    const missing = await post(subscribeBody({ consent: 'SUBSCRIBED' }, true));
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0].source.pointer).toBe(pointer);
    const future = await post(
      subscribeBody({ consent: 'SUBSCRIBED', consented_at: '2999-01-01T00:00:00Z' }, true),
    );
    expect(future.status).toBe(400);
    expect(future.body.errors[0].detail).toBe('consented_at must be a date-time in the past.');
    const past = await post(
      subscribeBody({ consent: 'SUBSCRIBED', consented_at: '2024-01-01T00:00:00Z' }, true),
    );
    expect(past.status).toBe(202);
  });

  it('refuses a consent time without historical_import', async () => {
    const sent = await post(
      subscribeBody({ consent: 'SUBSCRIBED', consented_at: '2024-01-01T00:00:00Z' }, false),
    );
    expect(sent.status).toBe(400);
    expect(sent.body.errors[0].source.pointer).toBe('/data/attributes/historical_import');
    expect((await post(subscribeBody({ consent: 'SUBSCRIBED' }, false))).status).toBe(202);
  });
});
