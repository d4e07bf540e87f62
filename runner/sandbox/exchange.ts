/**
 * One request and its answer, as `/__sandbox/requests` records it: every way the sandbox can end
 * an exchange (an answer, a raw answer from a "proxy", a trickled body, a destroyed connection,
 * no answer at all) records the request exactly once.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  operationId: string | null;
  /** The status answered; -1 when the connection was destroyed without an answer (fault). */
  status: number;
  /** The JSON the sandbox answered (absent for empty answers). */
  responseBody?: unknown;
  /**
   * Set by the `lostAnswer` fault: the request took effect and this is the answer the sandbox then
   * dropped (the client saw only a destroyed connection).
   */
  lostAnswer?: { status: number; body?: unknown };
  startedAt: number;
  finishedAt: number;
}

const JSONAPI = 'application/vnd.api+json';

export function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { ...(body === undefined ? {} : { 'content-type': JSONAPI }), ...headers });
  res.end(text);
}

/** Sends the answer's headers at once and its body a few bytes at a time over `ms`. */
function trickle(res: ServerResponse, status: number, body: unknown, ms: number): void {
  const text = body === undefined ? ' ' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': JSONAPI });
  const steps = 20;
  const size = Math.ceil(text.length / steps);
  let at = 0;
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer);
    res.write(text.slice(at, at + size));
    at += size;
    if (at >= text.length) {
      clearInterval(timer);
      res.end();
    }
  }, ms / steps);
  res.on('close', () => clearInterval(timer));
}

/** A request's body as text, with its size in bytes as it arrived. */
export async function readBody(req: IncomingMessage): Promise<{ text: string; bytes: number }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  return { text: bytes.toString('utf8'), bytes: bytes.length };
}

/** A request's body read as JSON once, for its record and its handler; null when empty. */
export type ParsedBody = { ok: true; value: unknown } | { ok: false; text: string } | null;

export function parseBody(text: string): ParsedBody {
  if (text === '') return null;
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, text };
  }
}

/** Header names that carry credentials in one form or another (Authorization, X-Api-Key, cookies...). */
const CREDENTIAL_HEADER = /auth|key|token|secret|password|passwd|cookie|session|signature|credential/i;

/**
 * Headers as recorded for `/__sandbox/requests`: every credential-looking header redacted,
 * whatever scheme it uses, keeping only an Authorization scheme name (`Klaviyo-API-Key`,
 * `Bearer`) so a test can still see which form a client sent.
 */
export function redactHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const text = Array.isArray(v) ? v.join(', ') : v;
    if (!CREDENTIAL_HEADER.test(k)) out[k] = text;
    else {
      const scheme = /^([A-Za-z][A-Za-z0-9-]*)\s+\S/.exec(text)?.[1];
      out[k] = scheme === undefined ? '[redacted]' : `${scheme} [redacted]`;
    }
  }
  return out;
}

/**
 * The record keeps a request's body as its text and parses it again when read (once). Keeping the
 * handler's parsed copy held every request's objects for the sandbox's life: in a first sync of
 * 100,000 profiles, ten import jobs of 10,000 parsed rows each, which the collector copied and
 * marked again and again on the sandbox's one thread. A body that is not JSON reads as its text.
 */
function recordBody(record: RecordedRequest, text: string): void {
  let read: { value: unknown } | undefined;
  Object.defineProperty(record, 'body', {
    enumerable: true,
    configurable: true,
    get: () => {
      if (read === undefined) {
        const parsed = parseBody(text);
        read = { value: parsed === null ? undefined : parsed.ok ? parsed.value : parsed.text };
      }
      return read.value;
    },
    set: (value: unknown) => {
      read = { value };
    },
  });
}

export interface Exchange {
  record: RecordedRequest;
  /** A JSON:API answer (or an empty one when `payload` is undefined). */
  answer(status: number, payload: unknown, headers?: Record<string, string>): void;
  /** Another body than JSON:API, as a proxy or gateway in front of Klaviyo sends it. */
  raw(status: number, contentType: string, text: string): void;
  /** The answer's body sent slowly over `ms`. */
  trickle(status: number, body: unknown, ms: number): void;
  /** The connection destroyed without an answer, perhaps after the work was done (`lost`). */
  hangUp(lost?: RecordedRequest['lostAnswer']): void;
  /** Read, never answered: the socket stays open until the client gives up or the sandbox closes. */
  leaveOpen(): void;
}

export function openExchange(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  text: string,
  startedAt: number,
  recorded: RecordedRequest[],
): Exchange {
  const record: RecordedRequest = {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: redactHeaders(req.headers),
    body: undefined,
    operationId: null,
    status: 0,
    startedAt,
    finishedAt: 0,
  };
  if (text !== '') recordBody(record, text);
  const finish = (status: number) => {
    record.status = status;
    record.finishedAt = Date.now();
    recorded.push(record);
  };
  return {
    record,
    answer: (status, payload, headers = {}) => {
      record.status = status;
      record.responseBody = payload;
      record.finishedAt = Date.now();
      recorded.push(record);
      send(res, status, payload, headers);
    },
    raw: (status, contentType, body) => {
      finish(status);
      res.writeHead(status, { 'content-type': contentType });
      res.end(body);
    },
    trickle: (status, body, ms) => {
      finish(status);
      trickle(res, status, body, ms);
    },
    hangUp: (lost) => {
      record.status = -1;
      if (lost !== undefined) record.lostAnswer = lost;
      record.finishedAt = Date.now();
      recorded.push(record);
      req.socket.destroy();
    },
    leaveOpen: () => finish(-1),
  };
}
