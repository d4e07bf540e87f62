/**
 * The seeded faults (faults.ts) played out on one exchange: before the handler runs, the ones
 * Klaviyo or something in front of it answers instead (429 storms, 5xx, a proxy's text, a
 * gateway's HTML, a reset or silent connection, a slow answer); after it, the ones that lose or
 * slow the answer to work already done. The rolls come in a fixed order, so a seed replays.
 */
import type { Exchange } from './exchange.ts';
import type { Faults } from './faults.ts';
import { HttpError, sparse } from './jsonapi.ts';
import type { Answer } from './routes.ts';

/**
 * Plays the faults that come before the handler; true when one of them ended the exchange.
 * `wait` is the rate limiter's: seconds until the key may call again, or null.
 */
export async function faultBefore(
  ex: Exchange,
  faults: Faults,
  operationId: string,
  wait: number | null,
): Promise<boolean> {
  if (wait !== null || faults.roll('throttle', operationId)) {
    const seconds = wait ?? 1;
    ex.answer(
      429,
      new HttpError(
        429,
        'throttled',
        'Request was throttled.',
        `Request was throttled. Expected available in ${seconds} second${seconds === 1 ? '' : 's'}.`,
      ).body(),
      { 'retry-after': String(seconds) },
    );
    return true;
  }
  if (faults.roll('reset', operationId)) {
    ex.hangUp();
    return true;
  }
  if (faults.roll('hang', operationId)) {
    ex.leaveOpen();
    return true;
  }
  if (faults.roll('proxyBadRequest', operationId)) {
    ex.raw(400, 'text/plain', 'Bad Request');
    return true;
  }
  if (faults.roll('gatewayError', operationId)) {
    ex.raw(
      502,
      'text/html',
      '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>',
    );
    return true;
  }
  if (faults.roll('serverError', operationId)) {
    const status = faults.roll('serverError') ? 503 : 500;
    ex.answer(
      status,
      new HttpError(status, 'error', 'A server error occurred.', 'Something went wrong; try again.').body(),
    );
    return true;
  }
  if (faults.roll('slow', operationId)) await new Promise((r) => setTimeout(r, faults.config.slowMs ?? 2000));
  return false;
}

/** A proxy's 413 for a body over `proxyBodyLimit` bytes (faults.ts); true when it answered. */
export function proxyRefusesBody(ex: Exchange, faults: Faults, text: string): boolean {
  const limit = faults.config.proxyBodyLimit;
  if (limit === undefined || Buffer.byteLength(text) <= limit) return false;
  ex.raw(
    413,
    'text/html',
    '<html><head><title>413 Request Entity Too Large</title></head><body><h1>413 Request Entity Too Large</h1></body></html>',
  );
  return true;
}

/** Sends the handler's answer (sparse fieldsets applied), unless a fault loses or slows it. */
export function answerAfter(
  ex: Exchange,
  faults: Faults,
  operationId: string,
  result: Answer,
  query: URLSearchParams,
  headers: Record<string, string>,
): void {
  if (faults.roll('lostAnswer', operationId))
    return ex.hangUp({ status: result.status, body: sparse(result.body, query) });
  if (faults.roll('slowBody', operationId))
    return ex.trickle(result.status, sparse(result.body, query), faults.config.slowBodyMs ?? 5000);
  ex.answer(result.status, sparse(result.body, query), headers);
}
