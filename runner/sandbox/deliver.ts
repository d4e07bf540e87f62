/**
 * The sandbox's system-webhook deliveries (docs/webhooks.md#in-the-sandbox): for each webhook of an
 * account, the events the account stores after the webhook was created whose metric matches one of
 * its topics, POSTed to its endpoint as Klaviyo sends them (docs/webhooks.md#what-a-delivery-looks-like):
 * `{data: [{external_id, topic, payload}], meta}` with `Klaviyo-Webhook-Id`, `Klaviyo-Timestamp`
 * (an HTTP date) and `Klaviyo-Signature`, the hex HMAC-SHA256 of the body bytes followed by the
 * timestamp, keyed with the webhook's secret. A failed delivery is retried with a growing delay.
 *
 * Webhooks live beside the account's Store (keyed by it), so a reset sandbox starts with none; they
 * are not kept by `--persist`.
 */
import { createHmac } from 'node:crypto';
import { eventResource } from './routes/resources.ts';
import type { Store, StoredEvent } from './store.ts';

export interface SandboxWebhook {
  id: string;
  name: string;
  description: string | null;
  endpointUrl: string;
  secretKey: string;
  topics: string[];
  enabled: boolean;
  created_at: string;
  updated_at: string;
  /** Events already delivered, or stored before the webhook existed. */
  done: Set<string>;
  failures: number;
  nextAttemptAt: number;
  inFlight: boolean;
}

interface Deliveries {
  webhooks: Map<string, SandboxWebhook>;
  base: string;
  timer: NodeJS.Timeout | null;
}

/** The account id deliveries name in `meta.klaviyo_account_id`. */
export const SANDBOX_ACCOUNT_ID = 'SANDBOX';
const TICK_MS = 200;
const MAX_EVENTS_PER_DELIVERY = 100;
const MAX_BACKOFF_MS = 30_000;
const accounts = new WeakMap<Store, Deliveries>();

export function deliveriesOf(store: Store, base: string): Deliveries {
  let d = accounts.get(store);
  if (d === undefined) {
    d = { webhooks: new Map(), base, timer: null };
    accounts.set(store, d);
  }
  d.base = base;
  return d;
}

/** The topic of a metric: `event:klaviyo.` and its name in lower case, each run of other characters one `_`. */
export function topicOf(metricName: string): string {
  return `event:klaviyo.${metricName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '')}`;
}

function sign(secret: string, body: string, timestamp: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').update(timestamp, 'utf8').digest('hex');
}

async function deliver(store: Store, d: Deliveries, w: SandboxWebhook): Promise<void> {
  const due: { event: StoredEvent; topic: string }[] = [];
  for (const event of store.events) {
    if (w.done.has(event.id)) continue;
    const metric = store.metrics.get(event.metricId);
    const topic = metric === undefined ? null : topicOf(metric.name);
    if (topic === null || !w.topics.includes(topic)) {
      w.done.add(event.id);
      continue;
    }
    due.push({ event, topic });
    if (due.length >= MAX_EVENTS_PER_DELIVERY) break;
  }
  if (due.length === 0) return;
  const timestamp = new Date().toUTCString();
  const body = JSON.stringify({
    data: due.map(({ event, topic }) => ({
      external_id: event.id,
      topic,
      payload: { data: eventResource({ base: d.base }, event) },
    })),
    meta: {
      klaviyo_account_id: SANDBOX_ACCOUNT_ID,
      klaviyo_webhook_id: w.id,
      timestamp: new Date().toISOString(),
    },
  });
  let ok: boolean;
  try {
    const res = await fetch(w.endpointUrl, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'klaviyo-webhook-id': w.id,
        'klaviyo-timestamp': timestamp,
        'klaviyo-signature': sign(w.secretKey, body, timestamp),
      },
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer();
    ok = res.status >= 200 && res.status < 300;
  } catch {
    ok = false;
  }
  if (ok) {
    for (const { event } of due) w.done.add(event.id);
    w.failures = 0;
    w.nextAttemptAt = 0;
  } else {
    w.failures += 1;
    w.nextAttemptAt = Date.now() + Math.min(MAX_BACKOFF_MS, 250 * 2 ** w.failures);
  }
}

/** Starts the account's delivery loop if it has webhooks; it stops when the last one is deleted. */
export function pump(store: Store, d: Deliveries): void {
  if (d.webhooks.size === 0) {
    if (d.timer !== null) clearInterval(d.timer);
    d.timer = null;
    return;
  }
  if (d.timer !== null) return;
  d.timer = setInterval(() => {
    for (const w of d.webhooks.values()) {
      if (!w.enabled || w.inFlight || Date.now() < w.nextAttemptAt) continue;
      w.inFlight = true;
      void deliver(store, d, w).finally(() => {
        w.inFlight = false;
      });
    }
  }, TICK_MS);
  // The loop never keeps a process alive on its own.
  d.timer.unref();
}
