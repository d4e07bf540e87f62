/**
 * The webhook receiver: an HTTP server that verifies each Klaviyo delivery (verify.ts), spools its
 * events durably (spool.ts) and only then answers 200, and lands the spool in the warehouse in the
 * background (docs/webhooks.md#the-receiver). Klaviyo retries a delivery that fails or is slow, so
 * the answer never waits on the warehouse: a warehouse that is down or locked leaves the events in
 * the spool for the next flush.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from '../report/log.ts';
import { Spool, readSpoolFile, type SpooledEvent } from './spool.ts';
import { DEFAULT_MAX_BODY_BYTES, verifyDelivery, type VerifyOptions } from './verify.ts';

export type Lander = (events: SpooledEvent[]) => Promise<{ inserted: number; alreadyStored: number }>;

export interface ReceiverOptions {
  port?: number;
  host?: string;
  secret: string;
  spoolDir: string;
  land: Lander;
  logger: Logger;
  /** How often the spool is landed, in ms. */
  flushIntervalMs?: number;
  toleranceMs?: number;
  maxBodyBytes?: number;
  now?: () => number;
}

export interface RunningReceiver {
  url: string;
  /** Lands everything spooled; resolves when done (or when landing failed and was logged). */
  flush(): Promise<{ inserted: number; alreadyStored: number; failed: boolean }>;
  /** Stops listening, lands what is spooled, closes the spool. */
  close(): Promise<void>;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The body, or null once it passes `max` bytes (the rest is not read). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > max) {
        over = true;
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

export async function startReceiver(options: ReceiverOptions): Promise<RunningReceiver> {
  const { logger } = options;
  const spool = Spool.open(options.spoolDir);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const now = options.now ?? Date.now;
  const sockets = new Set<Socket>();

  let flushing: Promise<{ inserted: number; alreadyStored: number; failed: boolean }> | null = null;
  async function landAll(): Promise<{ inserted: number; alreadyStored: number; failed: boolean }> {
    const total = { inserted: 0, alreadyStored: 0, failed: false };
    for (const file of spool.seal()) {
      const events = readSpoolFile(file);
      try {
        const result = await options.land(events);
        spool.landed(file);
        total.inserted += result.inserted;
        total.alreadyStored += result.alreadyStored;
      } catch (error) {
        total.failed = true;
        logger.log(
          'warn',
          'webhook.land_failed',
          `Could not land ${events.length} webhook events from ${file} (kept in the spool, retried at the next flush): ${(error as Error).message}`,
          { file, events: events.length },
        );
        break;
      }
    }
    if (total.inserted + total.alreadyStored > 0)
      logger.log(
        'info',
        'webhook.landed',
        `Landed ${total.inserted} webhook events (${total.alreadyStored} already stored).`,
        { ...total },
      );
    return total;
  }
  const flush = () => {
    flushing ??= landAll().finally(() => {
      flushing = null;
    });
    return flushing;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const where = `${req.method ?? ''} ${req.url ?? ''}`;
    if (req.method === 'GET' && req.url === '/health')
      return reply(res, 200, { status: 'ok', spooled: spool.size });
    if (req.method !== 'POST') {
      logger.log('warn', 'webhook.refused', `${where}: 405, only POST delivers webhooks`);
      return reply(res, 405, { error: 'only POST delivers webhooks' });
    }
    const declared = Number(req.headers['content-length'] ?? '0');
    const body = declared > maxBodyBytes ? null : await readBody(req, maxBodyBytes);
    const verdict =
      body === null
        ? ({ ok: false, status: 413, reason: `body is over the limit of ${maxBodyBytes} bytes` } as const)
        : verifyDelivery(req.headers, body, {
            secret: options.secret,
            now: now(),
            toleranceMs: options.toleranceMs,
            maxBodyBytes,
          } satisfies VerifyOptions);
    if (!verdict.ok) {
      logger.log(
        'warn',
        'webhook.refused',
        `${where}: ${verdict.status}, ${verdict.reason}; nothing stored`,
        {
          status: verdict.status,
          reason: verdict.reason,
          webhook_id: req.headers['klaviyo-webhook-id'],
        },
      );
      if (body === null) res.setHeader('connection', 'close');
      return reply(res, verdict.status, { error: verdict.reason });
    }
    let stored;
    try {
      stored = spool.append(verdict.events, new Date(now()).toISOString());
    } catch (error) {
      logger.log(
        'error',
        'webhook.spool_failed',
        `${where}: 503, could not spool: ${(error as Error).message}`,
      );
      return reply(res, 503, { error: 'could not store the delivery; retry' });
    }
    logger.log(
      'info',
      'webhook.received',
      `Webhook ${verdict.webhookId}: ${verdict.events.length} events, ${stored.stored} spooled, ${stored.duplicates} already received.`,
      { webhook_id: verdict.webhookId, events: verdict.events.length, ...stored },
    );
    return reply(res, 200, { received: verdict.events.length, ...stored });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.log('error', 'webhook.error', `${req.method ?? ''} ${req.url ?? ''}: ${String(error)}`);
      if (!res.headersSent) reply(res, 500, { error: 'internal error' });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;

  // What an earlier process spooled and did not land is landed first.
  if (spool.size > 0) await flush();
  const timer = setInterval(() => {
    if (spool.size > 0) void flush();
  }, options.flushIntervalMs ?? 5000);
  timer.unref();

  return {
    url,
    flush,
    close: async () => {
      clearInterval(timer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      if (flushing !== null) await flushing;
      await flush();
      spool.close();
    },
  };
}
