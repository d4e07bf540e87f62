import { describe, expect, it } from 'vitest';
import { signDelivery, timestampMs, verifyDelivery } from './verify.ts';

const SECRET = 'a-secret-of-sixteen-plus';
const NOW = Date.parse('2026-12-01T10:00:00Z');
const STAMP = new Date(NOW).toUTCString(); // "Tue, 01 Dec 2026 10:00:00 GMT", as Klaviyo's example

function delivery(overrides: { body?: string; headers?: Record<string, string> } = {}) {
  const body =
    overrides.body ??
    JSON.stringify({
      data: [{ external_id: 'ev1', topic: 'event:klaviyo.placed_order', payload: { id: 'ev1' } }],
      meta: { klaviyo_account_id: 'ACC', klaviyo_webhook_id: 'WH1', timestamp: '2026-12-01T10:00:00Z' },
    });
  const headers = {
    'klaviyo-webhook-id': 'WH1',
    'klaviyo-timestamp': STAMP,
    'klaviyo-signature': signDelivery(SECRET, body, STAMP),
    ...overrides.headers,
  };
  return { body: Buffer.from(body), headers };
}

const check = (d: ReturnType<typeof delivery>, extra = {}) =>
  verifyDelivery(d.headers, d.body, { secret: SECRET, now: NOW, ...extra });

describe('verifyDelivery', () => {
  it('accepts a delivery signed over the raw body followed by the timestamp', () => {
    const verdict = check(delivery());
    expect(verdict).toEqual({
      ok: true,
      webhookId: 'WH1',
      accountId: 'ACC',
      events: [
        { webhookId: 'WH1', externalId: 'ev1', topic: 'event:klaviyo.placed_order', payload: { id: 'ev1' } },
      ],
    });
  });

  it('signs exactly HMAC-SHA256(secret, body bytes + timestamp) in lowercase hex', () => {
    // Computed independently: printf '%s%s' '{"a":1}' 'Tue, 01 Dec 2026 10:00:00 GMT' | openssl dgst -sha256 -hmac a-secret-of-sixteen-plus
    expect(signDelivery(SECRET, '{"a":1}', STAMP)).toBe(
      '2f784e73a2a2ed826a984f5d4a6809ba9d81235310e3b37f2e5c0188a71204c7',
    );
  });

  it.each([
    ['no signature', { headers: { 'klaviyo-signature': '' } }, 401, /no Klaviyo-Signature/],
    [
      'a signature by another secret',
      { headers: { 'klaviyo-signature': signDelivery('other-secret-000000', '{}', STAMP) } },
      401,
      /does not match/,
    ],
    ['no timestamp', { headers: { 'klaviyo-timestamp': '' } }, 401, /no Klaviyo-Timestamp/],
    ['no webhook id', { headers: { 'klaviyo-webhook-id': '' } }, 401, /no Klaviyo-Webhook-Id/],
  ])('refuses %s', (_what, overrides, status, reason) => {
    const verdict = check(delivery(overrides));
    expect(verdict).toMatchObject({ ok: false, status });
    expect(verdict.ok ? '' : verdict.reason).toMatch(reason);
  });

  it('refuses a body changed after signing', () => {
    const d = delivery();
    const tampered = Buffer.from(d.body.toString().replace('ev1', 'ev2'));
    expect(verifyDelivery(d.headers, tampered, { secret: SECRET, now: NOW })).toMatchObject({
      ok: false,
      status: 401,
    });
  });

  it('refuses a replay: a correctly signed delivery whose timestamp is outside the window', () => {
    const old = new Date(NOW - 10 * 60_000).toUTCString();
    const body = delivery().body.toString();
    const d = delivery({
      body,
      headers: { 'klaviyo-timestamp': old, 'klaviyo-signature': signDelivery(SECRET, body, old) },
    });
    const verdict = check(d);
    expect(verdict).toMatchObject({ ok: false, status: 401 });
    expect(verdict.ok ? '' : verdict.reason).toMatch(/outside ±300 s/);
    expect(check(d, { toleranceMs: 15 * 60_000 })).toMatchObject({ ok: true });
  });

  it('refuses a meta.klaviyo_webhook_id that differs from the header', () => {
    const body = delivery()
      .body.toString()
      .replace('"klaviyo_webhook_id":"WH1"', '"klaviyo_webhook_id":"WH2"');
    const verdict = check(
      delivery({ body, headers: { 'klaviyo-signature': signDelivery(SECRET, body, STAMP) } }),
    );
    expect(verdict).toMatchObject({ ok: false, status: 401 });
    expect(verdict.ok ? '' : verdict.reason).toMatch(/differs from the Klaviyo-Webhook-Id header/);
  });

  it.each([
    ['malformed JSON', '{"data": [', /not JSON/],
    ['no data array', '{"meta":{"klaviyo_webhook_id":"WH1"}}', /no data array/],
    [
      'an event without external_id',
      '{"data":[{"topic":"t:x","payload":{}}],"meta":{"klaviyo_webhook_id":"WH1"}}',
      /data\[0\]\.external_id/,
    ],
  ])('refuses %s with 400', (_what, body, reason) => {
    const verdict = check(
      delivery({ body, headers: { 'klaviyo-signature': signDelivery(SECRET, body, STAMP) } }),
    );
    expect(verdict).toMatchObject({ ok: false, status: 400 });
    expect(verdict.ok ? '' : verdict.reason).toMatch(reason);
  });

  it('refuses a body over the size limit with 413 before reading it', () => {
    expect(check(delivery(), { maxBodyBytes: 10 })).toMatchObject({ ok: false, status: 413 });
  });

  it('reads HTTP dates, ISO 8601 and Unix seconds as timestamps', () => {
    expect(timestampMs('Thu, 04 Jan 2024 18:05:25 GMT')).toBe(Date.parse('2024-01-04T18:05:25Z'));
    expect(timestampMs('2024-01-04T18:05:25Z')).toBe(Date.parse('2024-01-04T18:05:25Z'));
    expect(timestampMs('1704391525')).toBe(Date.parse('2024-01-04T18:05:25Z'));
    expect(timestampMs('yesterday')).toBeNaN();
  });
});
