/**
 * `extract`: Klaviyo's own data back into the warehouse, as tables a dbt project declares as
 * sources: profiles with their consent and suppression state, lists and their members, metrics
 * and events. Profiles and events are incremental (`updated` and `datetime` cursors kept in the
 * state schema, docs/klaviyo-api.md#extraction); lists and memberships are read whole, every page followed.
 * Events appear in Klaviyo's API minutes after they happen, so each run re-reads a trailing hour.
 */
import path from 'node:path';
import { readConnection } from '../config/profiles.ts';
import { ConfigError } from '../errors.ts';
import { KlaviyoClient, type ClientOptions } from '../klaviyo/client.ts';
import { eventsSince } from '../klaviyo/events.ts';
import { allLists, listMemberIds } from '../klaviyo/lists.ts';
import { allMetrics } from '../klaviyo/metrics.ts';
import { profilesUpdatedSince, type ProfileResource } from '../klaviyo/profiles.ts';
import { DEFAULT_STATE_SCHEMA, type ProjectOptions } from '../manifest/load.ts';
import { openWarehouse } from '../source/open.ts';
import type { Warehouse } from '../source/warehouse.ts';
import { DEFAULT_SOURCE_SCHEMA } from './defaults.ts';
import { createTableSql } from '../state/schema.ts';

export { DEFAULT_SOURCE_SCHEMA };
const EVENT_LOOKBACK_MS = 60 * 60 * 1000;

const TABLES = {
  profiles:
    'id varchar, email varchar, phone_number varchar, external_id varchar, first_name varchar, last_name varchar, properties_json varchar, email_consent varchar, is_suppressed boolean, suppression_reason varchar, created varchar, updated varchar',
  lists: 'id varchar, name varchar, created varchar, updated varchar',
  list_members: 'list_id varchar, profile_id varchar',
  metrics: 'id varchar, name varchar',
  events:
    'id varchar, metric_id varchar, profile_id varchar, datetime varchar, value double, properties_json varchar',
  extract_cursors: 'stream varchar, cursor varchar',
} as const;
type Table = keyof typeof TABLES;

export interface ExtractOptions extends Pick<ProjectOptions, 'projectDir' | 'profilesDir' | 'target'> {
  schema?: string;
  full?: boolean;
  client?: ClientOptions;
}

export interface ExtractResult {
  schema: string;
  rows: Record<Exclude<Table, 'extract_cursors'>, number>;
  requests: Record<string, number>;
}

class Writer {
  constructor(
    private readonly wh: Warehouse,
    readonly schema: string,
  ) {}
  table(name: Table): string {
    return this.wh.dialect.stateTable(this.schema, name);
  }
  async ensure(): Promise<void> {
    await this.wh.execute(`create schema if not exists ${this.wh.dialect.ident(this.schema)}`);
    for (const [name, columns] of Object.entries(TABLES))
      await this.wh.execute(
        createTableSql(
          this.wh,
          this.table(name as Table),
          columns
            .split(', ')
            .map((c): [string, string] => [c.slice(0, c.indexOf(' ')), c.slice(c.indexOf(' ') + 1)]),
        ),
      );
  }
  /** Replaces rows by id: delete the ids of this batch, then insert it. */
  async upsert(name: Table, columns: string[], rows: unknown[][]): Promise<void> {
    if (rows.length === 0) return;
    const ids = rows.map((r) => this.wh.dialect.literal(String(r[0])));
    for (let i = 0; i < ids.length; i += 1000)
      await this.wh.execute(
        `delete from ${this.table(name)} where id in (${ids.slice(i, i + 1000).join(', ')})`,
      );
    await this.wh.insertRows(this.table(name), columns, rows);
  }
  async cursor(stream: string): Promise<string | null> {
    const rows = await this.wh.query(
      `select cursor from ${this.table('extract_cursors')} where stream = ${this.wh.dialect.literal(stream)}`,
    );
    return rows[0]?.cursor === undefined || rows[0].cursor === null ? null : String(rows[0].cursor);
  }
  async setCursor(stream: string, value: string): Promise<void> {
    await this.wh.execute(
      `delete from ${this.table('extract_cursors')} where stream = ${this.wh.dialect.literal(stream)}`,
    );
    await this.wh.insertRows(this.table('extract_cursors'), ['stream', 'cursor'], [[stream, value]]);
  }
}

/** The later of two ISO 8601 UTC times, as a cursor moves; a missing time leaves it where it is. */
function later(cursor: string | null, time: string | null | undefined): string | null {
  if (time === null || time === undefined) return cursor;
  return cursor === null || time > cursor ? time : cursor;
}

function profileRow(p: ProfileResource): unknown[] {
  const marketing = p.attributes.subscriptions?.email?.marketing;
  const suppression = marketing?.suppression ?? [];
  return [
    p.id,
    p.attributes.email ?? null,
    p.attributes.phone_number ?? null,
    p.attributes.external_id ?? null,
    p.attributes.first_name ?? null,
    p.attributes.last_name ?? null,
    JSON.stringify(p.attributes.properties ?? {}),
    marketing?.consent ?? 'NEVER_SUBSCRIBED',
    suppression.length > 0,
    suppression[0]?.reason ?? null,
    p.attributes.created ?? null,
    p.attributes.updated ?? null,
  ];
}

const PROFILE_COLUMNS = [
  'id',
  'email',
  'phone_number',
  'external_id',
  'first_name',
  'last_name',
  'properties_json',
  'email_consent',
  'is_suppressed',
  'suppression_reason',
  'created',
  'updated',
];

export async function extract(
  options: ExtractOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ExtractResult> {
  const schema = options.schema ?? DEFAULT_SOURCE_SCHEMA;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(schema))
    throw new ConfigError(`--schema \`${schema}\` must be a plain identifier.`);
  if (schema === DEFAULT_STATE_SCHEMA)
    throw new ConfigError(`--schema must not be the runner's state schema (${DEFAULT_STATE_SCHEMA}).`);
  const { connection } = await readConnection({
    projectDir: path.resolve(options.projectDir),
    profilesDir: options.profilesDir,
    target: options.target,
    env,
  });
  const client = new KlaviyoClient(options.client);
  const wh = await openWarehouse(connection);
  const rows: ExtractResult['rows'] = { profiles: 0, lists: 0, list_members: 0, metrics: 0, events: 0 };
  try {
    const w = new Writer(wh, schema);
    await w.ensure();

    // Profiles, incremental on `updated`, with consent and suppressions (subscriptions field).
    const since = options.full === true ? null : await w.cursor('profiles');
    let newest = since;
    for await (const page of profilesUpdatedSince(client, since)) {
      await w.upsert('profiles', PROFILE_COLUMNS, page.map(profileRow));
      rows.profiles += page.length;
      for (const p of page) newest = later(newest, p.attributes.updated);
    }
    if (newest !== null) await w.setCursor('profiles', newest);

    // Lists and members: read whole, every page (get_lists pages hold at most 10).
    await wh.execute(`delete from ${w.table('lists')}`);
    await wh.execute(`delete from ${w.table('list_members')}`);
    for await (const page of allLists(client)) {
      await wh.insertRows(
        w.table('lists'),
        ['id', 'name', 'created', 'updated'],
        page.map((l) => [
          l.id,
          l.attributes.name,
          l.attributes.created ?? null,
          l.attributes.updated ?? null,
        ]),
      );
      rows.lists += page.length;
      for (const list of page) {
        for await (const members of listMemberIds(client, list.id)) {
          await wh.insertRows(
            w.table('list_members'),
            ['list_id', 'profile_id'],
            members.map((m) => [list.id, m.id]),
          );
          rows.list_members += members.length;
        }
      }
    }

    // Metrics, then events incremental on `datetime`, re-reading a trailing hour.
    for await (const page of allMetrics(client)) {
      await w.upsert(
        'metrics',
        ['id', 'name'],
        page.map((m) => [m.id, m.attributes.name]),
      );
      rows.metrics += page.length;
    }
    const eventsFrom = options.full === true ? null : await w.cursor('events');
    const from =
      eventsFrom === null
        ? null
        : new Date(Date.parse(eventsFrom) - EVENT_LOOKBACK_MS).toISOString().replace('.000Z', 'Z');
    let newestEvent = eventsFrom;
    for await (const page of eventsSince(client, from)) {
      await w.upsert(
        'events',
        ['id', 'metric_id', 'profile_id', 'datetime', 'value', 'properties_json'],
        page.map((e) => [
          e.id,
          e.relationships?.metric?.data?.id ?? null,
          e.relationships?.profile?.data?.id ?? null,
          e.attributes.datetime ?? null,
          typeof e.attributes.event_properties?.$value === 'number'
            ? e.attributes.event_properties.$value
            : null,
          JSON.stringify(e.attributes.event_properties ?? {}),
        ]),
      );
      rows.events += page.length;
      for (const e of page) newestEvent = later(newestEvent, e.attributes.datetime);
    }
    if (newestEvent !== null) await w.setCursor('events', newestEvent);
  } finally {
    await wh.close();
    await client.close();
  }
  return { schema, rows, requests: { ...client.requestCounts } };
}
