/**
 * Bulk event create (docs/klaviyo-api.md#events): at most 1,000 events and 5 MB per request, grouped by
 * profile; a unique_id repeated for the same profile and metric inside one request fails the
 * whole request, so callers dedupe first. A 202 carries no body and no job to poll.
 */
import { COMMA, HOLE, joinJson, jsonPieces, pushItems, type JsonPiece, type JsonText } from '../json-text.ts';
import { eventGroupPieces } from '../transform/entries.ts';
import type { EventPayload } from '../transform/payload.ts';
import { nullableObject, nullableString, object, readPages, shape, string } from './answers.ts';
import type { KlaviyoClient } from './client.ts';

/** An event as get_events answers it: the fields the runner reads, nullable as Klaviyo documents them. */
export interface EventResource {
  id: string;
  attributes: { datetime?: string | null; event_properties?: Record<string, unknown> | null };
  relationships?: { metric?: { data?: { id: string } }; profile?: { data?: { id: string } } };
}
const related = object({ data: object({ id: string }, ['id']) });
const EVENT = shape<EventResource>(
  'klaviyo_event',
  object(
    {
      id: string,
      attributes: object({ datetime: nullableString, event_properties: nullableObject() }),
      relationships: object({ metric: related, profile: related }),
    },
    ['id', 'attributes'],
  ),
);

/** Every event from `from` on (all when null), oldest first, page by page. */
export function eventsSince(client: KlaviyoClient, from: string | null): AsyncIterable<EventResource[]> {
  const filter = from === null ? '' : `&filter=${encodeURIComponent(`greater-or-equal(datetime,${from})`)}`;
  return readPages(client, EVENT, 'get_events', `/api/events?sort=datetime&page[size]=1000${filter}`);
}

/**
 * The body of one bulk event create request, joined from the texts the events were built with
 * (transform/entries.ts): nothing of an event is serialised again here. One entry per profile
 * object: events whose profiles carry different attributes (a sync's `profile` block) go in
 * entries of their own, so each keeps what it sends along.
 */
export function bulkEventsBody(events: readonly EventPayload[], backfill: boolean): JsonText {
  const byProfile = new Map<JsonText, JsonText[]>();
  for (const e of events) {
    const group = byProfile.get(e.profileJson);
    if (group === undefined) byProfile.set(e.profileJson, [e.json]);
    else group.push(e.json);
  }
  const [open, between, close] = eventGroupPieces(backfill);
  const parts: (JsonText | JsonPiece)[] = [BODY_OPEN];
  for (const [profile, entries] of byProfile) {
    if (parts.length > 1) parts.push(COMMA);
    parts.push(open, profile, between);
    pushItems(parts, entries);
    parts.push(close);
  }
  parts.push(BODY_CLOSE);
  return joinJson(parts);
}
const [BODY_OPEN, BODY_CLOSE] = jsonPieces(
  { data: { type: 'event-bulk-create-job', attributes: { 'events-bulk-create': { data: [HOLE] } } } },
  1,
);

export async function bulkCreateEvents(
  client: KlaviyoClient,
  events: readonly EventPayload[],
  backfill: boolean,
): Promise<void> {
  await client.call(
    'bulk_create_events',
    'POST',
    '/api/event-bulk-create-jobs',
    bulkEventsBody(events, backfill),
  );
}
