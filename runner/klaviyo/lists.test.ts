/**
 * Consent goes to Klaviyo as it documents bulk_subscribe_profiles: consent times only inside a
 * historical import, which then carries one for every profile. Checked over HTTP against the
 * sandbox, with each request validated against Klaviyo's OpenAPI description.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertAllValid } from '../../test/helpers/openapi-contract.ts';
import { startSandbox, type RunningSandbox } from '../sandbox/server.ts';
import { KlaviyoClient } from './client.ts';
import { findOrCreateList, subscribe, unsubscribeRequest } from './lists.ts';

let sandbox: RunningSandbox;
let client: KlaviyoClient;
beforeAll(async () => {
  sandbox = await startSandbox({ rateLimits: 'off' });
  client = new KlaviyoClient({ apiKey: 'pk_lists_unit', baseUrl: sandbox.url, limits: 'off', backoffMs: 1 });
});
afterAll(async () => {
  await sandbox.close();
});
afterEach(() => {
  sandbox.setFaults({});
});

describe('subscribe', () => {
  it('sends consent times as a historical import and the rest as an ordinary one', async () => {
    const { id } = await findOrCreateList(client, 'Consent');
    await subscribe(client, id, [
      { email: 'old@example.com', channels: ['email'], consentedAt: '2024-05-01T00:00:00Z' },
      { email: 'now@example.com', channels: ['email'] },
    ]);
    const sent = sandbox.requests().filter((r) => r.operationId === 'bulk_subscribe_profiles');
    expect(sent.map((r) => r.status)).toEqual([202, 202]);
    const bodies = sent.map(
      (r) =>
        (r.body as { data: { attributes: { historical_import?: boolean; profiles: { data: unknown[] } } } })
          .data.attributes,
    );
    expect(bodies[0]).toMatchObject({ historical_import: true, profiles: { data: [expect.anything()] } });
    expect(JSON.stringify(bodies[0])).toContain('"consented_at":"2024-05-01T00:00:00Z"');
    expect(bodies[1]!.historical_import).toBeUndefined();
    expect(JSON.stringify(bodies[1])).not.toContain('consented_at');
    assertAllValid(sent);

    const state = sandbox.inspect();
    const consent = (email: string) =>
      state.profiles.find((p) => p.email === email)?.subscriptions.email.marketing.consent;
    expect(consent('old@example.com')).toBe('SUBSCRIBED');
    expect(consent('now@example.com')).toBe('SUBSCRIBED');
  });
});

describe('unsubscribe', () => {
  const consentOf = (email: string) => {
    const p = sandbox.inspect().profiles.find((x) => x.email === email)!;
    return [p.subscriptions.email.marketing.consent, p.subscriptions.sms.marketing.consent];
  };

  it('withdraws email and SMS consent, each channel with its identifier, leaving list membership alone', async () => {
    const { id } = await findOrCreateList(client, 'Withdrawn');
    await subscribe(client, id, [
      { email: 'both@example.com', phone_number: '+15005550006', channels: ['email', 'sms'] },
      { email: 'mail@example.com', phone_number: '+15005550007', channels: ['email', 'sms'] },
    ]);
    const since = sandbox.requests().length;
    await unsubscribeRequest(client, [
      { email: 'both@example.com', phone_number: '+15005550006', channels: ['email', 'sms'] },
      { email: 'mail@example.com', channels: ['email'] },
    ]);
    const sent = sandbox
      .requests()
      .slice(since)
      .filter((r) => r.operationId === 'bulk_unsubscribe_profiles');
    expect(sent.map((r) => r.status)).toEqual([202]);
    assertAllValid(sent);
    expect(consentOf('both@example.com')).toEqual(['UNSUBSCRIBED', 'UNSUBSCRIBED']);
    expect(consentOf('mail@example.com')).toEqual(['UNSUBSCRIBED', 'SUBSCRIBED']);
    // Membership follows the model: no list was named, so nobody left it.
    expect(sandbox.inspect().lists.find((l) => l.id === id)!.profileIds).toHaveLength(2);
  });
});

describe('the sandbox, on consent', () => {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${sandbox.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: 'Klaviyo-API-Key pk_lists_unit',
        revision: '2026-07-15',
        'content-type': 'application/vnd.api+json',
      },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: res.status === 202 ? null : await res.json() };
  };
  const job = (type: string, attributes: Record<string, unknown>, list?: string) => ({
    data: {
      type,
      attributes: { profiles: { data: [{ type: 'profile', attributes }] } },
      ...(list !== undefined ? { relationships: { list: { data: { type: 'list', id: list } } } } : {}),
    },
  });

  it('refuses SMS consent without a phone number and email consent without an email', async () => {
    const sms = await post(
      '/api/profile-subscription-bulk-create-jobs',
      job('profile-subscription-bulk-create-job', {
        email: 'nophone@example.com',
        subscriptions: { sms: { marketing: { consent: 'SUBSCRIBED' } } },
      }),
    );
    expect(sms.status).toBe(400);
    expect(JSON.stringify(sms.body)).toContain('/data/attributes/profiles/data/0/attributes/phone_number');
    const email = await post(
      '/api/profile-subscription-bulk-delete-jobs',
      job('profile-subscription-bulk-delete-job', {
        phone_number: '+15005550009',
        subscriptions: { email: { marketing: { consent: 'UNSUBSCRIBED' } } },
      }),
    );
    expect(email.status).toBe(400);
    expect(JSON.stringify(email.body)).toContain('/data/attributes/profiles/data/0/attributes/email');
  });

  it('takes only UNSUBSCRIBED as the consent of an unsubscribe, and needs a channel', async () => {
    const wrong = await post(
      '/api/profile-subscription-bulk-delete-jobs',
      job('profile-subscription-bulk-delete-job', {
        email: 'wrong@example.com',
        subscriptions: { email: { marketing: { consent: 'SUBSCRIBED' } } },
      }),
    );
    expect(wrong.status).toBe(400);
    expect(JSON.stringify(wrong.body)).toContain(
      '/data/attributes/profiles/data/0/attributes/subscriptions/email/marketing/consent',
    );
    const none = await post(
      '/api/profile-subscription-bulk-delete-jobs',
      job('profile-subscription-bulk-delete-job', { email: 'none@example.com', subscriptions: {} }),
    );
    expect(none.status).toBe(400);
  });

  it('takes the unsubscribed profiles off a list named in the request', async () => {
    const { id } = await findOrCreateList(client, 'Leaving');
    await subscribe(client, id, [{ email: 'leaving@example.com', channels: ['email'] }]);
    const res = await post(
      '/api/profile-subscription-bulk-delete-jobs',
      job(
        'profile-subscription-bulk-delete-job',
        {
          email: 'leaving@example.com',
          subscriptions: { email: { marketing: { consent: 'UNSUBSCRIBED' } } },
        },
        id,
      ),
    );
    expect(res.status).toBe(202);
    expect(sandbox.inspect().lists.find((l) => l.id === id)!.profileIds).toEqual([]);
  });
});

describe('findOrCreateList', () => {
  const createsOf = (name: string) =>
    sandbox
      .requests()
      .filter(
        (r) => r.operationId === 'create_list' && JSON.stringify(r.body).includes(JSON.stringify(name)),
      );
  const listsNamed = (name: string) => sandbox.inspect().lists.filter((l) => l.name === name);

  it('ends with exactly one list when every answer to create_list is lost', async () => {
    // Klaviyo makes the list, then the connection drops before the answer: a blind resend would
    // make a second list of the same name.
    sandbox.setFaults({ seed: 3, lostAnswer: 1, operations: ['create_list'] });
    const { id, created } = await findOrCreateList(client, 'Lost answer', { settleMs: 1 });
    expect(listsNamed('Lost answer').map((l) => l.id)).toEqual([id]);
    expect(created).toBe(false);
    const creates = createsOf('Lost answer');
    expect(creates).toHaveLength(1);
    expect(creates[0]).toMatchObject({ status: -1, lostAnswer: { status: 201, body: { data: { id } } } });

    // A later run finds the same list and creates none.
    sandbox.setFaults({});
    await expect(findOrCreateList(client, 'Lost answer')).resolves.toEqual({ id, created: false });
    expect(listsNamed('Lost answer')).toHaveLength(1);
    expect(createsOf('Lost answer')).toHaveLength(1);
  });

  it('creates at most `creates` times while each outcome stays unknown, then says so', async () => {
    // 5xx before any work: each create is ambiguous to the runner, and no list appears.
    sandbox.setFaults({ seed: 3, serverError: 1, operations: ['create_list'] });
    const attempt = findOrCreateList(client, 'Never made', { creates: 2, settleMs: 1 });
    await expect(attempt).rejects.toMatchObject({ retryable: true, outcomeUnknown: true });
    await expect(attempt).rejects.toThrow(/create_list answered 50[03].*not resent/);
    expect(createsOf('Never made')).toHaveLength(2);
    expect(listsNamed('Never made')).toHaveLength(0);

    sandbox.setFaults({});
    const { created } = await findOrCreateList(client, 'Never made');
    expect(created).toBe(true);
    expect(listsNamed('Never made')).toHaveLength(1);
  });

  it('picks the oldest when lists of one name already exist', async () => {
    const first = await findOrCreateList(client, 'Twice');
    await client.call('create_list', 'POST', '/api/lists', {
      data: { type: 'list', attributes: { name: 'Twice' } },
    });
    await expect(findOrCreateList(client, 'Twice')).resolves.toEqual({ id: first.id, created: false });
  });
});
