/** Profile bulk import jobs: submitted, moved along their lifecycle by time, read back with their errors, profiles and lists. */
import { attributesProblem } from '../profile-attributes.ts';
import type { Faults } from '../faults.ts';
import { invalid, notFound } from '../jsonapi.ts';
import type { ImportJob, Store } from '../store.ts';
import { badFilter, collection, filtersOf, pageOf, sortBy } from './query.ts';
import { additional, jobResource, listResource, profileResource } from './resources.ts';
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
      // Imported: the profiles hold what the rows said, and the rows are let go.
      job.rows = [];
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
    const problem = attributesProblem(attributes);
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
  const rows = arrayAt(
    profiles,
    '/data/attributes/profiles/data',
    BATCH_LIMITS.profilesPerImportJob,
    'profiles',
  );
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

export const JOB_ROUTES: Route[] = [
  route('POST', '/api/profile-bulk-import-jobs', 'bulk_import_profiles', submitImport),
  route('GET', '/api/profile-bulk-import-jobs', 'get_bulk_import_profiles_jobs', (ctx) => {
    let jobs = [...ctx.store.importJobs.values()];
    for (const [op, field, value] of filtersOf(ctx)) {
      if (field !== 'status' || (op !== 'any' && op !== 'equals'))
        throw badFilter(`Operator ${op} is not allowed on ${field} for import jobs.`);
      const allowed = op === 'any' && Array.isArray(value) ? value : [value];
      jobs = jobs.filter((j) => allowed.includes(j.status));
    }
    jobs = sortBy(ctx, jobs, { created_at: (j) => j.created_at });
    return pageOf(ctx, jobs, 100, 20, (j) => jobResource(ctx, j));
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
      return pageOf(ctx, jobOr404(ctx).errors, 100, 20, (e) => ({
        type: 'import-error',
        id: e.id,
        attributes: {
          code: e.code,
          title: e.title,
          detail: e.detail,
          source: e.source,
          original_payload: e.original_payload,
        },
      }));
    },
  ),
  route(
    'GET',
    '/api/profile-bulk-import-jobs/{id}/profiles',
    'get_profiles_for_bulk_import_profiles_job',
    (ctx) => {
      const job = jobOr404(ctx);
      return pageOf(
        ctx,
        job.profileIds.map((id) => ctx.store.profiles.get(id)!).filter(Boolean),
        100,
        20,
        (p) => profileResource(ctx, p, additional(ctx)),
      );
    },
  ),
  route(
    'GET',
    '/api/profile-bulk-import-jobs/{id}/relationships/profiles',
    'get_profile_ids_for_bulk_import_profiles_job',
    (ctx) => {
      return pageOf(ctx, jobOr404(ctx).profileIds, 100, 20, (id) => ({ type: 'profile', id }));
    },
  ),
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
