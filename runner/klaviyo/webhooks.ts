/**
 * Klaviyo's Webhooks API: the system-webhook subscriptions of the account, created with a secret
 * key and topics, listed with their topics, deleted by id (docs/webhooks.md#managing-subscriptions,
 * https://developers.klaviyo.com/en/reference/webhooks). Klaviyo answers with the endpoint URL
 * truncated, so a listing shows where a webhook points only roughly.
 */
import { nullableString, object, readOne, readPages, shape, string } from './answers.ts';
import type { KlaviyoClient } from './client.ts';

export interface WebhookResource {
  id: string;
  attributes: {
    name: string;
    endpoint_url: string;
    description?: string | null;
    enabled: boolean;
    created_at?: string | null;
  };
  relationships?: { 'webhook-topics'?: { data?: { id: string }[] } };
}

const array = (items: object) => ({ type: 'array', items });

const WEBHOOK = shape<WebhookResource>(
  'klaviyo_webhook',
  object(
    {
      id: string,
      attributes: object(
        {
          name: string,
          endpoint_url: string,
          description: nullableString,
          enabled: { type: 'boolean' },
          created_at: nullableString,
        },
        ['name', 'endpoint_url', 'enabled'],
      ),
      relationships: object({
        'webhook-topics': object({ data: array(object({ id: string }, ['id'])) }),
      }),
    },
    ['id', 'attributes'],
  ),
);

export interface NewWebhook {
  name: string;
  endpointUrl: string;
  secretKey: string;
  topics: string[];
  description?: string;
}

export function createWebhook(client: KlaviyoClient, webhook: NewWebhook): Promise<WebhookResource> {
  return readOne(client, WEBHOOK, 'create_webhook', 'POST', '/api/webhooks', {
    data: {
      type: 'webhook',
      attributes: {
        name: webhook.name,
        endpoint_url: webhook.endpointUrl,
        secret_key: webhook.secretKey,
        ...(webhook.description !== undefined ? { description: webhook.description } : {}),
      },
      relationships: {
        'webhook-topics': { data: webhook.topics.map((id) => ({ type: 'webhook-topic', id })) },
      },
    },
  });
}

/** Every webhook of the account, each with the topics it is subscribed to. */
export async function listWebhooks(client: KlaviyoClient): Promise<WebhookResource[]> {
  const all: WebhookResource[] = [];
  for await (const page of readPages(client, WEBHOOK, 'get_webhooks', '/api/webhooks?include=webhook-topics'))
    all.push(...page);
  return all;
}

export async function deleteWebhook(client: KlaviyoClient, id: string): Promise<void> {
  await client.call('delete_webhook', 'DELETE', `/api/webhooks/${encodeURIComponent(id)}`);
}

/** The topics a webhook is subscribed to, e.g. `event:klaviyo.email_delivered`. */
export const topicsOf = (w: WebhookResource): string[] =>
  (w.relationships?.['webhook-topics']?.data ?? []).map((t) => t.id);
