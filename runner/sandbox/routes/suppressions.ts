/** Suppressions: bulk suppress and unsuppress by email, and reading those jobs back. */
import { notFound } from '../jsonapi.ts';
import type { SuppressionJob } from '../store.ts';
import { pageOf } from './query.ts';
import { arrayAt, attributesOf, dataOf, route, type Answer, type Ctx, type Route } from './route.ts';

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

export const SUPPRESSION_ROUTES: Route[] = [
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
        return pageOf(
          ctx,
          [...ctx.store.suppressionJobs.values()].filter((j) => j.type === type),
          100,
          20,
          (j) => resource(ctx, j),
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
];
