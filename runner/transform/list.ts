/**
 * Model row → a list member: the profile's identity (and its Klaviyo id when known), plus marketing
 * consent when the sync subscribes. Consent is read with `toBoolean`: a consent column that says
 * anything other than a clear yes never subscribes anyone, and a value that is neither yes nor no
 * ("maybe") adds the member without subscribing
 * (https://developers.klaviyo.com/en/reference/bulk_subscribe_profiles).
 */
import type { SyncSpec } from '../manifest/spec.ts';
import type { RowChange } from '../state/changes.ts';
import type { BuildResult, ListMemberPayload } from './payload.ts';
import { toBoolean } from './boolean.ts';
import { toIsoTime } from './timestamp.ts';
import { buildIdentity } from './identity.ts';
import { reject } from './rejection.ts';

export function buildListMember(
  spec: SyncSpec,
  change: RowChange,
  now = Date.now(),
): BuildResult<ListMemberPayload> {
  const row = change.row ?? change.previous ?? {};
  const identity = buildIdentity(spec, change.key, row);
  if (!identity.ok) return identity;
  const dropped = identity.dropped;
  const done = (payload: ListMemberPayload): BuildResult<ListMemberPayload> =>
    dropped === undefined ? { ok: true, payload } : { ok: true, payload, dropped };
  const payload: ListMemberPayload = {
    key: change.key,
    profile: identity.payload,
    profileId: change.profileId,
  };
  const subscribe = spec.config.subscribe;
  if (subscribe === undefined || change.kind === 'remove') return done(payload);
  const consent = toBoolean(row[subscribe.consent]);
  if (consent === null || !consent.ok || !consent.value) return done(payload);
  if (subscribe.channels.includes('sms') && identity.payload.phone_number === undefined)
    return reject(
      spec,
      change.key,
      spec.config.identity.phone_number,
      'SMS consent needs a valid phone_number',
    );
  payload.subscribe = { channels: subscribe.channels };
  if (subscribe.consented_at !== undefined) {
    const at = toIsoTime(row[subscribe.consented_at]);
    if (at !== null && !at.ok) return reject(spec, change.key, subscribe.consented_at, at.reason);
    // Klaviyo takes a consent time only for consent given in the past (bulk_subscribe_profiles).
    if (at !== null && Date.parse(at.value) > now)
      return reject(
        spec,
        change.key,
        subscribe.consented_at,
        `consent time ${at.value} is in the future; Klaviyo takes only consent already given`,
      );
    if (at !== null) payload.subscribe.consentedAt = at.value;
  }
  return done(payload);
}
