/** Model row → a list member: the profile's identity (and its Klaviyo id when known), plus consent. */
import type { SyncSpec } from '../manifest/spec.ts';
import type { RowChange } from '../state/changes.ts';
import type { BuildResult, ListMemberPayload } from './payload.ts';
import { toIsoTime } from './coerce.ts';
import { buildIdentity, reject } from './identity.ts';

function truthy(value: unknown): boolean {
  return (
    value === true || value === 1 || (typeof value === 'string' && /^(true|t|yes|y|1)$/i.test(value.trim()))
  );
}

export function buildListMember(spec: SyncSpec, change: RowChange): BuildResult<ListMemberPayload> {
  const row = change.row ?? change.previous ?? {};
  const identity = buildIdentity(spec, change.key, row);
  if (!identity.ok) return identity;
  const payload: ListMemberPayload = {
    key: change.key,
    profile: identity.payload,
    profileId: change.profileId,
  };
  const subscribe = spec.config.subscribe;
  if (subscribe !== undefined && change.kind !== 'remove' && truthy(row[subscribe.consent])) {
    payload.subscribe = { channels: subscribe.channels };
    if (subscribe.consented_at !== undefined) {
      const at = toIsoTime(row[subscribe.consented_at]);
      if (at !== null && !at.ok) return reject(spec, change.key, subscribe.consented_at, at.reason);
      if (at !== null) payload.subscribe.consentedAt = at.value;
    }
    if (subscribe.channels.includes('sms') && identity.payload.phone_number === undefined) {
      return reject(
        spec,
        change.key,
        spec.config.identity.phone_number,
        'SMS consent needs a valid phone_number',
      );
    }
  }
  return { ok: true, payload };
}
