/**
 * The Klaviyo shapes the runner builds from model rows, before they are wrapped in JSON:API
 * request bodies by `klaviyo/`; a profile and an event also carry the JSON text of their entries
 * in those bodies (entries.ts), serialised once. Building them is pure: a row either becomes a
 * payload or a `Rejection` that names the column and the reason.
 */
import type { JsonText } from '../json-text.ts';
import type { Rejection } from '../state/changes.ts';

export interface ProfileIdentity {
  email?: string;
  phone_number?: string;
  external_id?: string;
}

export interface ProfileLocation {
  address1?: string;
  address2?: string;
  city?: string;
  region?: string;
  zip?: string;
  country?: string;
  latitude?: number | string;
  longitude?: number | string;
  timezone?: string;
}

/** Attributes of a profile as Klaviyo's profile import accepts them. */
export interface ProfileAttributes extends ProfileIdentity {
  first_name?: string;
  last_name?: string;
  organization?: string;
  title?: string;
  locale?: string;
  image?: string;
  location?: ProfileLocation;
  properties?: Record<string, unknown>;
}

export interface ProfilePayload {
  key: string;
  attributes: ProfileAttributes;
  /** Custom property keys to clear (they were synced before and are now null or gone). */
  unsetProperties: string[];
  /**
   * Standard attributes to clear, as their names (`first_name`) or `location.` and a location
   * field's name (`location.city`): Klaviyo holds a value the model's row no longer has.
   */
  unsetAttributes: string[];
  /**
   * The profile's entry in an import job, `{"type":"profile","attributes":…}` (entries.ts): the
   * attributes serialised once, as the request carries them.
   */
  json: JsonText;
  /** UTF-8 bytes of `json` (Klaviyo: at most 100 KB per profile). */
  bytes: number;
}

export interface EventPayload {
  key: string;
  /** Deterministic, derived from the sync and the key; 1 to 255 characters. */
  uniqueId: string;
  metric: string;
  /** ISO 8601. */
  time: string;
  value?: number;
  valueCurrency?: string;
  properties: Record<string, unknown>;
  /** The identity, and the attributes and properties the sync's `profile` block sends along. */
  profile: ProfileAttributes;
  /** The event's entry in a bulk request, `{"type":"event","attributes":…}` (entries.ts). */
  json: JsonText;
  /**
   * The entry of `profile`, `{"type":"profile","attributes":…}` (entries.ts): the request carries
   * it as the profile object of the entry that groups the events with the same text.
   */
  profileJson: JsonText;
  /** The most the event adds to a bulk request body, in UTF-8 bytes (entries.ts, `eventRequestBytes`). */
  bytes: number;
}

export interface ListMemberPayload {
  key: string;
  profile: ProfileIdentity;
  /** Klaviyo profile id when the snapshot knows it. */
  profileId: string | null;
  /**
   * The profile the member was added as before its identifiers changed (RowChange.formerProfileId):
   * taken off the list once the profile of the new identifiers is on it, unless they are one profile.
   */
  formerProfileId?: string;
  /** Present when the sync subscribes and this row gave consent. */
  subscribe?: { channels: ('email' | 'sms')[]; consentedAt?: string };
  /** Present when the row withdrew consent it gave before: the channels, with the identifiers subscribed. */
  unsubscribe?: { channels: ('email' | 'sms')[]; email?: string; phone_number?: string };
}

/** A person to erase (docs/privacy-deletions.md): the identifiers the deletion row names, normalised. */
export interface DeletionPayload {
  key: string;
  profile: ProfileIdentity;
}

/**
 * A field left out of a row that is still sent (an invalid phone next to a valid email), with why:
 * reported per row like a rejection, but the row goes to Klaviyo.
 */
export interface DroppedField {
  column: string;
  reason: string;
}

export type BuildResult<P> =
  { ok: true; payload: P; dropped?: DroppedField[] } | { ok: false; rejection: Rejection };
