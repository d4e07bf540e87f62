/**
 * A profile id kept in the snapshot can go stale (Klaviyo merged or deleted the profile). A list
 * change that names one is refused whole; the executor looks those members up again by identifier
 * and resends, so one stale id does not fail every run. Over HTTP against the sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KlaviyoClient } from '../klaviyo/client.ts';
import { KlaviyoError } from '../errors.ts';
import { findOrCreateList, listNotFound } from '../klaviyo/lists.ts';
import { startSandbox, type RunningSandbox } from '../sandbox/server.ts';
import { createProfile } from '../../test/helpers/sandbox.ts';
import { addMembers, unsubscribeMembers } from './lists.ts';

let sandbox: RunningSandbox;
let client: KlaviyoClient;
beforeAll(async () => {
  sandbox = await startSandbox({ rateLimits: 'off' });
  client = new KlaviyoClient({ apiKey: 'pk_lists_apply', baseUrl: sandbox.url, limits: 'off', backoffMs: 1 });
});
afterAll(async () => {
  await sandbox.close();
});

describe('addMembers', () => {
  it('looks a member up again when Klaviyo no longer has the id the snapshot kept', async () => {
    const ann = await createProfile(sandbox, { email: 'ann@example.com' });
    const bob = await createProfile(sandbox, { email: 'bob@example.com' });
    const { id: listId } = await findOrCreateList(client, 'Stale ids');
    const outcomes = await addMembers(client, listId, [
      { key: 'A', profile: { email: 'ann@example.com' }, profileId: ann },
      { key: 'B', profile: { email: 'bob@example.com' }, profileId: 'PROFILE-MERGED-AWAY' },
      { key: 'C', profile: { email: 'nobody@example.com' }, profileId: 'PROFILE-DELETED' },
    ]);
    expect(outcomes).toEqual([
      {
        key: 'C',
        status: 'failed',
        reason: 'no Klaviyo profile has these identifiers yet; sync the profile first (or declare `after`)',
      },
      { key: 'A', status: 'confirmed', profileId: ann },
      { key: 'B', status: 'confirmed', profileId: bob },
    ]);
    const list = sandbox.inspect().lists.find((l) => l.id === listId)!;
    expect([...list.profileIds].sort()).toEqual([ann, bob].sort());
    const adds = sandbox.requests().filter((r) => r.operationId === 'add_profiles_to_list');
    expect(adds.map((r) => r.status)).toEqual([400, 204]);
  });
});

describe('a list Klaviyo does not have', () => {
  it('throws the 404 of the list request, with no outcome for any member', async () => {
    const cid = await createProfile(sandbox, { email: 'cid@example.com' });
    const since = sandbox.requests().length;
    const error: unknown = await addMembers(client, 'NOLIST', [
      { key: 'A', profile: { email: 'cid@example.com' }, profileId: cid },
    ]).catch((e: unknown) => e);
    expect(listNotFound(error)).toBe(true);
    // Klaviyo's answer for an unknown resource: 404 with a JSON:API errors body.
    expect((error as KlaviyoError).errors).toMatchObject([{ status: 404, code: 'not_found' }]);
    const sent = sandbox.requests().slice(since);
    expect(sent.map((r) => [r.operationId, r.status])).toEqual([['add_profiles_to_list', 404]]);
  });

  it("is not mistaken for an error about a member, or for a 404 that is not Klaviyo's", () => {
    const member = new KlaviyoError('404', 404, false, [
      { code: 'not_found', title: 'Not found.', detail: 'x', source: { pointer: '/data/0/id' } },
    ]);
    expect(listNotFound(member)).toBe(false);
    // A proxy's 404 page is not Klaviyo's answer about the list.
    expect(listNotFound(new KlaviyoError('404', 404, false, []))).toBe(false);
    expect(listNotFound(new KlaviyoError('400', 400, false, []))).toBe(false);
  });
});

describe('unsubscribeMembers', () => {
  it('sends 100 a request, each with its own outcome, and rejects alone the member Klaviyo points at', async () => {
    const members = Array.from({ length: 150 }, (_, i) => ({
      key: `W${i}`,
      profile: { email: `gone${i}@example.com` },
      profileId: null,
      // W120 names no identifier: Klaviyo refuses its request and points at it.
      unsubscribe: { channels: ['email' as const], ...(i === 120 ? {} : { email: `gone${i}@example.com` }) },
    }));
    const since = sandbox.requests().length;
    const outcomes = await unsubscribeMembers(client, members);
    const sent = sandbox
      .requests()
      .slice(since)
      .filter((r) => r.operationId === 'bulk_unsubscribe_profiles');
    // The first hundred in one request; the next fifty refused for W120, then sent without it.
    expect(sent.map((r) => r.status)).toEqual([202, 400, 202]);
    expect(outcomes.filter((o) => o.status === 'confirmed')).toHaveLength(149);
    expect(outcomes.find((o) => o.key === 'W120')).toEqual({
      key: 'W120',
      status: 'rejected',
      reason: 'Invalid input. A profile needs an email or a phone_number.',
    });
    const consent = (email: string) =>
      sandbox.inspect().profiles.find((p) => p.email === email)?.subscriptions.email.marketing.consent;
    expect(consent('gone0@example.com')).toBe('UNSUBSCRIBED');
    expect(consent('gone149@example.com')).toBe('UNSUBSCRIBED');
  });
});
