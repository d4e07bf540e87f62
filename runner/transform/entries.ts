/**
 * The JSON text each payload takes in its request body, made once when the payload is built: its
 * size checks need it anyway, and klaviyo/ then writes request bodies by joining these texts
 * instead of serialising every row again (klaviyo/profiles.ts, klaviyo/events.ts).
 *
 * - A profile's entry in a bulk import job's `profiles.data`:
 *   `{"type":"profile","attributes":{…}}` (https://developers.klaviyo.com/en/reference/bulk_import_profiles).
 * - An event's entry in the `events.data` of a bulk event create entry,
 *   `{"type":"event","attributes":{…}}`, and its profile's entry as above, which the entry grouping
 *   one profile's events carries as `"profile":{"data":<entry>}`
 *   (https://developers.klaviyo.com/en/reference/bulk_create_events).
 */
import { HOLE, jsonPieces, toJsonText, utf8Bytes, type JsonPiece, type JsonText } from '../json-text.ts';
import type { EventPayload, ProfileAttributes } from './payload.ts';

export function profileEntry(attributes: ProfileAttributes): JsonText {
  return toJsonText({ type: 'profile', attributes });
}

/** What of an event goes in its own entry; the profile goes in the entry around it. */
export type EventFields = Pick<
  EventPayload,
  'uniqueId' | 'metric' | 'time' | 'value' | 'valueCurrency' | 'properties'
>;

export function eventEntry(e: EventFields): JsonText {
  // Keys assigned in the entry's order rather than spread from conditional objects, which cost
  // more than the rest of the entry's object (one per event).
  const attributes: Record<string, unknown> = { properties: e.properties, time: e.time };
  if (e.value !== undefined) attributes.value = e.value;
  if (e.valueCurrency !== undefined) attributes.value_currency = e.valueCurrency;
  attributes.unique_id = e.uniqueId;
  attributes.metric = { data: { type: 'metric', attributes: { name: e.metric } } };
  return toJsonText({ type: 'event', attributes });
}

/** The profile object of an event, `{"data":<the profile's entry>}`, in UTF-8 bytes from its entry's. */
export function eventProfileObjectBytes(entryBytes: number): number {
  return entryBytes + PROFILE_OBJECT_BYTES;
}
const PROFILE_OBJECT_BYTES = piecesBytes(jsonPieces({ data: HOLE }, 1));

/**
 * The entry of bulk event create that groups one profile's events, cut around its parts:
 * `[open, between, close]` go around the profile's entry, then the events' entries.
 * klaviyo/events.ts writes request bodies with it and an event's size counts it (below), so the
 * two cannot differ.
 */
export function eventGroupPieces(backfill: boolean): readonly [JsonPiece, JsonPiece, JsonPiece] {
  return backfill ? GROUP_BACKFILL : GROUP;
}
const groupPieces = (backfill: boolean) =>
  jsonPieces(
    {
      type: 'event-bulk-create',
      attributes: {
        ...(backfill ? { backfill: true } : {}),
        profile: { data: HOLE },
        events: { data: [HOLE] },
      },
    },
    2,
  );
const GROUP = groupPieces(false);
const GROUP_BACKFILL = groupPieces(true);

/**
 * The most one event adds to a bulk request body: its entry, and its profile and the group entry
 * around them as if no other event shared its profile, with backfill set, and the comma that
 * separates it from the next. Events that share a profile add less, so the sum of a batch's sizes
 * bounds its body but for the request's envelope, which LIMITS.bytesPerBatch leaves room for.
 */
export function eventRequestBytes(entry: JsonText, profileEntryBytes: number): number {
  return utf8Bytes(entry) + profileEntryBytes + GROUP_BYTES;
}
const GROUP_BYTES = piecesBytes(GROUP_BACKFILL) + 1;

function piecesBytes(pieces: readonly JsonPiece[]): number {
  return pieces.reduce((sum, piece) => sum + utf8Bytes(piece), 0);
}
