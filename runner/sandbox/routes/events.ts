/** Events: create_event, bulk_create_events and reading events back with their metric and profile. */
import { attributesProblem } from '../profile-attributes.ts';
import { HttpError, invalid, notFound, paginate } from '../jsonapi.ts';
import type { Profile, StoredEvent } from '../store.ts';
import { badFilter, collection, filtersOf, instant, sortBy, TIME_OPS } from './query.ts';
import { eventResource, metricResource, profileResource } from './resources.ts';
import {
  arrayAt,
  attributesOf,
  dataOf,
  includes,
  route,
  type Answer,
  type Ctx,
  type Route,
} from './route.ts';
import { BATCH_LIMITS } from '../limits.ts';

/** Refuses an event's profile as Klaviyo would (profile-attributes.ts), at `pointer`. */
function checkProfile(ctx: Ctx, attributes: Record<string, unknown>, pointer: string): void {
  const problem = attributesProblem(attributes);
  if (problem !== null) throw invalid(problem.detail, `${pointer}${problem.pointer.replace('/data', '')}`);
}

/**
 * The profile an event goes to, made or updated from its attributes once `checkProfile` passed
 * them (a bulk request checks every entry before it stores any).
 */
function profileForEvent(ctx: Ctx, attributes: Record<string, unknown>, pointer: string): Profile {
  const result = ctx.store.upsert(attributes, false);
  if ('conflict' in result)
    throw new HttpError(
      409,
      'duplicate_profile',
      'Conflict.',
      'The profile identifiers belong to different profiles.',
      pointer,
      { duplicate_profile_id: result.conflict },
    );
  return result.profile;
}

interface EventInput {
  metric: string;
  time: string;
  value: number | null;
  valueCurrency: string | null;
  uniqueId: string;
  properties: Record<string, unknown>;
  backfill: boolean;
}

const EARLIEST_EVENT_MS = Date.parse('1990-01-01T00:00:00Z');

function readEvent(a: Record<string, unknown>, pointer: string, backfill: boolean): EventInput {
  const metric = (a.metric as { data?: { attributes?: { name?: unknown } } } | undefined)?.data?.attributes
    ?.name;
  if (typeof metric !== 'string' || metric === '' || metric.length >= 128)
    throw invalid('metric.data.attributes.name is required (under 128 characters).', `${pointer}/metric`);
  if (typeof a.properties !== 'object' || a.properties === null)
    throw invalid('properties is required.', `${pointer}/properties`);
  const time = a.time === undefined || a.time === null ? new Date().toISOString() : String(a.time);
  const t = Date.parse(time);
  if (Number.isNaN(t) || t < EARLIEST_EVENT_MS || t > Date.now() + 365 * 86_400_000)
    throw invalid('time must be after 1990 and at most one year ahead.', `${pointer}/time`);
  if (a.value !== undefined && a.value !== null && typeof a.value !== 'number')
    throw invalid('value must be a number.', `${pointer}/value`);
  const second = new Date(Math.floor(t / 1000) * 1000).toISOString();
  const uniqueId = a.unique_id === undefined || a.unique_id === null ? second : String(a.unique_id);
  if (uniqueId.length < 1 || uniqueId.length > 255)
    throw invalid('unique_id must be 1 to 255 characters.', `${pointer}/unique_id`);
  return {
    metric,
    time: second,
    value: a.value ?? null,
    valueCurrency: (a.value_currency as string | null | undefined) ?? null,
    uniqueId,
    properties: a.properties as Record<string, unknown>,
    backfill,
  };
}

function storeEvent(ctx: Ctx, profile: Profile, e: EventInput): void {
  const metric = ctx.store.metricByName(e.metric);
  ctx.store.addEvent({
    metricId: metric.id,
    profileId: profile.id,
    uniqueId: e.uniqueId,
    datetime: e.time,
    value: e.value,
    valueCurrency: e.valueCurrency,
    properties: e.properties,
    backfill: e.backfill,
  });
}

function bulkCreateEvents(ctx: Ctx): Answer {
  const d = dataOf(ctx, 'event-bulk-create-job');
  if (ctx.bodyBytes > BATCH_LIMITS.bytesPerRequest)
    throw new HttpError(413, 'payload_too_large', 'Payload too large.', 'The request is larger than 5 MB.');
  const entries = arrayAt(
    (attributesOf(d)['events-bulk-create'] as { data?: unknown } | undefined)?.data,
    '/data/attributes/events-bulk-create/data',
    BATCH_LIMITS.eventsPerBulkRequest,
    'events',
  );
  // Validate everything first: one bad entry, or one unique_id repeated for the same profile and
  // metric inside the request, fails the whole request and nothing is stored (docs/klaviyo-api.md#events).
  const prepared: { profileAttrs: Record<string, unknown>; events: EventInput[] }[] = [];
  let total = 0;
  entries.forEach((entry, i) => {
    const pointer = `/data/attributes/events-bulk-create/data/${i}`;
    const e = entry as { type?: unknown; attributes?: Record<string, unknown> };
    if (e.type !== 'event-bulk-create')
      throw invalid('Each entry must have type "event-bulk-create".', `${pointer}/type`);
    const a = e.attributes ?? {};
    const profileAttrs =
      (a.profile as { data?: { attributes?: Record<string, unknown> } } | undefined)?.data?.attributes ?? {};
    const problem = attributesProblem(profileAttrs);
    if (problem !== null) throw invalid(problem.detail, `${pointer}/attributes/profile${problem.pointer}`);
    const events = arrayAt(
      (a.events as { data?: unknown } | undefined)?.data,
      `${pointer}/attributes/events/data`,
      BATCH_LIMITS.eventsPerBulkRequest,
      'events',
    );
    total += events.length;
    prepared.push({
      profileAttrs,
      events: events.map((ev, j) =>
        readEvent(
          (ev as { attributes?: Record<string, unknown> }).attributes ?? {},
          `${pointer}/attributes/events/data/${j}/attributes`,
          a.backfill === true,
        ),
      ),
    });
  });
  if (total > BATCH_LIMITS.eventsPerBulkRequest)
    throw invalid(
      `At most ${BATCH_LIMITS.eventsPerBulkRequest} events are allowed per request; got ${total}.`,
      '/data/attributes/events-bulk-create/data',
    );
  const seen = new Set<string>();
  for (const p of prepared) {
    const identity = JSON.stringify([
      p.profileAttrs.email ?? null,
      p.profileAttrs.phone_number ?? null,
      p.profileAttrs.external_id ?? null,
    ]);
    for (const e of p.events) {
      const key = `${identity}|${e.metric}|${e.uniqueId}`;
      if (seen.has(key))
        throw invalid(
          `Duplicate unique_id "${e.uniqueId}" for the same profile and metric in one request.`,
          '/data/attributes/events-bulk-create/data',
        );
      seen.add(key);
    }
  }
  for (const p of prepared) {
    const profile = profileForEvent(ctx, p.profileAttrs, '/data');
    for (const e of p.events) storeEvent(ctx, profile, e);
  }
  return { status: 202 };
}

/** `include=metric,profile` on events: the related resources, once each, in `included`. */
function withIncluded(ctx: Ctx, doc: Record<string, unknown>, events: StoredEvent[]): unknown {
  const include = includes(ctx, ['metric', 'profile', 'attributions'], 'events');
  if (include.length === 0) return doc;
  const included: unknown[] = [];
  if (include.includes('metric'))
    for (const id of new Set(events.map((e) => e.metricId))) {
      const m = ctx.store.metrics.get(id);
      if (m !== undefined) included.push(metricResource(ctx, m));
    }
  if (include.includes('profile'))
    for (const id of new Set(events.map((e) => e.profileId))) {
      const p = ctx.store.profiles.get(id);
      if (p !== undefined) included.push(profileResource(ctx, p));
    }
  return { ...doc, included };
}

export const EVENT_ROUTES: Route[] = [
  route('POST', '/api/events', 'create_event', (ctx) => {
    const a = attributesOf(dataOf(ctx, 'event'));
    const profileAttrs =
      (a.profile as { data?: { attributes?: Record<string, unknown> } } | undefined)?.data?.attributes ?? {};
    const event = readEvent(a, '/data/attributes', false);
    checkProfile(ctx, profileAttrs, '/data/attributes/profile');
    storeEvent(ctx, profileForEvent(ctx, profileAttrs, '/data/attributes/profile'), event);
    return { status: 202 };
  }),
  route('POST', '/api/event-bulk-create-jobs', 'bulk_create_events', bulkCreateEvents),
  route('GET', '/api/events', 'get_events', (ctx) => {
    let events = [...ctx.store.events];
    for (const [op, field, value] of filtersOf(ctx)) {
      if (field === 'metric_id' && op === 'equals') events = events.filter((e) => e.metricId === value);
      else if (field === 'profile_id' && op === 'equals')
        events = events.filter((e) => e.profileId === value);
      else if ((field === 'datetime' || field === 'timestamp') && TIME_OPS[op] !== undefined) {
        // timestamp takes a date-time too; a bare number is read as seconds since the epoch.
        const t =
          field === 'timestamp' && /^\d+$/.test(String(value)) ? Number(value) * 1000 : instant(value);
        events = events.filter((e) => TIME_OPS[op]!(Date.parse(e.datetime), t));
      } else if ((field === 'profile' || field === 'metric') && op === 'has') {
        // Every stored event has both.
      } else throw badFilter(`Operator ${op} is not allowed on ${field} for events.`);
    }
    events = sortBy(ctx, events, { datetime: (e) => e.datetime, timestamp: (e) => e.datetime });
    const page = paginate(events, ctx.query, 1000, 200);
    const answer = collection(
      ctx,
      page.items.map((e) => eventResource(ctx, e)),
      page.next,
      page.prev,
    );
    return { status: 200, body: withIncluded(ctx, answer.body as Record<string, unknown>, page.items) };
  }),
  route('GET', '/api/events/{id}', 'get_event', (ctx) => {
    const e = ctx.store.events.find((x) => x.id === ctx.params[0]);
    if (e === undefined) throw notFound(`Event ${ctx.params[0]} was not found.`);
    return {
      status: 200,
      body: withIncluded(
        ctx,
        { data: eventResource(ctx, e), links: { self: `${ctx.base}/api/events/${e.id}/` } },
        [e],
      ),
    };
  }),
];
