/** The JSON:API resources the sandbox answers with, shaped as Klaviyo's (revision 2026-07-15). */
import type { ImportJob, Profile, StoredEvent } from '../store.ts';
import type { Ctx } from './route.ts';

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

export function profileResource(
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

export function jobResource(ctx: Ctx, job: ImportJob): unknown {
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

export function listResource(
  ctx: Ctx,
  l: { id: string; name: string; created: string; updated: string },
): unknown {
  return {
    type: 'list',
    id: l.id,
    attributes: { name: l.name, created: l.created, updated: l.updated, opt_in_process: 'single_opt_in' },
    links: { self: `${ctx.base}/api/lists/${l.id}/` },
  };
}

/** An event as Klaviyo serves it; the webhook deliveries (deliver.ts) carry the same resource. */
export function eventResource(ctx: Pick<Ctx, 'base'>, e: StoredEvent): unknown {
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

export function metricResource(ctx: Ctx, m: { id: string; name: string; created: string }): unknown {
  return {
    type: 'metric',
    id: m.id,
    attributes: { name: m.name, created: m.created, updated: m.created, integration: null },
    links: { self: `${ctx.base}/api/metrics/${m.id}/` },
  };
}

/** The `additional-fields[profile]` the request asks for. */
export const additional = (ctx: Ctx) =>
  (ctx.query.get('additional-fields[profile]') ?? '').split(',').filter((f) => f !== '');
