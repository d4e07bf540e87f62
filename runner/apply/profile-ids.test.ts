/**
 * A profile id the snapshot kept goes stale when the profile is merged or deleted in Klaviyo: a
 * request on it answers 404. The row is then looked up again by its identifiers, and the request
 * goes to the profile Klaviyo has now. Over HTTP against the sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KlaviyoClient } from '../klaviyo/client.ts';
import { clearProfileFields } from '../klaviyo/profiles.ts';
import { startSandbox, type RunningSandbox } from '../sandbox/server.ts';
import { createProfile } from '../../test/helpers/sandbox.ts';
import { onEachProfile, resolveProfileIds } from './profile-ids.ts';

let sandbox: RunningSandbox;
let client: KlaviyoClient;
beforeAll(async () => {
  sandbox = await startSandbox({ rateLimits: 'off' });
  client = new KlaviyoClient({ apiKey: 'pk_ids', baseUrl: sandbox.url, limits: 'off', backoffMs: 1 });
});
afterAll(async () => {
  await sandbox.close();
});

describe('onEachProfile', () => {
  it('looks a row up again when Klaviyo answers 404 for the id the snapshot kept, and only then', async () => {
    const ann = await createProfile(sandbox, { email: 'ann@ids.example', properties: { score: 1 } });
    const bob = await createProfile(sandbox, { email: 'bob@ids.example', properties: { score: 1 } });
    const items = [
      // Kept, and still Klaviyo's.
      { key: 'A', profile: { email: 'ann@ids.example' }, profileId: ann },
      // Kept, merged away since: Bob is another profile now.
      { key: 'B', profile: { email: 'bob@ids.example' }, profileId: 'PROFILE-MERGED-AWAY' },
      // Kept, and nobody has the email any more: nothing to do.
      { key: 'C', profile: { email: 'gone@ids.example' }, profileId: 'PROFILE-DELETED' },
    ];
    const ids = await resolveProfileIds(client, items);
    // An id this run learnt that answers 404 is not looked up again.
    ids.set('D', 'JUST-LEARNT');
    const since = sandbox.requests().length;
    const done = await onEachProfile(
      client,
      [...items, { key: 'D', profile: { email: 'dan@ids.example' }, profileId: null }],
      ids,
      (_, profileId) => clearProfileFields(client, profileId, { properties: ['score'] }),
    );
    expect(Object.fromEntries([...done].map(([k, v]) => [k, 'error' in v ? 'error' : v.profileId]))).toEqual({
      A: ann,
      B: bob,
      C: null,
      D: 'error',
    });
    const sent = sandbox.requests().slice(since);
    expect(sent.map((r) => [r.operationId, r.status])).toEqual([
      ['update_profile', 200],
      ['update_profile', 404],
      ['update_profile', 404],
      ['update_profile', 404],
      // B and C looked up again in one request, by email.
      ['get_profiles', 200],
      ['update_profile', 200],
    ]);
    expect(sandbox.inspect().profiles.find((p) => p.id === bob)!.properties).not.toHaveProperty('score');
  });
});
