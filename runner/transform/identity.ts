/**
 * The profile identity every payload carries: email, phone_number and external_id, each normalised
 * by `identity/`. At least one valid identifier must remain.
 *
 * An identifier that is present but invalid rejects the whole row, naming its column, even when
 * another identifier is valid: Klaviyo refuses a profile whose email field is invalid, and sending
 * the remaining identifiers alone could attach the row to a different person or create a duplicate
 * profile (Klaviyo: "send only known-good identifiers", docs/klaviyo-api.md#events). Fixing the one value in the
 * model is the right remedy, and the rejection says which.
 */
import type { SyncSpec } from '../manifest/spec.ts';
import type { Row } from '../source/warehouse.ts';
import { normalizeEmail } from '../identity/email.ts';
import { normalizeExternalId } from '../identity/external-id.ts';
import { normalizePhone, phoneRegion } from '../identity/phone.ts';
import type { ProfileIdentity } from './payload.ts';
import { reject, type Rejected } from './rejection.ts';

/** What a sync's identity reads, worked out once per spec rather than once per row. */
interface IdentityPlan {
  email?: string;
  phone?: string;
  externalId?: string;
  country?: string;
  region: string;
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
): { ok: true; payload: ProfileIdentity } | Rejected {
  const p = plan(spec);
  const identity: ProfileIdentity = {};
  if (p.email !== undefined) {
    const email = normalizeEmail(row[p.email]);
    if (email !== null) {
      if (!email.ok) return reject(spec, key, p.email, email.reason);
      identity.email = email.value;
    }
  }
  if (p.phone !== undefined) {
    const region = p.country === undefined ? p.region : phoneRegion(row[p.country], p.region);
    const phone = normalizePhone(row[p.phone], region);
    if (phone !== null) {
      if (!phone.ok) return reject(spec, key, p.phone, phone.reason);
      identity.phone_number = phone.value;
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
  return { ok: true, payload: identity };
}
