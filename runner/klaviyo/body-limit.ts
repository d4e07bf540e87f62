/**
 * The largest request body known to pass, once one was refused as too large (413, from Klaviyo or
 * from a proxy in front of it: nginx refuses bodies over 1 MB by default,
 * https://nginx.org/en/docs/http/ngx_http_core_module.html#client_max_body_size). The executors
 * halve a refused batch until its parts pass (apply/outcome.ts, `tooLarge`); later batches are
 * then cut to fit (`partsWithin`) instead of each being refused and halved again. They are cut
 * halfway between the largest body that passed and the smallest refused: each pass raises the
 * one, each refusal lowers the other, so a few refusals find the limit, and the run does not send
 * twice the requests it needs, as cutting at the largest body that passed could.
 */
export class BodyLimit {
  private refused = Infinity;
  private passed = 0;

  /**
   * Records the size of a body Klaviyo answered with `status`. Passes count from the first refusal
   * on, so a run that never meets one measures no body.
   */
  note(status: number, body: string): void {
    if (status === 413) this.refused = Math.min(this.refused, Buffer.byteLength(body));
    else if (status < 300 && this.refused !== Infinity)
      this.passed = Math.max(this.passed, Buffer.byteLength(body));
  }

  /** Bytes a body may have: Infinity until a 413; then halfway from the largest passed to the smallest refused. */
  get bytes(): number {
    if (this.refused === Infinity) return Infinity;
    return this.passed > 0 && this.passed < this.refused
      ? Math.floor((this.passed + this.refused) / 2)
      : this.refused - 1;
  }
}

/**
 * `items` in parts whose bodies stay within `limit` bytes, each keeping a tenth of it for the
 * request's envelope around its payloads; one part while the limit is unknown.
 */
export function partsWithin<T extends { bytes: number }>(items: T[], limit: number): T[][] {
  if (!Number.isFinite(limit)) return [items];
  const room = limit * 0.9;
  const parts: T[][] = [];
  let part: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (part.length > 0 && bytes + item.bytes > room) {
      parts.push(part);
      part = [];
      bytes = 0;
    }
    part.push(item);
    bytes += item.bytes;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}
