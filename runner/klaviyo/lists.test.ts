/**
 * Consent goes to Klaviyo as it documents bulk_subscribe_profiles: consent times only inside a
 * historical import, which then carries one for every profile. Checked over HTTP against the
 * sandbox, with each request validated against Klaviyo's OpenAPI description.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertAllValid } from '../../test/helpers/openapi-contract.ts';
import { startSandbox, type RunningSandbox } from '../sandbox/server.ts';
import { KlaviyoClient } from './client.ts';
import { findOrCreateList, subscribe } from './lists.ts';

let sandbox: RunningSandbox;
let client: KlaviyoClient;
beforeAll(async () => {
  sandbox = await startSandbox({ rateLimits: 'off' });
  client = new KlaviyoClient({ apiKey: 'pk_lists_unit', baseUrl: sandbox.url, limits: 'off', backoffMs: 1 });
});
afterAll(async () => {
  await sandbox.close();
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
