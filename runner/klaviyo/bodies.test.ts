/**
 * Request bodies joined from the texts payloads were built with (transform/entries.ts) are the very
 * JSON the object path gave: the bodies built as objects and serialised whole by the client, as the
 * runner did before, are kept here as the reference. Built over varied rows by the real builders;
 * each body is also checked against Klaviyo's OpenAPI description.
 */
import { describe, expect, it } from 'vitest';
import { change, spec } from '../../test/fixtures/specs.ts';
import { checkRequest } from '../../test/helpers/openapi-contract.ts';
import { LIMITS } from './limits.ts';
import { buildHeaders } from './client.ts';
import { bulkEventsBody } from './events.ts';
import { profileImportBody } from './profiles.ts';
import { buildEvent } from '../transform/event.ts';
import { buildProfile } from '../transform/profile.ts';
import { eventProfileObjectBytes } from '../transform/entries.ts';
import type { EventPayload, ProfileAttributes, ProfilePayload } from '../transform/payload.ts';

/** Bulk event create as an object, grouped by the profile's JSON: the path this module replaced. */
function eventsBodyAsObject(events: EventPayload[], backfill: boolean): unknown {
  const byProfile = new Map<string, EventPayload[]>();
  for (const e of events) {
    const id = JSON.stringify(e.profile);
    byProfile.set(id, [...(byProfile.get(id) ?? []), e]);
  }
  return {
    data: {
      type: 'event-bulk-create-job',
      attributes: {
        'events-bulk-create': {
          data: [...byProfile.values()].map((group) => ({
            type: 'event-bulk-create',
            attributes: {
              ...(backfill ? { backfill: true } : {}),
              profile: { data: { type: 'profile', attributes: group[0]!.profile } },
              events: {
                data: group.map((e) => ({
                  type: 'event',
                  attributes: {
                    properties: e.properties,
                    time: e.time,
                    ...(e.value !== undefined ? { value: e.value } : {}),
                    ...(e.valueCurrency !== undefined ? { value_currency: e.valueCurrency } : {}),
                    unique_id: e.uniqueId,
                    metric: { data: { type: 'metric', attributes: { name: e.metric } } },
                  },
                })),
              },
            },
          })),
        },
      },
    },
  };
}

function importBodyAsObject(profiles: ProfileAttributes[], listIds: string[]): unknown {
  return {
    data: {
      type: 'profile-bulk-import-job',
      attributes: { profiles: { data: profiles.map((attributes) => ({ type: 'profile', attributes })) } },
      ...(listIds.length > 0
        ? { relationships: { lists: { data: listIds.map((id) => ({ type: 'list', id })) } } }
        : {}),
    },
  };
}

/** Text that JSON must escape or encode in more than one byte. */
const AWKWARD = [
  'Zoë "Zo" O\'Brien',
  'back\\slash and / slash',
  'line\nbreak\ttab\u0001control',
  '\u2028line and paragraph\u2029 separators',
  'emoji 🛍️ and 中文 and עברית',
  'lone surrogate \ud800 here',
  '</script><!--',
];

const eventSync = (profile: boolean) =>
  spec({
    object: 'event',
    metric_column: 'metric',
    time: 'at',
    value: 'total',
    value_currency: 'currency',
    properties_json: 'props',
    properties: ['channel', 'score'],
    identity: { email: 'email', external_id: 'customer' },
    ...(profile
      ? { profile: { attributes: { first_name: 'first_name', city: 'city' }, properties: ['segment'] } }
      : {}),
  });

/** Row `i`: a few people, each with several events, values present or not, nested properties. */
function eventRow(i: number): Record<string, unknown> {
  const text = AWKWARD[i % AWKWARD.length]!;
  return {
    id: `E-${i}`,
    metric: i % 3 === 0 ? 'Placed Order' : 'Loyalty Points Earned',
    at: `2025-0${1 + (i % 9)}-1${i % 10}T10:00:0${i % 10}Z`,
    total: i % 4 === 0 ? null : i % 4 === 1 ? `${i}.50` : i * 3,
    currency: i % 5 === 0 ? null : 'usd',
    props: JSON.stringify({
      OrderId: `SO-${i}`,
      Note: text,
      Nested: { deep: { deeper: [1, { text, n: -0.5, ok: i % 2 === 0, none: null }] } },
      ...(i % 3 === 0
        ? { Items: [{ ProductName: text, SKU: `S-${i}`, Quantity: 1 + (i % 3), ItemPrice: '9.99' }] }
        : {}),
    }),
    channel: i % 2 === 0 ? 'web' : null,
    score: i * 1.25,
    email: `person${i % 4}@example.com`,
    customer: `C-${i % 4}`,
    first_name: AWKWARD[i % 4],
    // One person's ride-along values differ between events: their events go in separate entries.
    city: i % 8 === 1 ? 'Zürich' : 'Boston',
    segment: i % 4 === 0 ? 'champions' : null,
  };
}

function events(profile: boolean, count: number): EventPayload[] {
  const sync = eventSync(profile);
  return Array.from({ length: count }, (_, i) => {
    const built = buildEvent(sync, change(eventRow(i)), Date.parse('2026-01-01T00:00:00Z'));
    if (!built.ok) throw new Error(`row ${i}: ${built.rejection.reason}`);
    return built.payload;
  });
}

function profiles(count: number): ProfilePayload[] {
  const sync = spec({
    object: 'profile',
    attributes: { first_name: 'first_name', organization: 'org', city: 'city', latitude: 'lat' },
    properties: ['segment', 'ltv', 'tags', 'vip'],
  });
  return Array.from({ length: count }, (_, i) => {
    const text = AWKWARD[i % AWKWARD.length]!;
    const built = buildProfile(
      sync,
      change({
        id: `C-${i}`,
        email: `Person${i}@Example.com`,
        first_name: text,
        org: i % 2 === 0 ? `"${text}" Inc.` : null,
        city: i % 3 === 0 ? null : 'São Paulo',
        lat: i % 4 === 0 ? null : (i % 90) - 45.125,
        segment: i % 5 === 0 ? null : text,
        ltv: i * 10.5,
        tags: JSON.stringify([text, { nested: [i] }]),
        vip: i % 2 === 0,
      }),
    );
    if (!built.ok) throw new Error(`row ${i}: ${built.rejection.reason}`);
    return built.payload;
  });
}

const headers = buildHeaders('pk_contract', true);
const contract = (path: string, body: string) =>
  checkRequest({ method: 'POST', path, query: {}, headers, body: JSON.parse(body) as unknown });

describe("bulk event bodies joined from the events' texts", () => {
  for (const profile of [false, true])
    for (const backfill of [false, true])
      it(`are the object path's JSON (profile block ${profile ? 'on' : 'off'}, backfill ${backfill ? 'on' : 'off'})`, () => {
        const batch = events(profile, 40);
        const text = bulkEventsBody(batch, backfill);
        const reference = JSON.stringify(eventsBodyAsObject(batch, backfill));
        expect(JSON.parse(text)).toEqual(JSON.parse(reference));
        // Byte for byte, even: the same values serialised in the same order.
        expect(text).toBe(reference);
        expect(contract('/api/event-bulk-create-jobs', text)).toBe('bulk_create_events');
      });

  it('group the events of one profile in one entry, and keep differing ride-along values apart', () => {
    const sizes = (profile: boolean) => {
      const body = JSON.parse(bulkEventsBody(events(profile, 16), false)) as {
        data: {
          attributes: { 'events-bulk-create': { data: { attributes: { events: { data: unknown[] } } }[] } };
        };
      };
      return body.data.attributes['events-bulk-create'].data.map((e) => e.attributes.events.data.length);
    };
    // 4 people, 4 events each, in the order they first appear.
    expect(sizes(false)).toEqual([4, 4, 4, 4]);
    // Person 1 sends two cities along with their events: two entries of 2.
    expect(sizes(true)).toEqual([4, 2, 4, 4, 2]);
  });

  it("never weigh more than their events' sizes say, so a batch within LIMITS.bytesPerBatch is within 5 MB", () => {
    for (const profile of [false, true]) {
      const batch = events(profile, 200);
      for (const group of [batch, batch.slice(0, 1), batch.filter((_, i) => i % 4 === 0)]) {
        const sum = group.reduce((total, e) => total + e.bytes, 0);
        const body = Buffer.byteLength(bulkEventsBody(group, true));
        expect(body).toBeLessThanOrEqual(sum + ENVELOPE);
      }
      // One event alone: its size is its share of the body exactly, the envelope aside.
      expect(Buffer.byteLength(bulkEventsBody(batch.slice(0, 1), true))).toBe(batch[0]!.bytes - 1 + ENVELOPE);
    }
    expect(LIMITS.bytesPerRequest - LIMITS.bytesPerBatch).toBeGreaterThan(ENVELOPE);
  });

  it("measure the event's profile object as before, against the 95 KB limit", () => {
    for (const e of events(true, 12))
      expect(eventProfileObjectBytes(Buffer.byteLength(e.profileJson))).toBe(
        Buffer.byteLength(JSON.stringify({ data: { type: 'profile', attributes: e.profile } })),
      );
  });
});
/** Bulk event create's envelope around its entries: `{"data":{"type":…,"attributes":{"events-bulk-create":{"data":[]}}}}`. */
const ENVELOPE = Buffer.byteLength(bulkEventsBody([], false));

describe("profile import bodies joined from the profiles' entries", () => {
  for (const listIds of [[], ['LIST1', 'LIST2']])
    it(`are the object path's JSON (${listIds.length} lists)`, () => {
      const batch = profiles(60);
      const text = profileImportBody(
        batch.map((p) => p.json),
        listIds,
      );
      const reference = JSON.stringify(
        importBodyAsObject(
          batch.map((p) => p.attributes),
          listIds,
        ),
      );
      expect(JSON.parse(text)).toEqual(JSON.parse(reference));
      expect(text).toBe(reference);
      expect(contract('/api/profile-bulk-import-jobs', text)).toBe('bulk_import_profiles');
    });

  it('measure each profile as before: the UTF-8 bytes of its entry', () => {
    for (const p of profiles(20))
      expect(p.bytes).toBe(Buffer.byteLength(JSON.stringify({ type: 'profile', attributes: p.attributes })));
  });
});
