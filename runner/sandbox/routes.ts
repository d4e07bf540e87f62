/**
 * The Klaviyo endpoints the runner uses, with Klaviyo's semantics and limits (docs/klaviyo-api.md#operations-and-batch-limits).
 * Each route names its operationId from the official description, which also picks its
 * rate-limit tier.
 */
import type { Faults } from './faults.ts';
import { badParameter, HttpError, invalid, links, notFound, paginate, parseFilter } from './jsonapi.ts';
import type { ImportJob, Profile, Store, StoredEvent, SuppressionJob } from './store.ts';

export interface Ctx {
  store: Store;
  faults: Faults;
  base: string;
  path: string;
  params: string[];
  query: URLSearchParams;
  body: unknown;
  jobDelayMs: number;
}
export interface Answer {
  status: number;
  body?: unknown;
}
type Handler = (ctx: Ctx) => Answer;
export interface Route {
  method: string;
  pattern: RegExp;
  operationId: string;
  handler: Handler;
}

// ---- shapes ------------------------------------------------------------------------------------
/** Predictive analytics the sandbox cannot compute: every figure present and null, as for a new profile. */
const NO_PREDICTIONS = {
  historic_clv: null,
  predicted_clv: null,
  total_clv: null,
  historic_number_of_orders: null,
  predicted_number_of_orders: null,
  average_days_between_orders: null,
  average_order_value: null,
  churn_probability: null,
  expected_date_of_next_order: null,
  ranked_channel_affinity: null,
};

function profileResource(
  ctx: Ctx,
  p: Profile,
  fields: string[] = [],
  extra: Record<string, unknown> = {},
): unknown {
  return {
    type: 'profile',
    id: p.id,
    attributes: {
      email: p.email,
      phone_number: p.phone_number,
      external_id: p.external_id,
      first_name: p.attributes.first_name ?? null,
      last_name: p.attributes.last_name ?? null,
      organization: p.attributes.organization ?? null,
      locale: p.attributes.locale ?? null,
      title: p.attributes.title ?? null,
      image: p.attributes.image ?? null,
      created: p.created,
      updated: p.updated,
      last_event_date: null,
      location: p.location,
      properties: p.properties,
      ...extra,
      ...(fields.includes('predictive_analytics') ? { predictive_analytics: NO_PREDICTIONS } : {}),
      ...(fields.includes('subscriptions')
        ? {
            subscriptions: {
              email: {
                marketing: {
                  can_receive_email_marketing:
                    p.subscriptions.email.marketing.consent === 'SUBSCRIBED' &&
                    p.subscriptions.email.marketing.suppression.length === 0,
                  consent: p.subscriptions.email.marketing.consent,
                  consent_timestamp: p.subscriptions.email.marketing.consented_at,
                  suppression: p.subscriptions.email.marketing.suppression,
                  list_suppressions: [],
                },
              },
              sms: {
                marketing: {
                  can_receive_sms_marketing: p.subscriptions.sms.marketing.consent === 'SUBSCRIBED',
                  consent: p.subscriptions.sms.marketing.consent,
                  consent_timestamp: p.subscriptions.sms.marketing.consented_at,
                },
              },
            },
          }
        : {}),
    },
    links: { self: `${ctx.base}/api/profiles/${p.id}/` },
  };
}

function jobResource(ctx: Ctx, job: ImportJob): unknown {
  return {
    type: 'profile-bulk-import-job',
    id: job.id,
    attributes: {
      status: job.status,
      created_at: job.created_at,
      total_count: job.total_count,
      completed_count: job.completed_count,
      failed_count: job.failed_count,
      completed_at: job.completed_at,
      expires_at: new Date(Date.parse(job.created_at) + 7 * 86_400_000).toISOString(),
      started_at: job.started_at,
    },
    relationships: {
      lists: { data: job.listIds.map((id) => ({ type: 'list', id })) },
    },
    links: { self: `${ctx.base}/api/profile-bulk-import-jobs/${job.id}/` },
  };
}

function listResource(ctx: Ctx, l: { id: string; name: string; created: string; updated: string }): unknown {
  return {
    type: 'list',
    id: l.id,
    attributes: { name: l.name, created: l.created, updated: l.updated, opt_in_process: 'single_opt_in' },
    links: { self: `${ctx.base}/api/lists/${l.id}/` },
  };
}

/** One page of profiles (≤100, default 20, as Klaviyo pages them), with additional-fields honoured. */
function profilePage(ctx: Ctx, profiles: Profile[]): Answer {
  const page = paginate(profiles, ctx.query, 100, 20);
  return collection(
    ctx,
    page.items.map((p) => profileResource(ctx, p, additional(ctx))),
    page.next,
    page.prev,
  );
}

/** A date-time filter operand: Klaviyo takes ISO 8601; compare instants, not strings. */
function instant(value: unknown): number {
  const t = Date.parse(String(value));
  if (Number.isNaN(t)) throw badParameter('filter', `Invalid date-time in filter: ${String(value)}`);
  return t;
}

const TIME_OPS: Record<string, (x: number, t: number) => boolean> = {
  'greater-than': (x, t) => x > t,
  'greater-or-equal': (x, t) => x >= t,
  'less-than': (x, t) => x < t,
  'less-or-equal': (x, t) => x <= t,
};

const badFilter = (detail: string) => badParameter('filter', detail);

/** `sort=field` or `sort=-field`, with the fields the operation allows. */
function sortBy<T>(ctx: Ctx, items: T[], allowed: Record<string, (x: T) => string | number>): T[] {
  const sort = ctx.query.get('sort');
  if (sort === null) return items;
  const desc = sort.startsWith('-');
  const key = allowed[desc ? sort.slice(1) : sort];
  if (key === undefined) throw badParameter('sort', `'${sort}' is not a valid sort for this resource.`);
  const cmp = (a: T, b: T) => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
  return [...items].sort((a, b) => (desc ? cmp(b, a) : cmp(a, b)));
}

function collection(ctx: Ctx, data: unknown[], next: string | null, prev: string | null = null): Answer {
  return { status: 200, body: { data, links: links(ctx.base, ctx.path, ctx.query, next, prev) } };
}

// ---- body checks -------------------------------------------------------------------------------
function dataOf(ctx: Ctx, type: string): Record<string, unknown> {
  const data = (ctx.body as { data?: unknown } | null)?.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw invalid('The request body must be a JSON:API document with `data`.', '/data');
  const d = data as Record<string, unknown>;
  if (d.type !== type) throw invalid(`\`data.type\` must be "${type}".`, '/data/type');
  return d;
}

function attributesOf(d: Record<string, unknown>): Record<string, unknown> {
  const a = d.attributes;
  if (typeof a !== 'object' || a === null)
    throw invalid('`data.attributes` is required.', '/data/attributes');
  return a as Record<string, unknown>;
}

function arrayAt(value: unknown, pointer: string, max: number, what: string): unknown[] {
  if (!Array.isArray(value)) throw invalid(`${pointer} must be an array.`, pointer);
  if (value.length === 0) throw invalid(`${pointer} must not be empty.`, pointer);
  if (value.length > max)
    throw new HttpError(
      400,
      'invalid',
      'Invalid input.',
      `At most ${max} ${what} are allowed per request; got ${value.length}.`,
      pointer,
    );
  return value;
}

// ---- import jobs -------------------------------------------------------------------------------
/** Moves jobs along their lifecycle: queued → processing → complete (or cancelled), by time. */
export function advanceJobs(store: Store, faults: Faults, now = Date.now()): void {
  for (const job of store.importJobs.values()) {
    if (job.status === 'queued' && now >= job.processingAt) {
      job.status = 'processing';
      job.started_at = new Date(job.processingAt).toISOString();
    }
    if (job.status === 'processing' && now >= job.completeAt) {
      if (job.failWith !== null) {
        job.status = job.failWith;
        job.completed_at = new Date(now).toISOString();
        continue;
      }
      runImport(store, faults, job);
      job.status = 'complete';
      job.completed_at = new Date(now).toISOString();
    }
  }
}

function runImport(store: Store, faults: Faults, job: ImportJob): void {
  job.rows.forEach((row, i) => {
    const pointer = `/data/attributes/profiles/data/${i}`;
    const fail = (code: string, title: string, detail: string, at = pointer) => {
      job.errors.push({
        id: store.newId('import-error'),
        code,
        title,
        detail,
        source: { pointer: at },
        original_payload: row,
      });
      job.failed_count += 1;
    };
    const r = row as {
      attributes?: Record<string, unknown>;
      id?: string;
      meta?: { patch_properties?: { unset?: string | string[] } };
    };
    const attributes = r.attributes ?? {};
    const problem = store.validateAttributes(attributes);
    if (problem !== null)
      return fail(
        problem.code,
        'Invalid input.',
        problem.detail,
        `${pointer}${problem.pointer.replace('/data', '')}`,
      );
    if (faults.roll('importRowError'))
      return fail('internal_error', 'Temporary error.', 'The profile could not be imported; try again.');
    const result = store.upsert(attributes, false, r.id ?? undefined);
    if ('conflict' in result)
      return fail(
        'duplicate_profile',
        'Conflict.',
        'The identifiers of this profile belong to different existing profiles.',
      );
    const unset = r.meta?.patch_properties?.unset;
    if (unset !== undefined) store.apply(result.profile, {}, false, Array.isArray(unset) ? unset : [unset]);
    for (const listId of job.listIds) store.lists.get(listId)?.members.set(result.profile.id, store.now());
    job.profileIds.push(result.profile.id);
    job.completed_count += 1;
  });
}

const TEXT_ATTRIBUTES = new Set([
  'email',
  'phone_number',
  'external_id',
  'first_name',
  'last_name',
  'organization',
  'title',
  'locale',
  'image',
]);

function submitImport(ctx: Ctx): Answer {
  const d = dataOf(ctx, 'profile-bulk-import-job');
  const attributes = attributesOf(d);
  const profiles = (attributes.profiles as { data?: unknown } | undefined)?.data;
  const rows = arrayAt(profiles, '/data/attributes/profiles/data', 10_000, 'profiles');
  // Klaviyo checks the request's shape before it makes a job, and refuses it whole (400) when a
  // profile has the wrong types; values of the right type but invalid (an email without @) become
  // per-row import errors instead (docs/klaviyo-api.md#bulk-profile-import).
  rows.forEach((r, i) => {
    const pointer = `/data/attributes/profiles/data/${i}`;
    if ((r as { type?: unknown }).type !== 'profile')
      throw invalid('Each profile must have type "profile".', `${pointer}/type`);
    const attrs = (r as { attributes?: unknown }).attributes;
    if (typeof attrs !== 'object' || attrs === null || Array.isArray(attrs))
      throw invalid('attributes must be an object.', `${pointer}/attributes`);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === null) continue;
      const object = name === 'properties' || name === 'location';
      if (
        object
          ? typeof value !== 'object' || Array.isArray(value)
          : TEXT_ATTRIBUTES.has(name) && typeof value !== 'string'
      )
        throw invalid(
          `${name} must be ${object ? 'an object' : 'a string'}.`,
          `${pointer}/attributes/${name}`,
        );
    }
  });
  const listIds = (
    (d.relationships as { lists?: { data?: { id: string }[] } } | undefined)?.lists?.data ?? []
  ).map((l) => l.id);
  for (const id of listIds)
    if (!ctx.store.lists.has(id)) throw invalid(`List ${id} does not exist.`, '/data/relationships/lists');
  const now = Date.now();
  const stalled = ctx.faults.roll('stallJob', 'bulk_import_profiles');
  const job: ImportJob = {
    id: ctx.store.newId('import-job'),
    status: 'queued',
    created_at: new Date(now).toISOString(),
    started_at: null,
    completed_at: null,
    total_count: rows.length,
    completed_count: 0,
    failed_count: 0,
    listIds,
    rows,
    errors: [],
    profileIds: [],
    processingAt: now + ctx.jobDelayMs,
    completeAt: now + 2 * ctx.jobDelayMs + (stalled ? (ctx.faults.config.stallMs ?? 60_000) : 0),
    failWith: ctx.faults.roll('failJob', 'bulk_import_profiles') ? 'cancelled' : null,
  };
  ctx.store.importJobs.set(job.id, job);
  advanceJobs(ctx.store, ctx.faults, now);
  return { status: 202, body: { data: jobResource(ctx, job) } };
}

function jobOr404(ctx: Ctx): ImportJob {
  const job = ctx.store.importJobs.get(ctx.params[0]!);
  if (job === undefined) throw notFound(`Profile bulk import job ${ctx.params[0]} was not found.`);
  return job;
}

// ---- profiles ----------------------------------------------------------------------------------
/**
 * get_profiles filters, with the fields and operators its `x-klaviyo-filters` allows: equals/any
 * on id, email, phone_number, external_id; greater-than/less-than on created and updated; the
 * suppression fields of subscriptions.email.marketing.
 */
function profileFilter(ctx: Ctx, profiles: Profile[]): Profile[] {
  const filter = ctx.query.get('filter');
  if (filter === null) return profiles;
  let out = profiles;
  const suppression = 'subscriptions.email.marketing.suppression.';
  const listSuppression = 'subscriptions.email.marketing.list_suppressions.';
  for (const [op, field, value] of parseFilter(filter)) {
    const ids: Record<string, (p: Profile) => string | null> = {
      id: (p) => p.id,
      email: (p) => p.email,
      phone_number: (p) => p.phone_number,
      external_id: (p) => p.external_id,
    };
    if (field in ids) {
      const get = ids[field]!;
      const norm = (v: unknown) => (field === 'email' && typeof v === 'string' ? v.toLowerCase() : v);
      if (op === 'equals') out = out.filter((p) => get(p) === norm(value));
      else if (op === 'any') {
        if (!Array.isArray(value) || value.length > 100)
          throw badFilter('any() takes a list of at most 100 values.');
        const set = new Set(value.map(norm));
        out = out.filter((p) => set.has(get(p)));
      } else throw badFilter(`Operator ${op} is not allowed on ${field}.`);
    } else if (field === 'created' || field === 'updated') {
      if (op !== 'greater-than' && op !== 'less-than')
        throw badFilter(`Operator ${op} is not allowed on ${field}.`);
      const t = instant(value);
      out = out.filter((p) => TIME_OPS[op]!(Date.parse(p[field]), t));
    } else if (field === `${suppression}reason` && op === 'equals') {
      out = out.filter((p) => p.subscriptions.email.marketing.suppression.some((s) => s.reason === value));
    } else if (field === `${suppression}timestamp` && TIME_OPS[op] !== undefined) {
      const t = instant(value);
      out = out.filter((p) =>
        p.subscriptions.email.marketing.suppression.some((s) => TIME_OPS[op]!(Date.parse(s.timestamp), t)),
      );
    } else if (field.startsWith(listSuppression)) {
      // The sandbox keeps no per-list suppressions: nothing matches.
      out = [];
    } else if (field === '_kx' && op === 'equals') {
      out = [];
    } else if (Object.keys(ids).includes(field) || field.startsWith(suppression) || field === '_kx') {
      throw badFilter(`Operator ${op} is not allowed on ${field}.`);
    } else {
      throw badFilter(`'${field}' is not a valid field for the resource 'profile'.`);
    }
  }
  return out;
}

function sortProfiles(ctx: Ctx, profiles: Profile[]): Profile[] {
  const firstSuppression = (p: Profile) => p.subscriptions.email.marketing.suppression[0]?.timestamp ?? '';
  return sortBy(ctx, profiles, {
    id: (p) => p.id,
    created: (p) => p.created,
    updated: (p) => p.updated,
    email: (p) => p.email ?? '',
    'subscriptions.email.marketing.suppression.timestamp': firstSuppression,
    'subscriptions.email.marketing.list_suppressions.timestamp': () => '',
  });
}

const additional = (ctx: Ctx) =>
  (ctx.query.get('additional-fields[profile]') ?? '').split(',').filter((f) => f !== '');

function singleProfileWrite(ctx: Ctx, mode: 'import' | 'create' | 'update'): Answer {
  const d = dataOf(ctx, 'profile');
  const attributes = attributesOf(d);
  const problem = ctx.store.validateAttributes(
    mode === 'update' ? { external_id: 'x', ...attributes } : attributes,
  );
  if (problem !== null) throw invalid(problem.detail, problem.pointer);
  const meta = d.meta as { patch_properties?: { unset?: string | string[] } } | undefined;
  const unset = meta?.patch_properties?.unset;
  const unsetKeys = unset === undefined ? [] : Array.isArray(unset) ? unset : [unset];
  if (mode === 'update') {
    const id = ctx.params[0]!;
    if (d.id !== id)
      throw new HttpError(
        409,
        'conflict',
        'Conflict.',
        'The id in the body must match the id in the path.',
        '/data/id',
      );
    const profile = ctx.store.profiles.get(id);
    if (profile === undefined) throw notFound(`Profile ${id} was not found.`);
    const others = [...ctx.store.matches(attributes)].filter((p) => p !== id);
    if (others.length > 0)
      throw new HttpError(
        409,
        'duplicate_profile',
        'Conflict.',
        'A profile already exists with one of these identifiers.',
        '/data/attributes',
        { duplicate_profile_id: others[0] },
      );
    ctx.store.apply(profile, attributes, true, unsetKeys);
    return { status: 200, body: { data: profileResource(ctx, profile) } };
  }
  const found = ctx.store.matches({ ...attributes, id: d.id });
  if (mode === 'create' && found.size > 0) {
    throw new HttpError(
      409,
      'duplicate_profile',
      'Conflict.',
      'A profile already exists with one of these identifiers.',
      '/data/attributes',
      { duplicate_profile_id: [...found][0] },
    );
  }
  const result = ctx.store.upsert(attributes, true, typeof d.id === 'string' ? d.id : undefined);
  if ('conflict' in result) {
    throw new HttpError(
      409,
      'duplicate_profile',
      'Conflict.',
      'The identifiers belong to different existing profiles.',
      '/data/attributes',
      { duplicate_profile_id: result.conflict },
    );
  }
  if (unsetKeys.length > 0) ctx.store.apply(result.profile, {}, true, unsetKeys);
  return { status: result.created ? 201 : 200, body: { data: profileResource(ctx, result.profile) } };
}

// ---- events ------------------------------------------------------------------------------------
function profileForEvent(ctx: Ctx, attributes: Record<string, unknown>, pointer: string): Profile {
  const problem = ctx.store.validateAttributes(attributes);
  if (problem !== null) throw invalid(problem.detail, `${pointer}${problem.pointer.replace('/data', '')}`);
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

function readEvent(a: Record<string, unknown>, pointer: string, backfill: boolean): EventInput {
  const metric = (a.metric as { data?: { attributes?: { name?: unknown } } } | undefined)?.data?.attributes
    ?.name;
  if (typeof metric !== 'string' || metric === '' || metric.length >= 128)
    throw invalid('metric.data.attributes.name is required (under 128 characters).', `${pointer}/metric`);
  if (typeof a.properties !== 'object' || a.properties === null)
    throw invalid('properties is required.', `${pointer}/properties`);
  const time = a.time === undefined || a.time === null ? new Date().toISOString() : String(a.time);
  const t = Date.parse(time);
  if (Number.isNaN(t) || t < Date.parse('1990-01-01T00:00:00Z') || t > Date.now() + 365 * 86_400_000)
    throw invalid('time must be after 1990 and at most one year ahead.', `${pointer}/time`);
  if (a.value !== undefined && a.value !== null && typeof a.value !== 'number')
    throw invalid('value must be a number.', `${pointer}/value`);
  const uniqueId =
    a.unique_id === undefined || a.unique_id === null
      ? new Date(Math.floor(t / 1000) * 1000).toISOString()
      : String(a.unique_id);
  if (uniqueId.length < 1 || uniqueId.length > 255)
    throw invalid('unique_id must be 1 to 255 characters.', `${pointer}/unique_id`);
  return {
    metric,
    time: new Date(Math.floor(t / 1000) * 1000).toISOString(),
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
  if (Buffer.byteLength(JSON.stringify(ctx.body)) > 5 * 1024 * 1024)
    throw new HttpError(413, 'payload_too_large', 'Payload too large.', 'The request is larger than 5 MB.');
  const entries = arrayAt(
    (attributesOf(d)['events-bulk-create'] as { data?: unknown } | undefined)?.data,
    '/data/attributes/events-bulk-create/data',
    1000,
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
    const problem = ctx.store.validateAttributes(profileAttrs);
    if (problem !== null) throw invalid(problem.detail, `${pointer}/attributes/profile${problem.pointer}`);
    const events = arrayAt(
      (a.events as { data?: unknown } | undefined)?.data,
      `${pointer}/attributes/events/data`,
      1000,
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
  if (total > 1000)
    throw invalid(
      `At most 1000 events are allowed per request; got ${total}.`,
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

// ---- lists, subscriptions, suppressions --------------------------------------------------------
function listOr404(ctx: Ctx) {
  const list = ctx.store.lists.get(ctx.params[0]!);
  if (list === undefined) throw notFound(`List ${ctx.params[0]} was not found.`);
  return list;
}

/**
 * A list's members with when each joined, filtered and sorted as get_profiles_for_list and
 * get_profile_ids_for_list allow: equals/any on email and phone_number, time comparisons on
 * joined_group_at, sort by joined_group_at.
 */
function listMembers(ctx: Ctx): { profile: Profile; joined: string }[] {
  let members = [...listOr404(ctx).members]
    .map(([id, joined]) => ({ profile: ctx.store.profiles.get(id), joined }))
    .filter((m): m is { profile: Profile; joined: string } => m.profile !== undefined);
  const filter = ctx.query.get('filter');
  for (const [op, field, value] of filter === null ? [] : parseFilter(filter)) {
    if (field === 'email' || field === 'phone_number') {
      const norm = (v: unknown) => (field === 'email' && typeof v === 'string' ? v.toLowerCase() : v);
      if (op === 'equals') members = members.filter((m) => m.profile[field] === norm(value));
      else if (op === 'any' && Array.isArray(value)) {
        const set = new Set(value.map(norm));
        members = members.filter((m) => set.has(m.profile[field]));
      } else throw badFilter(`Operator ${op} is not allowed on ${field}.`);
    } else if (field === 'joined_group_at' && TIME_OPS[op] !== undefined) {
      const t = instant(value);
      members = members.filter((m) => TIME_OPS[op]!(Date.parse(m.joined), t));
    } else if (
      (field === 'push_token' && (op === 'equals' || op === 'any')) ||
      (field === '_kx' && op === 'equals')
    ) {
      members = [];
    } else throw badFilter(`Operator ${op} is not allowed on ${field} for list members.`);
  }
  return sortBy(ctx, members, { joined_group_at: (m) => m.joined });
}

function memberIds(ctx: Ctx): string[] {
  const data = (ctx.body as { data?: unknown } | null)?.data;
  const items = arrayAt(data, '/data', 1000, 'profiles');
  return items.map((item, i) => {
    const it = item as { type?: unknown; id?: unknown };
    if (it.type !== 'profile' || typeof it.id !== 'string')
      throw invalid('Each entry must be {type: "profile", id}.', `/data/${i}`);
    if (!ctx.store.profiles.has(it.id)) throw invalid(`Profile ${it.id} does not exist.`, `/data/${i}/id`);
    return it.id;
  });
}

const present = <T>(value: T | null | undefined): value is T => value !== undefined && value !== null;

function subscriptionProfiles(
  ctx: Ctx,
  type: string,
  max: number,
): { attrs: Record<string, unknown>; subs: Record<string, unknown> }[] {
  const d = dataOf(ctx, type);
  const profiles = arrayAt(
    (attributesOf(d).profiles as { data?: unknown } | undefined)?.data,
    '/data/attributes/profiles/data',
    max,
    'profiles',
  );
  return profiles.map((p, i) => {
    const a = (p as { attributes?: Record<string, unknown> }).attributes ?? {};
    const subs = (a.subscriptions ?? {}) as Record<string, unknown>;
    const { subscriptions: _s, ...attrs } = a;
    const at = `/data/attributes/profiles/data/${i}/attributes`;
    if (attrs.email === undefined && attrs.phone_number === undefined)
      throw invalid('A profile needs an email or a phone_number.', at);
    // Email consent belongs to an email address and SMS consent to a phone number: a channel
    // without its identifier cannot be changed (https://developers.klaviyo.com/en/docs/collect_email_and_sms_consent_via_api).
    if (present(subs.email) && !present(attrs.email))
      throw invalid("Email consent needs the profile's email.", `${at}/email`);
    if (present(subs.sms) && !present(attrs.phone_number))
      throw invalid("SMS consent needs the profile's phone_number.", `${at}/phone_number`);
    const problem = ctx.store.validateAttributes(attrs);
    if (problem !== null)
      throw invalid(problem.detail, `${at}${problem.pointer.replace(/^\/data\/attributes/, '')}`);
    return { attrs, subs };
  });
}

function suppressionJob(
  ctx: Ctx,
  type: 'profile-suppression-bulk-create-job' | 'profile-suppression-bulk-delete-job',
): Answer {
  const d = dataOf(ctx, type);
  const profiles = arrayAt(
    (attributesOf(d).profiles as { data?: unknown } | undefined)?.data,
    '/data/attributes/profiles/data',
    100,
    'emails',
  );
  let skipped = 0;
  for (const p of profiles) {
    const email = String((p as { attributes?: { email?: unknown } }).attributes?.email ?? '').toLowerCase();
    const result = ctx.store.upsert({ email }, false);
    if ('conflict' in result) {
      skipped += 1;
      continue;
    }
    const marketing = result.profile.subscriptions.email.marketing;
    if (type === 'profile-suppression-bulk-create-job') {
      if (!marketing.suppression.some((s) => s.reason === 'USER_SUPPRESSED'))
        marketing.suppression.push({ reason: 'USER_SUPPRESSED', timestamp: ctx.store.now() });
    } else {
      // Unsuppress lifts only USER_SUPPRESSED; bounces and unsubscribes stay (docs/klaviyo-api.md#lists-and-consent).
      marketing.suppression = marketing.suppression.filter((s) => s.reason !== 'USER_SUPPRESSED');
    }
  }
  const now = ctx.store.now();
  const job = {
    id: ctx.store.newId('suppression-job'),
    type,
    status: 'complete' as const,
    created_at: now,
    completed_at: now,
    total_count: profiles.length,
    completed_count: profiles.length - skipped,
    skipped_count: skipped,
  };
  ctx.store.suppressionJobs.set(job.id, job);
  return {
    status: 202,
    body: {
      data: {
        type,
        id: job.id,
        attributes: {
          status: job.status,
          created_at: job.created_at,
          total_count: job.total_count,
          completed_count: job.completed_count,
          completed_at: job.completed_at,
          skipped_count: job.skipped_count,
        },
        relationships: { lists: { data: [] }, segments: { data: [] } },
        links: { self: `${ctx.base}/api/${type}s/${job.id}/` },
      },
    },
  };
}

function eventResource(ctx: Ctx, e: StoredEvent): unknown {
  return {
    type: 'event',
    id: e.id,
    attributes: {
      timestamp: Math.floor(Date.parse(e.datetime) / 1000),
      event_properties: e.value === null ? e.properties : { ...e.properties, $value: e.value },
      datetime: e.datetime,
      uuid: e.id,
    },
    relationships: {
      metric: { data: { type: 'metric', id: e.metricId } },
      profile: { data: { type: 'profile', id: e.profileId } },
    },
    links: { self: `${ctx.base}/api/events/${e.id}/` },
  };
}

function metricResource(ctx: Ctx, m: { id: string; name: string; created: string }): unknown {
  return {
    type: 'metric',
    id: m.id,
    attributes: { name: m.name, created: m.created, updated: m.created, integration: null },
    links: { self: `${ctx.base}/api/metrics/${m.id}/` },
  };
}

/** The relationships `include=a,b` asks for, each one the resource allows (400 naming it otherwise). */
function includes(ctx: Ctx, allowed: string[], resource: string): string[] {
  const names = (ctx.query.get('include') ?? '').split(',').filter((x) => x !== '');
  for (const name of names)
    if (!allowed.includes(name))
      throw badParameter('include', `'${name}' is not a valid relationship to include for ${resource}.`);
  return names;
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

// ---- the table ---------------------------------------------------------------------------------
const ID = '([^/]+)';
const route = (method: string, path: string, operationId: string, handler: Handler): Route => ({
  method,
  pattern: new RegExp(`^${path.replaceAll('{id}', ID)}/?$`),
  operationId,
  handler,
});

export const ROUTES: Route[] = [
  route('POST', '/api/profile-bulk-import-jobs', 'bulk_import_profiles', submitImport),
  route('GET', '/api/profile-bulk-import-jobs', 'get_bulk_import_profiles_jobs', (ctx) => {
    let jobs = [...ctx.store.importJobs.values()];
    const filter = ctx.query.get('filter');
    if (filter !== null) {
      for (const [op, field, value] of parseFilter(filter)) {
        if (field !== 'status' || (op !== 'any' && op !== 'equals'))
          throw badFilter(`Operator ${op} is not allowed on ${field} for import jobs.`);
        const allowed = op === 'any' && Array.isArray(value) ? value : [value];
        jobs = jobs.filter((j) => allowed.includes(j.status));
      }
    }
    jobs = sortBy(ctx, jobs, { created_at: (j) => j.created_at });
    const page = paginate(jobs, ctx.query, 100, 20);
    return collection(
      ctx,
      page.items.map((j) => jobResource(ctx, j)),
      page.next,
      page.prev,
    );
  }),
  route('GET', '/api/profile-bulk-import-jobs/{id}', 'get_bulk_import_profiles_job', (ctx) => {
    const job = jobOr404(ctx);
    const include = includes(ctx, ['lists'], 'a profile bulk import job');
    const lists = job.listIds.flatMap((id) => {
      const l = ctx.store.lists.get(id);
      return l === undefined ? [] : [listResource(ctx, l)];
    });
    return {
      status: 200,
      body: { data: jobResource(ctx, job), ...(include.length > 0 ? { included: lists } : {}) },
    };
  }),
  route(
    'GET',
    '/api/profile-bulk-import-jobs/{id}/import-errors',
    'get_errors_for_bulk_import_profiles_job',
    (ctx) => {
      const page = paginate(jobOr404(ctx).errors, ctx.query, 100, 20);
      return collection(
        ctx,
        page.items.map((e) => ({
          type: 'import-error',
          id: e.id,
          attributes: {
            code: e.code,
            title: e.title,
            detail: e.detail,
            source: e.source,
            original_payload: e.original_payload,
          },
        })),
        page.next,
        page.prev,
      );
    },
  ),
  route(
    'GET',
    '/api/profile-bulk-import-jobs/{id}/profiles',
    'get_profiles_for_bulk_import_profiles_job',
    (ctx) => {
      const job = jobOr404(ctx);
      const page = paginate(
        job.profileIds.map((id) => ctx.store.profiles.get(id)!).filter(Boolean),
        ctx.query,
        100,
        20,
      );
      return collection(
        ctx,
        page.items.map((p) => profileResource(ctx, p, additional(ctx))),
        page.next,
        page.prev,
      );
    },
  ),
  route(
    'GET',
    '/api/profile-bulk-import-jobs/{id}/relationships/profiles',
    'get_profile_ids_for_bulk_import_profiles_job',
    (ctx) => {
      const page = paginate(jobOr404(ctx).profileIds, ctx.query, 100, 20);
      return collection(
        ctx,
        page.items.map((id) => ({ type: 'profile', id })),
        page.next,
        page.prev,
      );
    },
  ),
  route('POST', '/api/profile-import', 'create_or_update_profile', (ctx) =>
    singleProfileWrite(ctx, 'import'),
  ),
  route('POST', '/api/profiles', 'create_profile', (ctx) => singleProfileWrite(ctx, 'create')),
  route('PATCH', '/api/profiles/{id}', 'update_profile', (ctx) => singleProfileWrite(ctx, 'update')),
  route('GET', '/api/profiles', 'get_profiles', (ctx) => {
    return profilePage(ctx, sortProfiles(ctx, profileFilter(ctx, [...ctx.store.profiles.values()])));
  }),
  route('GET', '/api/profiles/{id}', 'get_profile', (ctx) => {
    const p = ctx.store.profiles.get(ctx.params[0]!);
    if (p === undefined) throw notFound(`Profile ${ctx.params[0]} was not found.`);
    return { status: 200, body: { data: profileResource(ctx, p, additional(ctx)) } };
  }),
  route('POST', '/api/events', 'create_event', (ctx) => {
    const a = attributesOf(dataOf(ctx, 'event'));
    const profileAttrs =
      (a.profile as { data?: { attributes?: Record<string, unknown> } } | undefined)?.data?.attributes ?? {};
    const event = readEvent(a, '/data/attributes', false);
    storeEvent(ctx, profileForEvent(ctx, profileAttrs, '/data/attributes/profile'), event);
    return { status: 202 };
  }),
  route('POST', '/api/event-bulk-create-jobs', 'bulk_create_events', bulkCreateEvents),
  route('GET', '/api/events', 'get_events', (ctx) => {
    let events = [...ctx.store.events];
    const filter = ctx.query.get('filter');
    for (const [op, field, value] of filter === null ? [] : parseFilter(filter)) {
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
  route('GET', '/api/metrics', 'get_metrics', (ctx) => {
    let metrics = [...ctx.store.metrics.values()];
    const filter = ctx.query.get('filter');
    for (const [op, field] of filter === null ? [] : parseFilter(filter)) {
      if ((field === 'integration.name' || field === 'integration.category') && op === 'equals') {
        // Metrics the sandbox creates come from the API, with no integration: none matches.
        metrics = [];
      } else throw badFilter(`Operator ${op} is not allowed on ${field} for metrics.`);
    }
    const page = paginate(metrics, ctx.query, 200, 200);
    return collection(
      ctx,
      page.items.map((m) => metricResource(ctx, m)),
      page.next,
      page.prev,
    );
  }),
  route('GET', '/api/metrics/{id}', 'get_metric', (ctx) => {
    const m = ctx.store.metrics.get(ctx.params[0]!);
    if (m === undefined) throw notFound(`Metric ${ctx.params[0]} was not found.`);
    return {
      status: 200,
      body: { data: metricResource(ctx, m), links: { self: `${ctx.base}/api/metrics/${m.id}/` } },
    };
  }),
  route('GET', '/api/lists', 'get_lists', (ctx) => {
    let lists = [...ctx.store.lists.values()];
    const filter = ctx.query.get('filter');
    for (const [op, field, value] of filter === null ? [] : parseFilter(filter)) {
      if ((field === 'name' || field === 'id') && op === 'equals')
        lists = lists.filter((l) => l[field] === value);
      else if ((field === 'name' || field === 'id') && op === 'any' && Array.isArray(value))
        lists = lists.filter((l) => value.includes(l[field]));
      else if ((field === 'created' || field === 'updated') && op === 'greater-than') {
        const t = instant(value);
        lists = lists.filter((l) => Date.parse(l[field]) > t);
      } else throw badFilter(`Operator ${op} is not allowed on ${field} for lists.`);
    }
    lists = sortBy(ctx, lists, {
      created: (l) => l.created,
      id: (l) => l.id,
      name: (l) => l.name,
      updated: (l) => l.updated,
    });
    const page = paginate(lists, ctx.query, 10, 10);
    return collection(
      ctx,
      page.items.map((l) => listResource(ctx, l)),
      page.next,
      page.prev,
    );
  }),
  route('POST', '/api/lists', 'create_list', (ctx) => {
    const name = attributesOf(dataOf(ctx, 'list')).name;
    if (typeof name !== 'string' || name === '') throw invalid('name is required.', '/data/attributes/name');
    const now = ctx.store.now();
    const list = {
      id: ctx.store.newId('list', 6),
      name,
      created: now,
      updated: now,
      members: new Map<string, string>(),
    };
    ctx.store.lists.set(list.id, list);
    return { status: 201, body: { data: listResource(ctx, list) } };
  }),
  route('GET', '/api/lists/{id}', 'get_list', (ctx) => ({
    status: 200,
    body: { data: listResource(ctx, listOr404(ctx)) },
  })),
  route('POST', '/api/lists/{id}/relationships/profiles', 'add_profiles_to_list', (ctx) => {
    const list = listOr404(ctx);
    for (const id of memberIds(ctx)) if (!list.members.has(id)) list.members.set(id, ctx.store.now());
    return { status: 204 };
  }),
  route('DELETE', '/api/lists/{id}/relationships/profiles', 'remove_profiles_from_list', (ctx) => {
    const list = listOr404(ctx);
    for (const id of memberIds(ctx)) list.members.delete(id);
    return { status: 204 };
  }),
  route('GET', '/api/lists/{id}/relationships/profiles', 'get_profile_ids_for_list', (ctx) => {
    const page = paginate(listMembers(ctx), ctx.query, 100, 20);
    return collection(
      ctx,
      page.items.map((m) => ({ type: 'profile', id: m.profile.id })),
      page.next,
      page.prev,
    );
  }),
  route('GET', '/api/lists/{id}/profiles', 'get_profiles_for_list', (ctx) => {
    const page = paginate(listMembers(ctx), ctx.query, 100, 20);
    return collection(
      ctx,
      page.items.map((m) => profileResource(ctx, m.profile, additional(ctx), { joined_group_at: m.joined })),
      page.next,
      page.prev,
    );
  }),
  route('POST', '/api/profile-subscription-bulk-create-jobs', 'bulk_subscribe_profiles', (ctx) => {
    const d = dataOf(ctx, 'profile-subscription-bulk-create-job');
    const historical = attributesOf(d).historical_import === true;
    const listId = (d.relationships as { list?: { data?: { id?: string } } } | undefined)?.list?.data?.id;
    if (listId !== undefined && !ctx.store.lists.has(listId))
      throw invalid(`List ${listId} does not exist.`, '/data/relationships/list');
    const entries = subscriptionProfiles(ctx, 'profile-subscription-bulk-create-job', 1000);
    // consented_at goes only with historical_import, which then needs it on every subscription, in
    // the past (docs/klaviyo-api.md#lists-and-consent, bulk_subscribe_profiles).
    entries.forEach(({ subs }, i) => {
      for (const channel of ['email', 'sms'] as const) {
        const marketing = (subs[channel] as { marketing?: { consented_at?: unknown } } | undefined)
          ?.marketing;
        if (marketing === undefined) continue;
        const consentedAt = marketing.consented_at;
        const pointer = `/data/attributes/profiles/data/${i}/attributes/subscriptions/${channel}/marketing/consented_at`;
        if (consentedAt !== undefined && consentedAt !== null && !historical)
          throw invalid(
            'consented_at may only be sent with historical_import: true.',
            '/data/attributes/historical_import',
          );
        if (!historical) continue;
        if (consentedAt === undefined || consentedAt === null)
          throw invalid('consented_at is required when historical_import is true.', pointer);
        const at = Date.parse(String(consentedAt));
        if (Number.isNaN(at) || at > Date.now())
          throw invalid('consented_at must be a date-time in the past.', pointer);
      }
    });
    for (const { attrs, subs } of entries) {
      const result = ctx.store.upsert(attrs, false);
      if ('conflict' in result) continue;
      const p = result.profile;
      const email = (subs.email as { marketing?: { consent?: string; consented_at?: string } } | undefined)
        ?.marketing;
      if (email?.consent === 'SUBSCRIBED')
        Object.assign(p.subscriptions.email.marketing, {
          consent: 'SUBSCRIBED',
          consented_at: email.consented_at ?? ctx.store.now(),
        });
      const sms = (subs.sms as { marketing?: { consent?: string; consented_at?: string } } | undefined)
        ?.marketing;
      if (sms?.consent === 'SUBSCRIBED')
        Object.assign(p.subscriptions.sms.marketing, {
          consent: 'SUBSCRIBED',
          consented_at: sms.consented_at ?? ctx.store.now(),
        });
      if (listId !== undefined) ctx.store.lists.get(listId)!.members.set(p.id, ctx.store.now());
    }
    return { status: 202 };
  }),
  route('POST', '/api/profile-subscription-bulk-delete-jobs', 'bulk_unsubscribe_profiles', (ctx) => {
    // As bulk_unsubscribe_profiles documents it: consent on each channel named becomes UNSUBSCRIBED
    // (the only value it takes); a profile no identifier matches is created, then unsubscribed;
    // with a list, the profiles are also taken off that list
    // (https://developers.klaviyo.com/en/reference/bulk_unsubscribe_profiles).
    const d = dataOf(ctx, 'profile-subscription-bulk-delete-job');
    const listId = (d.relationships as { list?: { data?: { id?: string } } } | undefined)?.list?.data?.id;
    if (listId !== undefined && !ctx.store.lists.has(listId))
      throw invalid(`List ${listId} does not exist.`, '/data/relationships/list');
    const entries = subscriptionProfiles(ctx, 'profile-subscription-bulk-delete-job', 100);
    entries.forEach(({ subs }, i) => {
      const at = `/data/attributes/profiles/data/${i}/attributes/subscriptions`;
      if (!['email', 'sms', 'whatsapp', 'push'].some((channel) => present(subs[channel])))
        throw invalid('Name at least one channel to unsubscribe from.', at);
      for (const channel of ['email', 'sms'] as const) {
        const marketing = (subs[channel] as { marketing?: { consent?: unknown } } | null | undefined)
          ?.marketing;
        if (present(marketing) && marketing.consent !== 'UNSUBSCRIBED')
          throw invalid('consent must be "UNSUBSCRIBED".', `${at}/${channel}/marketing/consent`);
      }
    });
    for (const { attrs, subs } of entries) {
      const result = ctx.store.upsert(attrs, false);
      if ('conflict' in result) continue;
      const p = result.profile;
      const now = ctx.store.now();
      if (present((subs.email as { marketing?: unknown } | null | undefined)?.marketing))
        Object.assign(p.subscriptions.email.marketing, { consent: 'UNSUBSCRIBED', consented_at: now });
      if (present((subs.sms as { marketing?: unknown } | null | undefined)?.marketing))
        Object.assign(p.subscriptions.sms.marketing, { consent: 'UNSUBSCRIBED', consented_at: now });
      if (listId !== undefined) ctx.store.lists.get(listId)!.members.delete(p.id);
    }
    return { status: 202 };
  }),
  route('POST', '/api/profile-suppression-bulk-create-jobs', 'bulk_suppress_profiles', (ctx) =>
    suppressionJob(ctx, 'profile-suppression-bulk-create-job'),
  ),
  route('POST', '/api/profile-suppression-bulk-delete-jobs', 'bulk_unsuppress_profiles', (ctx) =>
    suppressionJob(ctx, 'profile-suppression-bulk-delete-job'),
  ),
  ...(['create', 'delete'] as const).flatMap((kind) => {
    const type = `profile-suppression-bulk-${kind}-job` as const;
    const ops =
      kind === 'create'
        ? ['get_bulk_suppress_profiles_jobs', 'get_bulk_suppress_profiles_job']
        : ['get_bulk_unsuppress_profiles_jobs', 'get_bulk_unsuppress_profiles_job'];
    const resource = (ctx: Ctx, job: SuppressionJob) => {
      const { id, type: t, ...attributes } = job;
      return {
        type: t,
        id,
        attributes,
        relationships: { lists: { data: [] }, segments: { data: [] } },
        links: { self: `${ctx.base}/api/${t}s/${id}/` },
      };
    };
    return [
      route('GET', `/api/${type}s`, ops[0]!, (ctx) => {
        const page = paginate(
          [...ctx.store.suppressionJobs.values()].filter((j) => j.type === type),
          ctx.query,
          100,
          20,
        );
        return collection(
          ctx,
          page.items.map((j) => resource(ctx, j)),
          page.next,
          page.prev,
        );
      }),
      route('GET', `/api/${type}s/{id}`, ops[1]!, (ctx) => {
        const job = ctx.store.suppressionJobs.get(ctx.params[0]!);
        if (job === undefined || job.type !== type)
          throw notFound(`Suppression job ${ctx.params[0]} was not found.`);
        return { status: 200, body: { data: resource(ctx, job) } };
      }),
    ];
  }),
  route('GET', '/api/profile-bulk-import-jobs/{id}/lists', 'get_list_for_bulk_import_profiles_job', (ctx) => {
    const job = jobOr404(ctx);
    return collection(
      ctx,
      job.listIds
        .map((id) => ctx.store.lists.get(id))
        .filter((l) => l !== undefined)
        .map((l) => listResource(ctx, l)),
      null,
    );
  }),
  route(
    'GET',
    '/api/profile-bulk-import-jobs/{id}/relationships/lists',
    'get_list_ids_for_bulk_import_profiles_job',
    (ctx) =>
      collection(
        ctx,
        jobOr404(ctx).listIds.map((id) => ({ type: 'list', id })),
        null,
      ),
  ),
];
