/**
 * Lands spooled webhook events in the warehouse table `webhook_events` of the schema `extract`
 * writes (`klaviyo_source` by default): one row per event, keyed by the webhook's id and the
 * event's `external_id`, with its topic, its payload as JSON text and when we received it
 * (docs/webhooks.md#the-warehouse-table). An event already there is not inserted again, so a
 * redelivery, or a spool file landed twice after a crash, is stored once.
 */
import type { Warehouse } from '../source/warehouse.ts';
import { createTableSql } from '../state/schema.ts';
import { eventKey, type SpooledEvent } from './spool.ts';

export const WEBHOOK_EVENTS_TABLE = 'webhook_events';
export const WEBHOOK_EVENT_COLUMNS: [string, string][] = [
  ['webhook_id', 'varchar'],
  ['external_id', 'varchar'],
  ['topic', 'varchar'],
  ['payload_json', 'varchar'],
  ['received_at', 'varchar'],
];
const CHUNK = 500;

export async function ensureWebhookEventsTable(wh: Warehouse, schema: string): Promise<string> {
  await wh.execute(`create schema if not exists ${wh.dialect.ident(schema)}`);
  const table = wh.dialect.stateTable(schema, WEBHOOK_EVENTS_TABLE);
  await wh.execute(createTableSql(wh, table, WEBHOOK_EVENT_COLUMNS));
  return table;
}

/** Inserts the events the table does not hold yet; returns how many were new and how many were there. */
export async function landEvents(
  wh: Warehouse,
  schema: string,
  events: SpooledEvent[],
): Promise<{ inserted: number; alreadyStored: number }> {
  const table = await ensureWebhookEventsTable(wh, schema);
  const unique = new Map<string, SpooledEvent>();
  for (const e of events) {
    const key = eventKey(e.webhook_id, e.external_id);
    if (!unique.has(key)) unique.set(key, e);
  }
  const all = [...unique.values()];
  const stored = new Set<string>();
  const ident = (name: string) => wh.dialect.ident(name);
  const literal = (value: string) => wh.dialect.literal(value);
  for (let i = 0; i < all.length; i += CHUNK) {
    const ids = [...new Set(all.slice(i, i + CHUNK).map((e) => literal(e.external_id)))];
    const rows = await wh.query(
      `select ${ident('webhook_id')} as webhook_id, ${ident('external_id')} as external_id from ${table} where ${ident('external_id')} in (${ids.join(', ')})`,
    );
    for (const r of rows) stored.add(eventKey(String(r.webhook_id), String(r.external_id)));
  }
  const fresh = all.filter((e) => !stored.has(eventKey(e.webhook_id, e.external_id)));
  if (fresh.length > 0)
    await wh.insertRows(
      table,
      WEBHOOK_EVENT_COLUMNS.map(([name]) => name),
      fresh.map((e) => [e.webhook_id, e.external_id, e.topic, JSON.stringify(e.payload), e.received_at]),
    );
  return { inserted: fresh.length, alreadyStored: events.length - fresh.length };
}
