/**
 * Seeded fault injection: the same seed gives the same faults in the same order, so a failing
 * test can be replayed. Each rate is a probability per request (or per job).
 */
export interface FaultConfig {
  seed?: number;
  /** 429 throttled answers with Retry-After, as in a storm. */
  throttle?: number;
  /** 500 or 503 answers. */
  serverError?: number;
  /** The connection is destroyed mid-request, after the request was read but before any answer. */
  reset?: number;
  /** Responses delayed by `slowMs`. */
  slow?: number;
  slowMs?: number;
  /** Import jobs that end `cancelled`. */
  failJob?: number;
  /** Import jobs that stay `processing` for `stallMs`. */
  stallJob?: number;
  stallMs?: number;
  /** Valid import rows that fail anyway with a transient-looking error. */
  importRowError?: number;
  /** Only affect these operation ids (all when absent). */
  operations?: string[];
}

export class Faults {
  private state: number;
  constructor(public config: FaultConfig = {}) {
    this.state = (config.seed ?? 1) >>> 0;
  }

  private next(): number {
    // mulberry32
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  roll(kind: keyof FaultConfig, operationId?: string): boolean {
    const p = this.config[kind];
    if (typeof p !== 'number' || p <= 0) return false;
    if (
      operationId !== undefined &&
      this.config.operations !== undefined &&
      !this.config.operations.includes(operationId)
    )
      return false;
    return this.next() < p;
  }
}
