/**
 * `klaviyo-runner webhooks --port N` as a user runs it, over HTTP, landing in DuckDB: signed,
 * unsigned, replayed, duplicated and oversized deliveries, and a receiver killed (SIGKILL) after
 * acknowledging and before landing, which loses nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signDelivery } from '../runner/webhooks/verify.ts';
import { repoRoot } from './helpers/dbt.ts';
import { DuckDBInstance } from '@duckdb/node-api';
import { queryDuckDb } from './helpers/duckdb.ts';

const SECRET = 'test-webhook-secret-0123';

interface Receiver {
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

function startReceiverCli(project: string, extra: string[] = []): Promise<Receiver> {
  const child = spawn(
    process.execPath,
    [
      path.join(repoRoot, 'bin', 'klaviyo-runner.js'),
      'webhooks',
      '--port',
      '0',
      '--project-dir',
      project,
      ...extra,
    ],
    {
      cwd: project,
      env: {
        ...process.env,
        NO_COLOR: '1',
        KLAVIYO_WEBHOOK_SECRET: SECRET,
        KLAVIYO_RUNNER_DUCKDB: path.join(project, 'warehouse.duckdb'),
      },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /on (http:\/\/[^\s]+) /.exec(stdout);
      if (m !== null) resolve({ child, url: m[1]!, stderr: () => stderr });
    });
    child.on('exit', (code) => reject(new Error(`receiver exited ${code}: ${stderr}`)));
  });
}

function body(webhookId: string, ids: string[]): string {
  return JSON.stringify({
    data: ids.map((id) => ({
      external_id: id,
      topic: 'event:klaviyo.placed_order',
      payload: { type: 'event', id, attributes: { event_properties: { $value: 10 } } },
    })),
    meta: { klaviyo_account_id: 'ACC1', klaviyo_webhook_id: webhookId, timestamp: new Date().toISOString() },
  });
}

function post(url: string, text: string, headers: Record<string, string>) {
  return fetch(url, {
    method: 'POST',
    body: text,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

function signed(webhookId: string, text: string, at = new Date()): Record<string, string> {
  const stamp = at.toUTCString();
  return {
    'klaviyo-webhook-id': webhookId,
    'klaviyo-timestamp': stamp,
    'klaviyo-signature': signDelivery(SECRET, text, stamp),
  };
}

/** The landed rows; the receiver may hold the DuckDB file for a moment while it flushes. */
async function landed(project: string): Promise<Record<string, unknown>[]> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await queryDuckDb(
        path.join(project, 'warehouse.duckdb'),
        'select webhook_id, external_id, topic, payload_json, received_at from klaviyo_source.webhook_events order by external_id',
      );
    } catch (error) {
      if (/does not exist/.test(String(error))) return [];
      if (attempt > 50) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('klaviyo-runner webhooks (receiving)', () => {
  let project: string;
  const running: ChildProcess[] = [];
  beforeEach(async () => {
    project = await mkdtemp(path.join(os.tmpdir(), 'klaviyo-webhooks-'));
    await copyFile(path.join(repoRoot, 'dbt_project.yml'), path.join(project, 'dbt_project.yml'));
    await copyFile(path.join(repoRoot, 'profiles.yml'), path.join(project, 'profiles.yml'));
  });
  afterEach(() => {
    for (const c of running.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it('lands signed deliveries once and refuses unsigned, replayed, mismatched, malformed and oversized ones', async () => {
    const r = await startReceiverCli(project, ['--flush-interval', '200', '--max-body', '20000']);
    running.push(r.child);

    const good = body('WH1', ['ev-1', 'ev-2']);
    const ok = await post(r.url, good, signed('WH1', good));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ received: 2, stored: 2, duplicates: 0 });

    // Klaviyo retries: the same delivery again, and one overlapping it, are stored once.
    const again = await post(r.url, good, signed('WH1', good));
    expect(await again.json()).toEqual({ received: 2, stored: 0, duplicates: 2 });
    const overlap = body('WH1', ['ev-2', 'ev-3']);
    expect(await (await post(r.url, overlap, signed('WH1', overlap))).json()).toEqual({
      received: 2,
      stored: 1,
      duplicates: 1,
    });

    const refused: [string, Promise<Response>, number][] = [];
    const unsigned = body('WH1', ['bad-unsigned']);
    refused.push(['unsigned', post(r.url, unsigned, { 'klaviyo-webhook-id': 'WH1' }), 401]);
    const forged = body('WH1', ['bad-forged']);
    refused.push([
      'forged',
      post(r.url, forged, {
        ...signed('WH1', forged),
        'klaviyo-signature': signDelivery('not-our-secret-00', forged, new Date().toUTCString()),
      }),
      401,
    ]);
    const replay = body('WH1', ['bad-replayed']);
    refused.push([
      'replayed',
      post(r.url, replay, signed('WH1', replay, new Date(Date.now() - 3600_000))),
      401,
    ]);
    const mismatch = body('WH2', ['bad-mismatch']);
    refused.push(['mismatched id', post(r.url, mismatch, signed('WH1', mismatch)), 401]);
    const malformed = '{"data": [';
    refused.push(['malformed', post(r.url, malformed, signed('WH1', malformed)), 400]);
    const huge = body(
      'WH1',
      Array.from({ length: 400 }, (_, i) => `bad-huge-${i}`),
    );
    refused.push(['oversized', post(r.url, huge, signed('WH1', huge)), 413]);
    for (const [what, answer, status] of refused)
      expect([what, (await answer).status]).toEqual([what, status]);

    const rows = await eventually(
      () => landed(project),
      (rs) => rs.length >= 3,
    );
    expect(rows.map((x) => [x.webhook_id, x.external_id, x.topic])).toEqual([
      ['WH1', 'ev-1', 'event:klaviyo.placed_order'],
      ['WH1', 'ev-2', 'event:klaviyo.placed_order'],
      ['WH1', 'ev-3', 'event:klaviyo.placed_order'],
    ]);
    expect(JSON.parse(String(rows[0]!.payload_json))).toMatchObject({ id: 'ev-1', type: 'event' });
    expect(Date.parse(String(rows[0]!.received_at))).toBeGreaterThan(Date.now() - 60_000);

    // Every refusal has its log line, naming the status and the reason.
    const log = r.stderr();
    expect(log).toMatch(/401, no Klaviyo-Signature header/);
    expect(log).toMatch(/401, Klaviyo-Signature does not match/);
    expect(log).toMatch(/401, Klaviyo-Timestamp .* outside ±300 s/);
    expect(log).toMatch(/401, meta\.klaviyo_webhook_id "WH2" differs/);
    expect(log).toMatch(/400, body is not JSON/);
    expect(log).toMatch(/413, body .*over the limit of 20000 bytes/);

    // A redelivery after landing is still stored once.
    await post(r.url, good, signed('WH1', good));
    await new Promise((res) => setTimeout(res, 600));
    expect((await landed(project)).length).toBe(3);
  });

  it('loses nothing it acknowledged when killed (SIGKILL) before landing; the next start lands it', async () => {
    // A flush interval far away: the deliveries are acknowledged from the spool alone.
    const first = await startReceiverCli(project, ['--flush-interval', '3600000']);
    running.push(first.child);
    const acked: string[] = [];
    for (let i = 0; i < 5; i++) {
      const ids = [`kill-${i}-a`, `kill-${i}-b`];
      const text = body('WH9', ids);
      const answer = await post(first.url, text, signed('WH9', text));
      if (answer.status === 200) acked.push(...ids);
    }
    expect(acked).toHaveLength(10);
    const exited = new Promise((res) => first.child.once('exit', res));
    first.child.kill('SIGKILL');
    await exited;
    expect(await landed(project)).toEqual([]);
    const spooled = await readFile(
      path.join(project, '.klaviyo-runner', 'webhooks-spool', 'current.ndjson'),
      'utf8',
    );
    expect(spooled.trim().split('\n')).toHaveLength(10);

    const second = await startReceiverCli(project, ['--flush-interval', '3600000']);
    running.push(second.child);
    const rows = await eventually(
      () => landed(project),
      (rs) => rs.length >= 10,
    );
    expect(rows.map((x) => x.external_id).sort()).toEqual([...acked].sort());
  });

  it('keeps acknowledged events spooled while the warehouse is locked, and lands them once it is free', async () => {
    // Another process (here: this test, as `dbt build` would) holds the DuckDB file.
    const holder = await DuckDBInstance.create(path.join(project, 'warehouse.duckdb'));
    const conn = await holder.connect();
    const r = await startReceiverCli(project, ['--flush-interval', '150']);
    running.push(r.child);
    try {
      const text = body('WH5', ['locked-1', 'locked-2']);
      const answer = await post(r.url, text, signed('WH5', text));
      expect(answer.status).toBe(200);
      const until = Date.now() + 20_000;
      while (!/webhook\.land_failed|Could not land/.test(r.stderr()) && Date.now() < until)
        await new Promise((res) => setTimeout(res, 100));
      expect(r.stderr()).toMatch(
        /Could not land 2 webhook events .* \(kept in the spool, retried at the next flush\): The DuckDB file .* is in use/,
      );
    } finally {
      conn.closeSync();
      holder.closeSync();
    }
    const rows = await eventually(
      () => landed(project),
      (rs) => rs.length >= 2,
    );
    expect(rows.map((x) => x.external_id)).toEqual(['locked-1', 'locked-2']);
  });
});
