/**
 * Seeded fault injection: the same seed gives the same faults in the same order, so a failing
 * test can be replayed. Each rate is a probability per request (or per job).
 */
export type FaultRate =
  'throttle' | 'serverError' | 'reset' | 'lostAnswer' | 'slow' | 'failJob' | 'stallJob' | 'importRowError';

export interface FaultConfig {
  seed?: number;
  /** 429 throttled answers with Retry-After, as in a storm. */
  throttle?: number;
  /** 500 or 503 answers. */
  serverError?: number;
  /** The connection is destroyed mid-request, after the request was read but before any answer. */
  reset?: number;
  /**
   * The request is carried out in full (state changes, as Klaviyo would) and then the connection is
   * destroyed without an answer, as when a proxy or the network loses the response: the client
   * cannot tell whether its request took effect.
   */
  lostAnswer?: number;
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
  /**
   * Rates for one operation, over the ones above and whatever `operations` says, e.g.
   * `{"create_list": {"lostAnswer": 1}}`.
   */
  perOperation?: Record<string, Partial<Record<FaultRate, number>>>;
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

  private rate(kind: FaultRate, operationId: string | undefined): number | undefined {
    if (operationId === undefined) return this.config[kind];
    const own = this.config.perOperation?.[operationId]?.[kind];
    if (own !== undefined) return own;
    const { operations } = this.config;
    return operations === undefined || operations.includes(operationId) ? this.config[kind] : undefined;
  }

  roll(kind: FaultRate, operationId?: string): boolean {
    const p = this.rate(kind, operationId);
    if (typeof p !== 'number' || p <= 0) return false;
    return this.next() < p;
  }
}
