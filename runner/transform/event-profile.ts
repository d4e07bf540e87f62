/**
 * The profile object an event carries. Without the sync's `profile` block it is the identity alone;
 * with it, the profile attributes and custom properties the block names ride along, and Klaviyo
 * applies them to the profile when it takes the event (the profile object of bulk event create
 * takes first_name … location and properties: https://developers.klaviyo.com/en/reference/bulk_create_events,
 * docs/events.md#profile-properties-with-an-event).
 *
 * The block is read exactly as a profile sync reads `attributes` and `properties` (profile.ts), so
 * one rule holds for each kind of value. Nothing is ever unset through an event. The profile object
 * inside an event is at most 95 KB (docs/klaviyo-api.md#events).
 */
import type { SyncSpec } from '../manifest/spec.ts';
import type { RowChange } from '../state/changes.ts';
import type { Row } from '../source/warehouse.ts';
import type { BuildResult, DroppedField, ProfileAttributes } from './payload.ts';
import { eventProfileObjectBytes, profileEntry } from './entries.ts';
import { buildIdentity } from './identity.ts';
import { buildProfile } from './profile.ts';
import { reject } from './rejection.ts';
import { utf8Bytes, type JsonText } from '../json-text.ts';
import { LIMITS } from '../klaviyo/limits.ts';

/** The profile an event carries: its attributes, their entry's text (entries.ts) and its bytes. */
export interface EventProfile {
  attributes: ProfileAttributes;
  json: JsonText;
  bytes: number;
}

/** The event sync seen as the profile sync its `profile` block describes, made once per spec. */
const asProfileSync = new WeakMap<SyncSpec, SyncSpec>();

function profileSpec(spec: SyncSpec): SyncSpec {
  let derived = asProfileSync.get(spec);
  if (derived === undefined) {
    const block = spec.config.profile ?? {};
    derived = {
      ...spec,
      config: {
        object: 'profile',
        key: spec.config.key,
        identity: spec.config.identity,
        ...(spec.config.phone_region !== undefined ? { phone_region: spec.config.phone_region } : {}),
        ...(spec.config.on_invalid_phone !== undefined
          ? { on_invalid_phone: spec.config.on_invalid_phone }
          : {}),
        ...(block.attributes !== undefined ? { attributes: block.attributes } : {}),
        ...(block.properties !== undefined ? { properties: block.properties } : {}),
      },
    };
    asProfileSync.set(spec, derived);
  }
  return derived;
}

export function buildEventProfile(spec: SyncSpec, key: string, row: Row): BuildResult<EventProfile> {
  if (spec.config.profile === undefined) {
    const identity = buildIdentity(spec, key, row);
    if (!identity.ok) return identity;
    const json = profileEntry(identity.payload);
    return built({ attributes: identity.payload, json, bytes: utf8Bytes(json) }, identity.dropped);
  }
  // previous: null, so the profile builder lists nothing to unset.
  const change: RowChange = { kind: 'create', key, hash: '', row, previous: null, profileId: null };
  const profile = buildProfile(profileSpec(spec), change);
  if (!profile.ok) return profile;
  // The profile builder serialised the attributes already: the event carries that text as it is.
  const { attributes, json, bytes } = profile.payload;
  const inEvent = eventProfileObjectBytes(bytes);
  if (inEvent > LIMITS.bytesPerEventProfile)
    return reject(
      spec,
      key,
      undefined,
      `the event's profile is ${Math.ceil(inEvent / 1024)} KB as JSON; Klaviyo accepts at most 95 KB inside an event, so send fewer profile properties with it`,
    );
  return built({ attributes, json, bytes }, profile.dropped);
}

function built(payload: EventProfile, dropped: DroppedField[] | undefined): BuildResult<EventProfile> {
  return dropped === undefined ? { ok: true, payload } : { ok: true, payload, dropped };
}
