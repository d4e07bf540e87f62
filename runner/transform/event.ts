/**
 * Model row → a Klaviyo event for bulk event create
 * (https://developers.klaviyo.com/en/reference/bulk_create_events, docs/klaviyo-api.md#events).
 *
 * - `unique_id` comes from the key, never from randomness, so a retried batch cannot double an
 *   event: Klaviyo drops a repeated unique_id for the same profile and metric.
 * - `time` is ISO 8601 UTC (coerce.ts), after 2000 and at most a year ahead.
 * - `value` is a finite number read by explicit rules; text that is not a number rejects the row.
 * - Properties: the JSON column (`properties_json`, where `Items` lives) merged with the
 *   allowlisted columns; keys checked (property-keys.ts), `Items` typed (items.ts), the row's
 *   metric's rules applied (metric-rules.ts) and Klaviyo's size limits checked (size.ts), so one
 *   bad row is rejected alone instead of failing its batch.
 * - The metric is the sync's `metric` or the row's `metric_column` (metric-rules.ts); the profile
 *   object is the identity, plus what the sync's `profile` block sends along (event-profile.ts).
 */
import { createHash } from 'node:crypto';
import type { SyncSpec } from '../manifest/spec.ts';
import type { RowChange } from '../state/changes.ts';
import { warehouseText } from '../state/row-json.ts';
import type { BuildResult, EventPayload } from './payload.ts';
import { toJsonObject, toText } from './coerce.ts';
import { toNumber } from './number.ts';
import { toIsoTime } from './timestamp.ts';
import { buildEventProfile } from './event-profile.ts';
import { checkItems } from './items.ts';
import { metricOf, metricPropertiesProblem } from './metric-rules.ts';
import { eventPropertyKeyProblem, propertyKeyProblem } from './property-keys.ts';
import { missingProperty, nestedNumberProblem, propertyValue } from './properties.ts';
import { reject } from './rejection.ts';
import { eventPropertiesProblem } from './size.ts';
import { eventEntry, eventRequestBytes, type EventFields } from './entries.ts';

/** Klaviyo refuses event times before 2000 in older docs (after 1990 in the spec); we keep the stricter. */
const EARLIEST = Date.parse('2000-01-01T00:00:00Z');
const LATEST_AHEAD_MS = 365 * 86_400_000;
const CURRENCY = /^[A-Za-z]{3}$/;
const PRINTABLE_ID = /^[\x21-\x7e]{1,255}$/;

/**
 * The key itself when it is 1–255 printable characters (readable in Klaviyo, and the Placed Order
 * convention is the order id); otherwise a SHA-256 of it. Same key, same id, forever.
 */
export function eventUniqueId(key: string): string {
  if (PRINTABLE_ID.test(key)) return key;
  return `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

/** The first allowlisted column whose name cannot be a property key, checked once per sync. */
const badKeys = new WeakMap<SyncSpec, { column: string; reason: string } | null>();

function badKey(spec: SyncSpec): { column: string; reason: string } | null {
  let found = badKeys.get(spec);
  if (found === undefined) {
    found = null;
    for (const column of spec.config.properties ?? []) {
      const reason = propertyKeyProblem(column);
      if (reason !== null) {
        found = { column, reason };
        break;
      }
    }
    badKeys.set(spec, found);
  }
  return found;
}

export function buildEvent(spec: SyncSpec, change: RowChange, now = Date.now()): BuildResult<EventPayload> {
  const row = change.row ?? {};
  const config = spec.config;
  const key = change.key;
  const bad = badKey(spec);
  if (bad !== null) return reject(spec, key, bad.column, bad.reason);
  const metric = metricOf(spec, row);
  if (!metric.ok) return reject(spec, key, metric.column, metric.reason);
  const identity = buildEventProfile(spec, key, row);
  if (!identity.ok) return identity;

  const timeColumn = config.time!;
  const time = toIsoTime(row[timeColumn]);
  if (time === null) return reject(spec, key, timeColumn, 'event time is empty');
  if (!time.ok) return reject(spec, key, timeColumn, time.reason);
  const at = Date.parse(time.value);
  if (at < EARLIEST)
    return reject(spec, key, timeColumn, `event time ${time.value} is before 2000, which Klaviyo refuses`);
  if (at > now + LATEST_AHEAD_MS)
    return reject(spec, key, timeColumn, `event time ${time.value} is more than a year ahead`);

  const fields: EventFields = {
    uniqueId: eventUniqueId(key),
    metric: metric.metric,
    time: time.value,
    properties: {},
  };
  if (config.value !== undefined) {
    const value = toNumber(row[config.value]);
    if (value !== null && !value.ok) return reject(spec, key, config.value, `value ${value.reason}`);
    if (value !== null) fields.value = value.value;
  }
  if (config.value_currency !== undefined) {
    const currency = toText(row[config.value_currency]);
    if (currency !== undefined && !CURRENCY.test(currency))
      return reject(spec, key, config.value_currency, `"${currency}" is not an ISO 4217 currency code`);
    if (currency !== undefined) fields.valueCurrency = currency.toUpperCase();
  }
  // The warehouse's text of the row: it shows whether a number past 2^53 came through whole.
  const rowText = warehouseText(change.row, change.rowText);
  const jsonColumn = config.properties_json;
  if (jsonColumn !== undefined) {
    const json = toJsonObject(row[jsonColumn]);
    if (json !== null && !json.ok) return reject(spec, key, jsonColumn, json.reason);
    if (json !== null) {
      const nested = nestedNumberProblem(json.value, rowText);
      if (nested !== null) return reject(spec, key, jsonColumn, `properties.${nested}`);
      for (const name of Object.keys(json.value)) {
        const problem = eventPropertyKeyProblem(name);
        if (problem !== null) return reject(spec, key, jsonColumn, `properties ${problem}`);
      }
      Object.assign(fields.properties, json.value);
    }
  }
  for (const column of config.properties ?? []) {
    const raw = row[column];
    if (missingProperty(raw)) continue;
    const value = propertyValue(raw, rowText, spec.dateColumns?.includes(column) === true);
    if (!value.ok) return reject(spec, key, column, `property ${column}: ${value.reason}`);
    fields.properties[column] = value.value;
  }
  if ('Items' in fields.properties) {
    const items = checkItems(fields.properties.Items);
    if (!items.ok) return reject(spec, key, jsonColumn, `properties.${items.path} ${items.reason}`);
    fields.properties.Items = items.items;
  }
  const ruled = metricPropertiesProblem(fields.metric, fields.properties);
  if (ruled !== null) return reject(spec, key, jsonColumn, `properties.${ruled.path} ${ruled.reason}`);
  // One serialisation per event, the text its request carries: its size batches requests and
  // bounds the properties' checks, since the entry's text holds them whole.
  const json = eventEntry(fields);
  const bytes = eventRequestBytes(json, identity.payload.bytes);
  const size = eventPropertiesProblem(fields.properties, bytes);
  if (size !== null) return reject(spec, key, jsonColumn, `${size.path} ${size.reason}`);
  const { attributes: profile, json: profileJson } = identity.payload;
  const payload: EventPayload = { key, ...fields, profile, json, profileJson, bytes };
  return identity.dropped === undefined
    ? { ok: true, payload }
    : { ok: true, payload, dropped: identity.dropped };
}
