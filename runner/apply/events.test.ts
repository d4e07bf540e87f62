/**
 * One event Klaviyo refuses fails its whole bulk request (docs/klaviyo-api.md#events). The executor finds it by
 * halving the batch, so the other events are confirmed and only the bad one is rejected, with
 * Klaviyo's reason, in a few requests rather than one per event. Over HTTP against the sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KlaviyoClient } from '../klaviyo/client.ts';
import { startSandbox, type RunningSandbox } from '../sandbox/server.ts';
import type { EventPayload } from '../transform/payload.ts';
import { eventEntry, profileEntry } from '../transform/entries.ts';
import { sendEvents } from './events.ts';

let sandbox: RunningSandbox;
let client: KlaviyoClient;
beforeAll(async () => {
  sandbox = await startSandbox({ rateLimits: 'off' });
  client = new KlaviyoClient({ apiKey: 'pk_events_unit', baseUrl: sandbox.url, limits: 'off', backoffMs: 1 });
});
afterAll(async () => {
  await sandbox.close();
});

/** An event as the builder makes one, its texts included (transform/entries.ts). */
function event(
  i: number,
  time = '2025-03-01T10:00:00Z',
  key = `SO-${i}`,
  profile: EventPayload['profile'] = { email: `buyer${i % 7}@example.com` },
): EventPayload {
  const fields = { uniqueId: key, metric: 'Placed Order', time, value: i, properties: { OrderId: key } };
  const json = eventEntry(fields);
  return { key, ...fields, profile, json, profileJson: profileEntry(profile), bytes: 0 };
}

describe('sendEvents', () => {
  it('confirms every good event and rejects only the one Klaviyo refuses, by halving', async () => {
    const events = Array.from({ length: 64 }, (_, i) => event(i));
    // A time before 1990 passes no builder, but stands here for any event Klaviyo refuses.
    events[37] = event(37, '1985-01-01T00:00:00Z');
    const outcomes = await sendEvents(client, events, true);

    expect(outcomes).toHaveLength(64);
    const rejected = outcomes.filter((o) => o.status === 'rejected');
    expect(rejected.map((o) => o.key)).toEqual(['SO-37']);
    expect(rejected[0]!.reason).toContain('after 1990');
    expect(outcomes.filter((o) => o.status === 'confirmed')).toHaveLength(63);
    expect(sandbox.inspect().events).toHaveLength(63);
    // 1 full batch, then two halves per level down to the single event: 1 + 2 × log2(64) = 13.
    const sent = sandbox.requests().filter((r) => r.operationId === 'bulk_create_events');
    expect(sent).toHaveLength(13);
  });
});

describe('sendEvents when the refusal is not about events', () => {
  it("fails the batch on a proxy's text/plain 400 in one request, rejecting none", async () => {
    sandbox.setFaults({ proxyBadRequest: 1, operations: ['bulk_create_events'] });
    const before = sandbox.requests().length;
    try {
      const outcomes = await sendEvents(
        client,
        Array.from({ length: 16 }, (_, i) => event(500 + i)),
        false,
      );
      expect(outcomes.map((o) => o.status)).toEqual(Array(16).fill('failed'));
      expect(outcomes[0]!.reason).toContain('not an error about these rows: they are sent again next run');
      expect(sandbox.requests().slice(before)).toHaveLength(1);
    } finally {
      sandbox.setFaults({});
    }
  });

  it('rejects only the event whose profile Klaviyo refuses with 409 duplicate_profile, by halving', async () => {
    // Two profiles, one known by email and one by phone; an event naming both is refused whole.
    const known = (key: string, profile: EventPayload['profile']) => event(900, undefined, key, profile);
    await sendEvents(client, [known('DUP-A', { email: 'dup@example.com' })], true);
    await sendEvents(client, [known('DUP-B', { phone_number: '+12125552368' })], true);
    const events = Array.from({ length: 8 }, (_, i) => event(100 + i));
    events[5] = known('DUP-C', { email: 'dup@example.com', phone_number: '+12125552368' });
    const outcomes = await sendEvents(client, events, true);

    expect(outcomes.filter((o) => o.status === 'rejected').map((o) => o.key)).toEqual(['DUP-C']);
    expect(outcomes.filter((o) => o.status === 'confirmed')).toHaveLength(7);
    expect(outcomes.filter((o) => o.status === 'failed')).toEqual([]);
  });
});
