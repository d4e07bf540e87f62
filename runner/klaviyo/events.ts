/**
 * Bulk event create (docs/klaviyo-api.md#events): at most 1,000 events and 5 MB per request, grouped by
 * profile; a unique_id repeated for the same profile and metric inside one request fails the
 * whole request, so callers dedupe first. A 202 carries no body and no job to poll.
 */
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

export function bulkEventsBody(events: EventPayload[], backfill: boolean): unknown {
  // One entry per profile object: events whose profiles carry different attributes (a sync's
  // `profile` block) go in entries of their own, so each keeps what it sends along.
  const byProfile = new Map<string, EventPayload[]>();
  for (const e of events) {
    const id = JSON.stringify(e.profile);
    const group = byProfile.get(id);
    if (group === undefined) byProfile.set(id, [e]);
    else group.push(e);
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

export async function bulkCreateEvents(
  client: KlaviyoClient,
  events: EventPayload[],
  backfill: boolean,
): Promise<void> {
  await client.call(
    'bulk_create_events',
    'POST',
    '/api/event-bulk-create-jobs',
    bulkEventsBody(events, backfill),
  );
}
