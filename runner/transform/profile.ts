/**
 * Model row → Klaviyo profile attributes for the bulk profile import
 * (https://developers.klaviyo.com/en/reference/bulk_import_profiles). Identity is normalised
 * (email trimmed and lower-cased, phone to E.164); custom properties are the allowlisted columns.
 * Bulk import cannot clear a field (null is ignored, API-NOTES §5.1), so a property that was
 * synced before and is now null is listed in `unsetProperties` for the executor to clear.
 */
import { PROFILE_LOCATION_ATTRIBUTES, PROFILE_STANDARD_ATTRIBUTES, type SyncSpec } from '../manifest/spec.ts';
import type { RowChange } from '../state/changes.ts';
import type { Row } from '../source/warehouse.ts';
import type { BuildResult, ProfileAttributes, ProfileLocation, ProfilePayload } from './payload.ts';
import { toNumber, toIsoTime, toText } from './coerce.ts';
import { buildIdentity, reject } from './identity.ts';
import { propertyKeyProblem } from './property-keys.ts';

/** Klaviyo: a whole profile payload is at most 100 KB (API-NOTES §7). */
export const MAX_PROFILE_BYTES = 100 * 1024;

const SQL_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}/;

/** A property value as Klaviyo stores it well: timestamps as ISO 8601, everything else as is. */
export function propertyValue(value: unknown): unknown {
  if (typeof value === 'string' && SQL_TIMESTAMP.test(value)) {
    const iso = toIsoTime(value);
    if (iso?.ok === true) return iso.value;
  }
  return value;
}

export function buildProfile(spec: SyncSpec, change: RowChange): BuildResult<ProfilePayload> {
  const row: Row = change.row ?? {};
  const config = spec.config;
  const identity = buildIdentity(spec, change.key, row);
  if (!identity.ok) return identity;
  const attributes: ProfileAttributes = { ...identity.payload };

  for (const key of PROFILE_STANDARD_ATTRIBUTES) {
    const column = config.attributes?.[key];
    const value = column === undefined ? undefined : toText(row[column]);
    if (value !== undefined) attributes[key] = value;
  }
  const location: ProfileLocation = {};
  for (const key of PROFILE_LOCATION_ATTRIBUTES) {
    const column = config.attributes?.[key];
    if (column === undefined || row[column] === null || row[column] === undefined) continue;
    if (key === 'latitude' || key === 'longitude') {
      const n = toNumber(row[column]);
      if (n === null) continue;
      if (!n.ok) return reject(spec, change.key, column, `${key}: ${n.reason}`);
      location[key] = n.value;
    } else {
      const text = toText(row[column]);
      if (text !== undefined) location[key] = text;
    }
  }
  if (Object.keys(location).length > 0) attributes.location = location;

  const properties: Record<string, unknown> = {};
  const unsetProperties: string[] = [];
  for (const column of config.properties ?? []) {
    const problem = propertyKeyProblem(column);
    if (problem !== null) return reject(spec, change.key, column, `property key "${column}" ${problem}`);
    const value = row[column];
    if (value === null || value === undefined) {
      const before = change.previous?.[column];
      if (before !== null && before !== undefined) unsetProperties.push(column);
      continue;
    }
    properties[column] = propertyValue(value);
  }
  // A column dropped from the allowlist was synced before (it is in the snapshot's values) and is
  // not read any more: clear it in Klaviyo too, so the profile matches what the exposure declares.
  const current = new Set(Object.keys(row));
  for (const key of Object.keys(change.previous ?? {})) {
    if (!current.has(key) && propertyKeyProblem(key) === null && !unsetProperties.includes(key))
      unsetProperties.push(key);
  }
  if (Object.keys(properties).length > 0) attributes.properties = properties;

  const bytes = Buffer.byteLength(JSON.stringify({ type: 'profile', attributes }));
  if (bytes > MAX_PROFILE_BYTES) {
    return reject(
      spec,
      change.key,
      undefined,
      `profile is ${Math.ceil(bytes / 1024)} KB; Klaviyo accepts at most 100 KB`,
    );
  }
  return { ok: true, payload: { key: change.key, attributes, unsetProperties, bytes } };
}
