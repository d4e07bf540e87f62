/**
 * Klaviyo refuses a subscription request whole for one wrong profile and points at it: only that
 * member is rejected, the others are sent again, and each request (consent with a time, consent
 * without one) keeps its own outcome. Over HTTP against the sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KlaviyoClient } from '../klaviyo/client.ts';
import { findOrCreateList } from '../klaviyo/lists.ts';
import { startSandbox, type RunningSandbox } from '../sandbox/server.ts';
import { subscribeMembers } from './subscribe.ts';

let sandbox: RunningSandbox;
let client: KlaviyoClient;
beforeAll(async () => {
  sandbox = await startSandbox({ rateLimits: 'off' });
  client = new KlaviyoClient({
    apiKey: 'pk_subscribe_apply',
    baseUrl: sandbox.url,
    limits: 'off',
    backoffMs: 1,
  });
});
afterAll(async () => {
  await sandbox.close();
});

describe('subscribeMembers', () => {
  it('rejects only the member an error points at, and gives each request its own outcome', async () => {
    const { id: listId } = await findOrCreateList(client, 'Consent one by one');
    const outcomes = await subscribeMembers(client, listId, [
      {
        key: 'A',
        profile: { email: 'a@consent.example' },
        profileId: null,
        subscribe: { channels: ['email'] },
      },
      // Email consent without an email: Klaviyo refuses the request and points at this profile.
      {
        key: 'B',
        profile: { phone_number: '+14155552671' },
        profileId: null,
        subscribe: { channels: ['email'] },
      },
      {
        key: 'C',
        profile: { email: 'c@consent.example' },
        profileId: null,
        subscribe: { channels: ['email'], consentedAt: '2025-06-01T00:00:00Z' },
      },
      {
        key: 'D',
        profile: { email: 'd@consent.example' },
        profileId: null,
        subscribe: { channels: ['email'] },
      },
    ]);
    expect(outcomes).toEqual([
      { key: 'C', status: 'confirmed' },
      { key: 'B', status: 'rejected', reason: "Invalid input. Email consent needs the profile's email." },
      { key: 'A', status: 'confirmed' },
      { key: 'D', status: 'confirmed' },
    ]);
    const consent = (email: string) =>
      sandbox.inspect().profiles.find((p) => p.email === email)!.subscriptions.email.marketing.consent;
    expect(['a', 'c', 'd'].map((x) => consent(`${x}@consent.example`))).toEqual([
      'SUBSCRIBED',
      'SUBSCRIBED',
      'SUBSCRIBED',
    ]);
    const sent = sandbox.requests().filter((r) => r.operationId === 'bulk_subscribe_profiles');
    expect(sent.map((r) => r.status)).toEqual([202, 400, 202]);
  });
});
