/** The identity part every payload shares, and the shape of a rejection. */
import type { SyncSpec } from '../manifest/spec.ts';
import type { Row } from '../source/warehouse.ts';
import { normalizeEmail } from '../identity/email.ts';
import { normalizePhone } from '../identity/phone.ts';
import { toText } from './coerce.ts';
import type { ProfileIdentity } from './payload.ts';

export function reject(
  spec: SyncSpec,
  key: string,
  column: string | undefined,
  reason: string,
): { ok: false; rejection: import('./payload.ts').Rejection } {
  return {
    ok: false,
    rejection: {
      sync: spec.name,
      model: spec.model.name,
      key,
      ...(column !== undefined ? { column } : {}),
      reason,
    },
  };
}

/**
 * Identifiers of the row. An identifier that is present but invalid rejects the row rather than
 * being dropped: sending the others alone could attach the data to a different person
 * (Klaviyo: "send only known-good identifiers", API-NOTES §8).
 */
export function buildIdentity(
  spec: SyncSpec,
  key: string,
  row: Row,
): { ok: true; payload: ProfileIdentity } | ReturnType<typeof reject> {
  const ids = spec.config.identity;
  const identity: ProfileIdentity = {};
  if (ids.email !== undefined) {
    const email = normalizeEmail(row[ids.email]);
    if (email !== null && !email.ok) return reject(spec, key, ids.email, email.reason);
    if (email !== null) identity.email = email.value;
  }
  if (ids.phone_number !== undefined) {
    const countryColumn = spec.config.attributes?.country;
    const country = countryColumn !== undefined ? toText(row[countryColumn]) : undefined;
    const region =
      country !== undefined && /^[A-Za-z]{2}$/.test(country) ? country : (spec.config.phone_region ?? 'US');
    const phone = normalizePhone(row[ids.phone_number], region);
    if (phone !== null && !phone.ok) return reject(spec, key, ids.phone_number, phone.reason);
    if (phone !== null) identity.phone_number = phone.value;
  }
  if (ids.external_id !== undefined) {
    const external = toText(row[ids.external_id]);
    if (external !== undefined && external.length > 255)
      return reject(spec, key, ids.external_id, 'external_id is longer than 255 characters');
    if (external !== undefined) identity.external_id = external;
  }
  if (Object.keys(identity).length === 0) {
    return reject(spec, key, undefined, `no identifier: ${Object.values(ids).join(', ')} are all empty`);
  }
  return { ok: true, payload: identity };
}
