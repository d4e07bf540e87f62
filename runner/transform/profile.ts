/**
 * Model row → Klaviyo profile attributes for the bulk profile import
 * (https://developers.klaviyo.com/en/reference/bulk_import_profiles, docs/klaviyo-api.md#bulk-profile-import, docs/klaviyo-api.md#profile-attributes).
 *
 * - Identity: email trimmed and lower-cased, phone in E.164, external_id as text (identity.ts).
 * - Standard attributes (first_name … image) are trimmed text; location attributes go inside
 *   `location`, latitude and longitude as numbers within ±90 / ±180.
 * - Custom properties are exactly the allowlisted columns (`properties`), keyed by column name,
 *   values as properties.ts keeps them. A bad key rejects every row, naming the column.
 * - Null handling: bulk import ignores null, so it can never clear a value (docs/klaviyo-api.md#bulk-profile-import). A custom property that Klaviyo last confirmed with a value (`change.previous`) and
 *   that is now null, empty or blank (properties.ts, `missingProperty`) is listed in `unsetProperties`, and the executor clears it with a profile
 *   PATCH `meta.patch_properties.unset`; a standard or location attribute likewise in
 *   `unsetAttributes`, cleared by the same PATCH with the attribute null. A column that was synced before and is no longer read by
 *   the sync (it left the allowlist) is cleared the same way only with `on_remove:
 *   unset_properties`, the exposure's one switch for clearing what it stops sending; otherwise
 *   Klaviyo keeps its last value.
 * - The profile is at most 100 KB as JSON (size.ts).
 */
import { PROFILE_LOCATION_ATTRIBUTES, PROFILE_STANDARD_ATTRIBUTES, type SyncSpec } from '../manifest/spec.ts';
import type { RowChange } from '../state/changes.ts';
import { warehouseText } from '../state/row-json.ts';
import type { Row } from '../source/warehouse.ts';
import type { BuildResult, ProfileAttributes, ProfileLocation, ProfilePayload } from './payload.ts';
import { toText } from './coerce.ts';
import { toNumber } from './number.ts';
import { buildIdentity } from './identity.ts';
import { propertyKeyProblem } from './property-keys.ts';
import { missingProperty, propertyValue } from './properties.ts';
import { reject } from './rejection.ts';
import { profileSizeProblem } from './size.ts';
import { profileEntry } from './entries.ts';
import { utf8Bytes } from '../json-text.ts';

type TextAttribute = (typeof PROFILE_STANDARD_ATTRIBUTES)[number];
type LocationAttribute = (typeof PROFILE_LOCATION_ATTRIBUTES)[number];

const COORDINATE_RANGE: Partial<Record<LocationAttribute, number>> = { latitude: 90, longitude: 180 };

/** The columns a profile sync reads, and any problem with its property keys, worked out once per spec. */
interface ProfilePlan {
  standard: [TextAttribute, string][];
  location: [LocationAttribute, string][];
  properties: string[];
  /** Columns of this sync: a previously synced key outside it has left the sync. */
  read: Set<string>;
  /** Property columns the model stores as dates (SyncSpec.dateColumns). */
  dated: Set<string>;
  badKey?: { column: string; reason: string };
}

const plans = new WeakMap<SyncSpec, ProfilePlan>();

function plan(spec: SyncSpec): ProfilePlan {
  let p = plans.get(spec);
  if (p !== undefined) return p;
  const attributes = spec.config.attributes ?? {};
  const properties = spec.config.properties ?? [];
  const standard: [TextAttribute, string][] = [];
  for (const name of PROFILE_STANDARD_ATTRIBUTES) {
    const column = attributes[name];
    if (column !== undefined) standard.push([name, column]);
  }
  const location: [LocationAttribute, string][] = [];
  for (const name of PROFILE_LOCATION_ATTRIBUTES) {
    const column = attributes[name];
    if (column !== undefined) location.push([name, column]);
  }
  const read = new Set<string>([
    spec.config.key,
    ...Object.values(spec.config.identity),
    ...Object.values(attributes),
    ...properties,
  ]);
  p = { standard, location, properties, read, dated: new Set(spec.dateColumns) };
  for (const column of properties) {
    const problem = propertyKeyProblem(column);
    if (problem !== null) {
      p.badKey = { column, reason: problem };
      break;
    }
  }
  plans.set(spec, p);
  return p;
}

export function buildProfile(spec: SyncSpec, change: RowChange): BuildResult<ProfilePayload> {
  const p = plan(spec);
  const key = change.key;
  if (p.badKey !== undefined) return reject(spec, key, p.badKey.column, p.badKey.reason);
  const row: Row = change.row ?? {};
  const identity = buildIdentity(spec, key, row);
  if (!identity.ok) return identity;
  const attributes: ProfileAttributes = identity.payload;
  const previous = change.previous;
  // What Klaviyo was last confirmed to hold and the row no longer has: cleared after the import.
  const unsetAttributes: string[] = [];
  const held = (column: string) => previous !== null && toText(previous[column]) !== undefined;

  for (const [name, column] of p.standard) {
    const value = toText(row[column]);
    if (value !== undefined) attributes[name] = value;
    else if (held(column)) unsetAttributes.push(name);
  }

  if (p.location.length > 0) {
    const location: ProfileLocation = {};
    let any = false;
    for (const [name, column] of p.location) {
      const range = COORDINATE_RANGE[name];
      if (range !== undefined) {
        const n = toNumber(row[column]);
        if (n === null) {
          if (held(column)) unsetAttributes.push(`location.${name}`);
          continue;
        }
        if (!n.ok) return reject(spec, key, column, `${name}: ${n.reason}`);
        if (Math.abs(n.value) > range)
          return reject(spec, key, column, `${name} ${n.value} is outside -${range} to ${range}`);
        location[name as 'latitude' | 'longitude'] = n.value;
        any = true;
      } else {
        const text = toText(row[column]);
        if (text === undefined) {
          if (held(column)) unsetAttributes.push(`location.${name}`);
          continue;
        }
        location[name as Exclude<LocationAttribute, 'latitude' | 'longitude'>] = text;
        any = true;
      }
    }
    if (any) attributes.location = location;
  }

  const unsetProperties: string[] = [];
  let properties: Record<string, unknown> | undefined;
  // The warehouse's text of the row: it shows whether a number past 2^53 came through whole.
  const rowText = warehouseText(change.row, change.rowText);
  for (const column of p.properties) {
    const raw = row[column];
    if (missingProperty(raw)) {
      if (previous !== null && !missingProperty(previous[column])) unsetProperties.push(column);
      continue;
    }
    const value = propertyValue(raw, rowText, p.dated.has(column));
    if (!value.ok) return reject(spec, key, column, `property ${column}: ${value.reason}`);
    (properties ??= {})[column] = value.value;
  }
  // A column that left the allowlist keeps its last value in Klaviyo unless the exposure asks to
  // clear what it no longer sends (`on_remove: unset_properties`).
  if (previous !== null && spec.config.on_remove === 'unset_properties') {
    for (const column in previous) {
      if (!p.read.has(column) && !missingProperty(previous[column]) && propertyKeyProblem(column) === null)
        unsetProperties.push(column);
    }
  }
  if (properties !== undefined) attributes.properties = properties;

  // Serialised once, here: the size check measures the very text the import job carries.
  const json = profileEntry(attributes);
  const bytes = utf8Bytes(json);
  const tooBig = profileSizeProblem(bytes);
  if (tooBig !== null) return reject(spec, key, undefined, tooBig);
  const payload = { key, attributes, unsetProperties, unsetAttributes, json, bytes };
  return identity.dropped === undefined
    ? { ok: true, payload }
    : { ok: true, payload, dropped: identity.dropped };
}
