/**
 * The receiver's local, append-only spool: a delivery's events are written and fsynced here before
 * Klaviyo gets its 2xx, so an acknowledged event survives a crash until it is landed in the
 * warehouse (docs/webhooks.md#durability). One NDJSON line per event in `current.ndjson`; landing
 * first seals that file (an atomic rename to `sealed-*.ndjson`, new deliveries start a fresh file),
 * lands it, then deletes it. Landing is keyed, so a file landed twice after a crash stores its
 * events once.
 *
 * A delivery is written with one synchronous write and fsync: a process killed during it never
 * acknowledged the delivery, and the partial last line it may leave is cut off when the spool opens.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.ts';
import type { WebhookEvent } from './verify.ts';

export interface SpooledEvent {
  webhook_id: string;
  external_id: string;
  topic: string;
  payload: Record<string, unknown>;
  received_at: string;
}

const CURRENT = 'current.ndjson';
const SEALED = /^sealed-\d+-\d+\.ndjson$/;

export const eventKey = (webhookId: string, externalId: string): string => `${webhookId}\u0000${externalId}`;

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The complete lines of a spool file; a partial last line (a write cut short) is not one. */
export function readSpoolFile(file: string): SpooledEvent[] {
  const text = readFileSync(file, 'utf8');
  const end = text.lastIndexOf('\n');
  if (end < 0) return [];
  return text
    .slice(0, end)
    .split('\n')
    .filter((line) => line !== '')
    .map((line, i) => {
      try {
        return JSON.parse(line) as SpooledEvent;
      } catch (error) {
        throw new ConfigError(
          `${file}, line ${i + 1}: not a spooled webhook event (${(error as Error).message}); move the file aside to go on.`,
        );
      }
    });
}

export class Spool {
  /** Key → file of every event spooled and not yet landed, so a redelivery is not spooled twice. */
  private readonly pending = new Map<string, string>();
  private fd: number | null = null;
  private sealCount = 0;

  private constructor(readonly dir: string) {}

  static open(dir: string): Spool {
    mkdirSync(dir, { recursive: true });
    const spool = new Spool(dir);
    const current = path.join(dir, CURRENT);
    if (existsSync(current)) {
      // Cut a partial last line left by a write the process did not live to finish (never acknowledged).
      const text = readFileSync(current);
      const end = text.lastIndexOf(0x0a) + 1;
      if (end < text.length) {
        const fd = openSync(current, 'r+');
        try {
          ftruncateSync(fd, end);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      }
    }
    for (const file of spool.waiting()) spool.remember(file);
    return spool;
  }

  private remember(file: string): void {
    for (const e of readSpoolFile(file)) this.pending.set(eventKey(e.webhook_id, e.external_id), file);
  }

  /** Files waiting to land, oldest first: sealed ones, then the current one. */
  waiting(): string[] {
    const sealed = readdirSync(this.dir)
      .filter((f) => SEALED.test(f))
      .sort((a, b) => {
        const [, at, an] = /^sealed-(\d+)-(\d+)/.exec(a)!;
        const [, bt, bn] = /^sealed-(\d+)-(\d+)/.exec(b)!;
        return Number(at) - Number(bt) || Number(an) - Number(bn);
      })
      .map((f) => path.join(this.dir, f));
    const current = path.join(this.dir, CURRENT);
    return existsSync(current) ? [...sealed, current] : sealed;
  }

  /** Events spooled and not yet landed. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Writes the events not already spooled and fsyncs them; returns how many were new. Only after
   * this returns may the delivery be acknowledged.
   */
  append(events: WebhookEvent[], receivedAt: string): { stored: number; duplicates: number } {
    const current = path.join(this.dir, CURRENT);
    const lines: string[] = [];
    const seen = new Set<string>();
    for (const e of events) {
      const key = eventKey(e.webhookId, e.externalId);
      if (this.pending.has(key) || seen.has(key)) continue;
      seen.add(key);
      const row: SpooledEvent = {
        webhook_id: e.webhookId,
        external_id: e.externalId,
        topic: e.topic,
        payload: e.payload,
        received_at: receivedAt,
      };
      lines.push(`${JSON.stringify(row)}\n`);
    }
    if (lines.length > 0) {
      if (this.fd === null) {
        const created = !existsSync(current);
        this.fd = openSync(current, 'a');
        if (created) fsyncDir(this.dir);
      }
      const bytes = Buffer.from(lines.join(''), 'utf8');
      let written = 0;
      while (written < bytes.length) written += writeSync(this.fd, bytes, written);
      fsyncSync(this.fd);
      for (const key of seen) this.pending.set(key, current);
    }
    return { stored: lines.length, duplicates: events.length - lines.length };
  }

  /** Moves the current file aside for landing; returns every file waiting to land, oldest first. */
  seal(): string[] {
    const current = path.join(this.dir, CURRENT);
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
    if (existsSync(current)) {
      this.sealCount += 1;
      const sealed = path.join(this.dir, `sealed-${Date.now()}-${this.sealCount}.ndjson`);
      renameSync(current, sealed);
      fsyncDir(this.dir);
      for (const [key, file] of this.pending) if (file === current) this.pending.set(key, sealed);
    }
    return this.waiting().filter((f) => path.basename(f) !== CURRENT);
  }

  /** A sealed file whose events are all in the warehouse: delete it and forget its keys. */
  landed(file: string): void {
    unlinkSync(file);
    fsyncDir(this.dir);
    for (const [key, f] of this.pending) if (f === file) this.pending.delete(key);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
