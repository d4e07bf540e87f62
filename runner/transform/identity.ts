/**
 * The profile identity every payload carries: email, phone_number and external_id, each normalised
 * by `identity/`. At least one valid identifier must remain.
 *
 * An invalid email or external_id rejects the whole row, naming its column: the email is the key
 * Klaviyo merges profiles by (https://developers.klaviyo.com/en/reference/profiles_api_overview),
 * so sending the other identifiers alone could attach the row to a different person.
 *
 * An invalid phone next to a valid email costs only the phone: the field is dropped, the profile
 * is sent by its email, and the drop is reported for the row (`dropped`), unless the sync sets
 * `on_invalid_phone: reject_row`. Without a valid email the row is rejected, as before.
 */
import type { SyncSpec } from '../manifest/spec.ts';
import type { Row } from '../source/warehouse.ts';
import { normalizeEmail } from '../identity/email.ts';
import { normalizeExternalId } from '../identity/external-id.ts';
import { normalizePhone } from '../identity/phone.ts';
import type { DroppedField, ProfileIdentity } from './payload.ts';
import { reject, type Rejected } from './rejection.ts';

/** What a sync's identity reads, worked out once per spec rather than once per row. */
interface IdentityPlan {
  email?: string;
  phone?: string;
  externalId?: string;
  country?: string;
  region: string;
  rejectOnInvalidPhone: boolean;
  missing: string;
}

const plans = new WeakMap<SyncSpec, IdentityPlan>();

function plan(spec: SyncSpec): IdentityPlan {
  let p = plans.get(spec);
  if (p === undefined) {
    const ids = spec.config.identity;
    const columns = [ids.email, ids.phone_number, ids.external_id].filter(
      (c): c is string => c !== undefined,
    );
    p = {
      ...(ids.email !== undefined ? { email: ids.email } : {}),
      ...(ids.phone_number !== undefined ? { phone: ids.phone_number } : {}),
      ...(ids.external_id !== undefined ? { externalId: ids.external_id } : {}),
      ...(spec.config.attributes?.country !== undefined ? { country: spec.config.attributes.country } : {}),
      // The schema's default (schema/klaviyo-sync.schema.json, phone_region).
      region: spec.config.phone_region ?? 'US',
      rejectOnInvalidPhone: spec.config.on_invalid_phone === 'reject_row',
      missing:
        columns.length === 1
          ? `no identifier: ${columns[0]} is empty; Klaviyo needs an email, phone number or external_id`
          : `no identifier: ${columns.join(', ')} are all empty; Klaviyo needs at least one`,
    };
    plans.set(spec, p);
  }
  return p;
}

export function buildIdentity(
  spec: SyncSpec,
  key: string,
  row: Row,
): { ok: true; payload: ProfileIdentity; dropped?: DroppedField[] } | Rejected {
  const p = plan(spec);
  const identity: ProfileIdentity = {};
  let dropped: DroppedField[] | undefined;
  if (p.email !== undefined) {
    const email = normalizeEmail(row[p.email]);
    if (email !== null) {
      if (!email.ok) return reject(spec, key, p.email, email.reason);
      identity.email = email.value;
    }
  }
  if (p.phone !== undefined) {
    const country = p.country === undefined ? undefined : row[p.country];
    const phone = normalizePhone(row[p.phone], country, p.region);
    if (phone !== null) {
      if (phone.ok) identity.phone_number = phone.value;
      else if (p.rejectOnInvalidPhone || identity.email === undefined)
        return reject(spec, key, p.phone, phone.reason);
      else dropped = [{ column: p.phone, reason: `phone_number dropped: ${phone.reason}` }];
    }
  }
  if (p.externalId !== undefined) {
    const external = normalizeExternalId(row[p.externalId]);
    if (external !== null) {
      if (!external.ok) return reject(spec, key, p.externalId, `external_id ${external.reason}`);
      identity.external_id = external.value;
    }
  }
  if (
    identity.email === undefined &&
    identity.phone_number === undefined &&
    identity.external_id === undefined
  )
    return reject(spec, key, undefined, p.missing);
  return dropped === undefined ? { ok: true, payload: identity } : { ok: true, payload: identity, dropped };
}
