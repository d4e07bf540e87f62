/**
 * Checks one system-webhook delivery as Klaviyo documents it (docs/webhooks.md#verifying-a-delivery,
 * https://developers.klaviyo.com/en/docs/working_with_system_webhooks): `Klaviyo-Signature` is the
 * lowercase hex HMAC-SHA256, keyed with the webhook's secret, of the raw body bytes followed by the
 * `Klaviyo-Timestamp` value; the timestamp lies within a tolerance of our clock (a replay is
 * refused); `meta.klaviyo_webhook_id` equals the `Klaviyo-Webhook-Id` header; the body is JSON of
 * the documented shape. Every refusal carries the HTTP status to answer and a reason for the log.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Five minutes either side: Klaviyo documents no window, so we take the common one (docs/webhooks.md). */
export const DEFAULT_TOLERANCE_MS = 5 * 60 * 1000;
/** Klaviyo batches at most 1,000 events in a delivery; 5 MB holds them with room (docs/webhooks.md). */
export const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024;

export interface WebhookEvent {
  webhookId: string;
  externalId: string;
  topic: string;
  payload: Record<string, unknown>;
}

export type Verdict =
  | { ok: true; webhookId: string; accountId: string | null; events: WebhookEvent[] }
  | { ok: false; status: 400 | 401 | 413; reason: string };

export interface VerifyOptions {
  secret: string;
  now?: number;
  toleranceMs?: number;
  maxBodyBytes?: number;
}

type Headers = Record<string, string | string[] | undefined>;

const refuse = (status: 400 | 401 | 413, reason: string): Verdict => ({ ok: false, status, reason });

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** The hex signature Klaviyo sends for these bytes and this timestamp (also what the sandbox signs with). */
export function signDelivery(secret: string, body: Buffer | string, timestamp: string): string {
  return createHmac('sha256', secret)
    .update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body)
    .update(Buffer.from(timestamp, 'utf8'))
    .digest('hex');
}

/**
 * The moment a `Klaviyo-Timestamp` names, in ms: Klaviyo's example is an HTTP date
 * (`Thu, 04 Jan 2024 18:05:25 GMT`); ISO 8601 and Unix seconds are read too. NaN when unreadable.
 */
export function timestampMs(value: string): number {
  const text = value.trim();
  if (/^\d{9,11}$/.test(text)) return Number(text) * 1000;
  if (/^\d{12,14}$/.test(text)) return Number(text);
  return Date.parse(text);
}

function sameSignature(expectedHex: string, given: string): boolean {
  if (!/^[0-9a-fA-F]{64}$/.test(given)) return false;
  const a = Buffer.from(expectedHex, 'hex');
  const b = Buffer.from(given.toLowerCase(), 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function verifyDelivery(headers: Headers, body: Buffer, options: VerifyOptions): Verdict {
  const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (body.length > maxBytes)
    return refuse(413, `body of ${body.length} bytes is over the limit of ${maxBytes} bytes`);
  const signature = header(headers, 'Klaviyo-Signature');
  const timestamp = header(headers, 'Klaviyo-Timestamp');
  const webhookId = header(headers, 'Klaviyo-Webhook-Id');
  if (signature === undefined || signature === '') return refuse(401, 'no Klaviyo-Signature header');
  if (timestamp === undefined || timestamp === '') return refuse(401, 'no Klaviyo-Timestamp header');
  if (webhookId === undefined || webhookId === '') return refuse(401, 'no Klaviyo-Webhook-Id header');
  if (!sameSignature(signDelivery(options.secret, body, timestamp), signature.trim()))
    return refuse(401, 'Klaviyo-Signature does not match the body and timestamp for our secret');
  const sentAt = timestampMs(timestamp);
  if (Number.isNaN(sentAt))
    return refuse(400, `Klaviyo-Timestamp ${JSON.stringify(timestamp)} is not a time`);
  const tolerance = options.toleranceMs ?? DEFAULT_TOLERANCE_MS;
  const skew = (options.now ?? Date.now()) - sentAt;
  if (Math.abs(skew) > tolerance)
    return refuse(
      401,
      `Klaviyo-Timestamp ${timestamp} is ${Math.round(skew / 1000)} s from now, outside ±${tolerance / 1000} s (a replay?)`,
    );

  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return refuse(400, `body is not JSON: ${(error as Error).message}`);
  }
  if (!isObject(parsed)) return refuse(400, 'body is not a JSON object');
  const meta = parsed.meta;
  if (!isObject(meta) || typeof meta.klaviyo_webhook_id !== 'string')
    return refuse(400, 'body has no meta.klaviyo_webhook_id');
  if (meta.klaviyo_webhook_id !== webhookId)
    return refuse(
      401,
      `meta.klaviyo_webhook_id ${JSON.stringify(meta.klaviyo_webhook_id)} differs from the Klaviyo-Webhook-Id header ${JSON.stringify(webhookId)}`,
    );
  if (!Array.isArray(parsed.data)) return refuse(400, 'body has no data array');
  const events: WebhookEvent[] = [];
  for (const [i, item] of parsed.data.entries()) {
    if (!isObject(item)) return refuse(400, `data[${i}] is not an object`);
    if (typeof item.external_id !== 'string' || item.external_id === '')
      return refuse(400, `data[${i}].external_id is missing or not a string`);
    if (typeof item.topic !== 'string' || item.topic === '')
      return refuse(400, `data[${i}].topic is missing or not a string`);
    if (!isObject(item.payload)) return refuse(400, `data[${i}].payload is missing or not an object`);
    events.push({ webhookId, externalId: item.external_id, topic: item.topic, payload: item.payload });
  }
  const accountId = typeof meta.klaviyo_account_id === 'string' ? meta.klaviyo_account_id : null;
  return { ok: true, webhookId, accountId, events };
}
