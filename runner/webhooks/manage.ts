/**
 * `klaviyo-runner webhooks create|list|delete`: the account's system-webhook subscriptions through
 * Klaviyo's Webhooks API (docs/webhooks.md#managing-subscriptions). The secret Klaviyo signs with
 * is the one the receiver verifies with, `KLAVIYO_WEBHOOK_SECRET`, so the two cannot drift apart.
 */
import { ConfigError } from '../errors.ts';
import { KlaviyoClient, type ClientOptions } from '../klaviyo/client.ts';
import {
  createWebhook,
  deleteWebhook,
  listWebhooks,
  topicsOf,
  type WebhookResource,
} from '../klaviyo/webhooks.ts';

export interface Subscription {
  id: string;
  name: string;
  endpointUrl: string;
  enabled: boolean;
  topics: string[];
}

/** Klaviyo's topic ids: `event:klaviyo.<metric>` for its own metrics, `event:<source>.<metric>` otherwise. */
const TOPIC = /^[a-z]+:[A-Za-z0-9_.:-]+$/;
/** Klaviyo asks for a secret of at least 16 characters (docs/webhooks.md#managing-subscriptions). */
const MIN_SECRET = 16;

const subscription = (w: WebhookResource): Subscription => ({
  id: w.id,
  name: w.attributes.name,
  endpointUrl: w.attributes.endpoint_url,
  enabled: w.attributes.enabled,
  topics: topicsOf(w),
});

async function withClient<T>(options: ClientOptions | undefined, run: (c: KlaviyoClient) => Promise<T>) {
  const client = new KlaviyoClient(options);
  try {
    return await run(client);
  } finally {
    await client.close();
  }
}

export async function createSubscription(
  request: { name: string; url: string; topics: string[]; description?: string; client?: ClientOptions },
  env: NodeJS.ProcessEnv = process.env,
): Promise<Subscription> {
  const problems: string[] = [];
  const secret = env.KLAVIYO_WEBHOOK_SECRET ?? '';
  if (secret.length < MIN_SECRET)
    problems.push(
      `KLAVIYO_WEBHOOK_SECRET must be set to a secret of at least ${MIN_SECRET} characters (Klaviyo signs deliveries with it; the receiver verifies with it).`,
    );
  let url: URL | null = null;
  try {
    url = new URL(request.url);
  } catch {
    problems.push(`--url ${request.url} is not a URL.`);
  }
  if (url !== null && url.protocol !== 'https:' && url.protocol !== 'http:')
    problems.push(`--url ${request.url} must be https:// (Klaviyo delivers only to https).`);
  if (request.topics.length === 0)
    problems.push('--topic is required at least once, e.g. --topic event:klaviyo.email_delivered.');
  for (const t of request.topics)
    if (!TOPIC.test(t))
      problems.push(`--topic ${t} is not a topic id such as event:klaviyo.email_delivered.`);
  if (request.name.trim() === '') problems.push('--name must not be empty.');
  if (problems.length > 0) throw new ConfigError('Cannot create the webhook:', problems);
  return withClient(request.client, async (client) =>
    subscription(
      await createWebhook(client, {
        name: request.name,
        endpointUrl: request.url,
        secretKey: secret,
        topics: request.topics,
        description: request.description,
      }),
    ),
  );
}

export function listSubscriptions(client?: ClientOptions): Promise<Subscription[]> {
  return withClient(client, async (c) => (await listWebhooks(c)).map(subscription));
}

export function deleteSubscription(id: string, client?: ClientOptions): Promise<void> {
  if (id.trim() === '')
    throw new ConfigError('webhooks delete needs the id of a webhook (see `webhooks list`).');
  return withClient(client, (c) => deleteWebhook(c, id));
}
