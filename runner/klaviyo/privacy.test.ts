/**
 * The profile deletion request, sent by the real client to the sandbox over HTTP: the body
 * Klaviyo's description defines, one identifier at a time, and the profile with its events gone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertAllValid } from '../../test/helpers/openapi-contract.ts';
import { startSandbox, type RunningSandbox } from '../sandbox/server.ts';
import { KlaviyoClient } from './client.ts';
import { requestProfileDeletion } from './privacy.ts';

let sandbox: RunningSandbox;
let client: KlaviyoClient;

beforeAll(async () => {
  sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 0 });
  client = new KlaviyoClient({ apiKey: 'pk_privacy_test', baseUrl: sandbox.url, maxRetries: 0 });
});
afterAll(async () => {
  await client.close();
  assertAllValid(sandbox.requests().filter((r) => r.path.startsWith('/api/')));
  await sandbox.close();
});

async function seed(attributes: Record<string, string>, uniqueId: string): Promise<string> {
  await client.call('bulk_create_events', 'POST', '/api/event-bulk-create-jobs', {
    data: {
      type: 'event-bulk-create-job',
      attributes: {
        'events-bulk-create': {
          data: [
            {
              type: 'event-bulk-create',
              attributes: {
                profile: { data: { type: 'profile', attributes } },
                events: {
                  data: [
                    {
                      type: 'event',
                      attributes: {
                        properties: { OrderId: uniqueId },
                        time: '2025-03-01T10:00:00Z',
                        unique_id: uniqueId,
                        metric: { data: { type: 'metric', attributes: { name: 'Placed Order' } } },
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
  const profile = sandbox.inspect().profiles.find((p) => p.email === attributes.email);
  if (profile === undefined) throw new Error('the sandbox did not create the profile');
  return profile.id;
}

describe('requestProfileDeletion', () => {
  it('erases the profile an email, a phone number or a profile id names, with its events, and nothing else', async () => {
    const byEmail = await seed({ email: 'erase.me@example.com' }, 'o-1');
    const byPhone = await seed({ email: 'phone.only@example.com', phone_number: '+14155550101' }, 'o-2');
    const byId = await seed({ email: 'by.id@example.com' }, 'o-3');
    const kept = await seed({ email: 'keep.me@example.com' }, 'o-4');

    await requestProfileDeletion(client, { email: 'erase.me@example.com' });
    await requestProfileDeletion(client, { phone_number: '+14155550101' });
    await requestProfileDeletion(client, { id: byId });

    const state = sandbox.inspect();
    const ids = state.profiles.map((p) => p.id);
    expect(ids).not.toContain(byEmail);
    expect(ids).not.toContain(byPhone);
    expect(ids).not.toContain(byId);
    expect(ids).toContain(kept);
    expect(state.events.map((e) => e.profileId)).toEqual([kept]);
    const sent = sandbox.requests().filter((r) => r.operationId === 'request_profile_deletion');
    expect(sent.map((r) => r.status)).toEqual([202, 202, 202]);
  });

  it('is refused when no profile identifier or two are given, naming the rule', async () => {
    for (const body of [
      {
        data: {
          type: 'data-privacy-deletion-job',
          attributes: { profile: { data: { type: 'profile', attributes: {} } } },
        },
      },
      {
        data: {
          type: 'data-privacy-deletion-job',
          attributes: {
            profile: {
              data: { type: 'profile', attributes: { email: 'a@example.com', phone_number: '+14155550102' } },
            },
          },
        },
      },
    ]) {
      await expect(
        client.call('request_profile_deletion', 'POST', '/api/data-privacy-deletion-jobs', body),
      ).rejects.toThrow(/Exactly one identifier/);
    }
  });
});
