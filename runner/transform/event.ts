/**
 * Model row → a Klaviyo event for bulk event create
 * (https://developers.klaviyo.com/en/reference/bulk_create_events). `unique_id` comes from the
 * sync and the key, never from randomness, so a retried batch cannot double an event: Klaviyo
 * drops a repeated unique_id for the same profile and metric (API-NOTES §8).
 */
import { createHash } from 'node:crypto';
import type { SyncSpec } from '../manifest/spec.ts';
import type { RowChange } from '../state/changes.ts';
import type { BuildResult, EventPayload } from './payload.ts';
import { toIsoTime, toJsonObject, toNumber, toText } from './coerce.ts';
import { buildIdentity, reject } from './identity.ts';
import { propertyKeyProblem } from './property-keys.ts';
import { propertyValue } from './profile.ts';

/** Klaviyo: event time after 1990 per the spec, after 2000 per older docs; we keep the stricter. */
const EARLIEST = Date.parse('2000-01-01T00:00:00Z');
const MAX_STRING_BYTES = 100 * 1024;
const MAX_PROPERTIES = 400;

/**
 * The key itself when it is 1–255 printable characters (readable in Klaviyo, and the Placed Order
 * convention is the order id); otherwise a SHA-256 of it. Same key, same id, forever.
 */
export function eventUniqueId(key: string): string {
  if (key.length >= 1 && key.length <= 255 && /^[\x21-\x7e]+$/.test(key)) return key;
  return `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

type ItemCheck = { ok: true; items: unknown[] } | { ok: false; path: string; reason: string };

/** Items of an order: each an object with ProductName and SKU text, Quantity and ItemPrice numbers. */
export function checkItems(items: unknown): ItemCheck {
  if (!Array.isArray(items)) return { ok: false, path: 'Items', reason: 'must be an array' };
  const out: unknown[] = [];
  for (const [i, item] of items.entries()) {
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      return { ok: false, path: `Items[${i}]`, reason: 'must be an object' };
    const entry = { ...(item as Record<string, unknown>) };
    for (const key of ['ProductName', 'SKU'] as const) {
      if (toText(entry[key]) === undefined)
        return { ok: false, path: `Items[${i}].${key}`, reason: 'is missing' };
    }
    for (const key of ['Quantity', 'ItemPrice', 'RowTotal'] as const) {
      if (entry[key] === undefined && key === 'RowTotal') continue;
      const n = toNumber(entry[key]);
      if (n === null) return { ok: false, path: `Items[${i}].${key}`, reason: 'is missing' };
      if (!n.ok) return { ok: false, path: `Items[${i}].${key}`, reason: n.reason };
      if (key === 'Quantity' && n.value < 0)
        return { ok: false, path: `Items[${i}].${key}`, reason: 'is negative' };
      entry[key] = n.value;
    }
    out.push(entry);
  }
  return { ok: true, items: out };
}

function longString(value: unknown, path: string): string | null {
  if (typeof value === 'string') return Buffer.byteLength(value) > MAX_STRING_BYTES ? path : null;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const found = longString(v, `${path}[${i}]`);
      if (found) return found;
    }
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      const found = longString(v, `${path}.${k}`);
      if (found) return found;
    }
  }
  return null;
}

export function buildEvent(spec: SyncSpec, change: RowChange, now = Date.now()): BuildResult<EventPayload> {
  const row = change.row ?? {};
  const config = spec.config;
  const identity = buildIdentity(spec, change.key, row);
  if (!identity.ok) return identity;

  const timeColumn = config.time!;
  const time = toIsoTime(row[timeColumn]);
  if (time === null) return reject(spec, change.key, timeColumn, 'event time is empty');
  if (!time.ok) return reject(spec, change.key, timeColumn, time.reason);
  const at = Date.parse(time.value);
  if (at < EARLIEST)
    return reject(
      spec,
      change.key,
      timeColumn,
      `event time ${time.value} is before 2000, which Klaviyo refuses`,
    );
  if (at > now + 365 * 86_400_000)
    return reject(spec, change.key, timeColumn, `event time ${time.value} is more than a year ahead`);

  const payload: EventPayload = {
    key: change.key,
    uniqueId: eventUniqueId(change.key),
    metric: config.metric!,
    time: time.value,
    properties: {},
    profile: identity.payload,
    bytes: 0,
  };
  if (config.value !== undefined) {
    const value = toNumber(row[config.value]);
    if (value !== null && !value.ok) return reject(spec, change.key, config.value, `value ${value.reason}`);
    if (value !== null) payload.value = value.value;
  }
  if (config.value_currency !== undefined) {
    const currency = toText(row[config.value_currency]);
    if (currency !== undefined && !/^[A-Za-z]{3}$/.test(currency)) {
      return reject(
        spec,
        change.key,
        config.value_currency,
        `"${currency}" is not an ISO 4217 currency code`,
      );
    }
    if (currency !== undefined) payload.valueCurrency = currency.toUpperCase();
  }
  if (config.properties_json !== undefined) {
    const json = toJsonObject(row[config.properties_json]);
    if (json !== null && !json.ok) return reject(spec, change.key, config.properties_json, json.reason);
    if (json !== null) Object.assign(payload.properties, json.value);
  }
  for (const column of config.properties ?? []) {
    const problem = propertyKeyProblem(column);
    if (problem !== null) return reject(spec, change.key, column, `property key "${column}" ${problem}`);
    if (row[column] !== null && row[column] !== undefined)
      payload.properties[column] = propertyValue(row[column]);
  }
  if ('Items' in payload.properties) {
    const items = checkItems(payload.properties.Items);
    if (!items.ok)
      return reject(spec, change.key, config.properties_json, `properties.${items.path} ${items.reason}`);
    payload.properties.Items = items.items;
  }
  if (Object.keys(payload.properties).length > MAX_PROPERTIES) {
    return reject(
      spec,
      change.key,
      config.properties_json,
      `event has ${Object.keys(payload.properties).length} properties; Klaviyo allows ${MAX_PROPERTIES}`,
    );
  }
  const long = longString(payload.properties, 'properties');
  if (long !== null)
    return reject(
      spec,
      change.key,
      config.properties_json,
      `${long} is longer than Klaviyo's 100 KB per string`,
    );
  payload.bytes = Buffer.byteLength(JSON.stringify(payload));
  return { ok: true, payload };
}
