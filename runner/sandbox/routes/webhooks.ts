/**
 * The Webhooks API (docs/webhooks.md#managing-subscriptions): create, list, read and delete an
 * account's system webhooks, and list the topics its metrics offer. Deliveries are deliver.ts's.
 */
import { deliveriesOf, pump, topicOf, type SandboxWebhook } from '../deliver.ts';
import { invalid, notFound } from '../jsonapi.ts';
import { attributesOf, dataOf, includes, route, type Ctx, type Route } from './route.ts';

/** Klaviyo requires https; the sandbox also takes http on loopback, so a local receiver needs no TLS. */
function endpointProblem(value: unknown): string | null {
  if (typeof value !== 'string' || value === '') return '`endpoint_url` is required.';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return '`endpoint_url` is not a valid URL.';
  }
  if (url.protocol === 'https:') return null;
  const loopback = ['localhost', '[::1]'].includes(url.hostname) || /^127\./.test(url.hostname);
  if (url.protocol === 'http:' && loopback) return null;
  return '`endpoint_url` must be https.';
}

function webhookResource(ctx: Ctx, w: SandboxWebhook, withTopics: boolean): Record<string, unknown> {
  const u = new URL(w.endpointUrl);
  return {
    type: 'webhook',
    id: w.id,
    attributes: {
      name: w.name,
      description: w.description,
      // Klaviyo answers with the URL truncated, for security: scheme and host only.
      endpoint_url: `${u.protocol}//${u.host}`,
      enabled: w.enabled,
      created_at: w.created_at,
      updated_at: w.updated_at,
    },
    ...(withTopics
      ? {
          relationships: {
            'webhook-topics': {
              data: w.topics.map((id) => ({ type: 'webhook-topic', id })),
              links: {
                self: `${ctx.base}/api/webhooks/${w.id}/relationships/webhook-topics/`,
                related: `${ctx.base}/api/webhooks/${w.id}/webhook-topics/`,
              },
            },
          },
        }
      : {}),
    links: { self: `${ctx.base}/api/webhooks/${w.id}/` },
  };
}

const topicResource = (ctx: Ctx, id: string) => ({
  type: 'webhook-topic',
  id,
  links: { self: `${ctx.base}/api/webhook-topics/${encodeURIComponent(id)}/` },
});

function webhookOf(ctx: Ctx): SandboxWebhook {
  const w = deliveriesOf(ctx.store, ctx.base).webhooks.get(ctx.params[0]!);
  if (w === undefined) throw notFound(`Webhook ${ctx.params[0]} was not found.`);
  return w;
}

export const WEBHOOK_ROUTES: Route[] = [
  route('POST', '/api/webhooks', 'create_webhook', (ctx) => {
    const d = dataOf(ctx, 'webhook');
    const a = attributesOf(d);
    if (typeof a.name !== 'string' || a.name === '')
      throw invalid('`name` is required.', '/data/attributes/name');
    const problem = endpointProblem(a.endpoint_url);
    if (problem !== null) throw invalid(problem, '/data/attributes/endpoint_url');
    if (typeof a.secret_key !== 'string' || a.secret_key === '')
      throw invalid('`secret_key` is required.', '/data/attributes/secret_key');
    const rel = (d.relationships as Record<string, { data?: unknown }> | undefined)?.['webhook-topics'];
    if (!Array.isArray(rel?.data) || rel.data.length === 0)
      throw invalid('At least one webhook topic is required.', '/data/relationships/webhook-topics/data');
    const topics: string[] = [];
    for (const [i, t] of rel.data.entries()) {
      const topic = t as { type?: unknown; id?: unknown };
      if (topic.type !== 'webhook-topic' || typeof topic.id !== 'string' || !/^event:[^\s]+$/.test(topic.id))
        throw invalid(
          'Each topic must be {"type": "webhook-topic", "id": "event:..."}.',
          `/data/relationships/webhook-topics/data/${i}`,
        );
      topics.push(topic.id);
    }
    const deliveries = deliveriesOf(ctx.store, ctx.base);
    const now = ctx.store.now();
    const webhook: SandboxWebhook = {
      id: ctx.store.newId('webhook'),
      name: a.name,
      description: typeof a.description === 'string' ? a.description : null,
      endpointUrl: a.endpoint_url as string,
      secretKey: a.secret_key,
      topics,
      enabled: true,
      created_at: now,
      updated_at: now,
      done: new Set(ctx.store.events.map((e) => e.id)),
      failures: 0,
      nextAttemptAt: 0,
      inFlight: false,
    };
    deliveries.webhooks.set(webhook.id, webhook);
    pump(ctx.store, deliveries);
    return {
      status: 201,
      body: { data: webhookResource(ctx, webhook, true), links: { self: `${ctx.base}/api/webhooks/` } },
    };
  }),
  route('GET', '/api/webhooks', 'get_webhooks', (ctx) => {
    const withTopics = includes(ctx, ['webhook-topics'], 'webhooks').includes('webhook-topics');
    const all = [...deliveriesOf(ctx.store, ctx.base).webhooks.values()];
    const topics = [...new Set(all.flatMap((w) => w.topics))];
    return {
      status: 200,
      body: {
        data: all.map((w) => webhookResource(ctx, w, withTopics)),
        links: { self: `${ctx.base}/api/webhooks/` },
        ...(withTopics ? { included: topics.map((id) => topicResource(ctx, id)) } : {}),
      },
    };
  }),
  route('GET', '/api/webhooks/{id}', 'get_webhook', (ctx) => {
    const withTopics = includes(ctx, ['webhook-topics'], 'webhooks').includes('webhook-topics');
    const w = webhookOf(ctx);
    return {
      status: 200,
      body: {
        data: webhookResource(ctx, w, withTopics),
        links: { self: `${ctx.base}/api/webhooks/${w.id}/` },
        ...(withTopics ? { included: w.topics.map((id) => topicResource(ctx, id)) } : {}),
      },
    };
  }),
  {
    ...route('DELETE', '/api/webhooks/{id}', 'delete_webhook', (ctx) => {
      const w = webhookOf(ctx);
      const deliveries = deliveriesOf(ctx.store, ctx.base);
      deliveries.webhooks.delete(w.id);
      pump(ctx.store, deliveries);
      return { status: 204 };
    }),
    bodyless: true,
  },
  route('GET', '/api/webhook-topics', 'get_webhook_topics', (ctx) => ({
    status: 200,
    body: {
      data: [...new Set([...ctx.store.metrics.values()].map((m) => topicOf(m.name)))].map((id) =>
        topicResource(ctx, id),
      ),
      links: { self: `${ctx.base}/api/webhook-topics/` },
    },
  })),
];
