/**
 * Seeded fault injection: the same seed gives the same faults in the same order, so a failing
 * test can be replayed. Each rate is a probability per request (or per job).
 */
import { seededRandom } from './seeded-random.ts';

export type FaultRate =
  | 'throttle'
  | 'serverError'
  | 'reset'
  | 'lostAnswer'
  | 'slow'
  | 'failJob'
  | 'stallJob'
  | 'importRowError'
  | 'proxyBadRequest'
  | 'gatewayError'
  | 'hang'
  | 'slowBody';

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
  /** A proxy in front of Klaviyo answers 400 in text/plain, before the request reaches Klaviyo. */
  proxyBadRequest?: number;
  /** A gateway answers 502 with an HTML page, before the request reaches Klaviyo. */
  gatewayError?: number;
  /** The connection is accepted and the request read, and no answer ever comes. */
  hang?: number;
  /** The request is carried out, and its answer's body then trickles in over `slowBodyMs`. */
  slowBody?: number;
  slowBodyMs?: number;
  /**
   * A proxy in front of Klaviyo refuses any request body over this many bytes with an HTML 413,
   * before Klaviyo sees it (nginx's `client_max_body_size` is 1 MB by default). Not a rate: every
   * such request, whatever `operations` says.
   */
  proxyBodyLimit?: number;
  /** Only affect these operation ids (all when absent). */
  operations?: string[];
  /**
   * Rates for one operation, over the ones above and whatever `operations` says, e.g.
   * `{"create_list": {"lostAnswer": 1}}`.
   */
  perOperation?: Record<string, Partial<Record<FaultRate, number>>>;
}

export class Faults {
  private readonly next: () => number;
  constructor(public config: FaultConfig = {}) {
    this.next = seededRandom(config.seed ?? 1);
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

const RATES: readonly FaultRate[] = [
  'throttle',
  'serverError',
  'reset',
  'lostAnswer',
  'slow',
  'failJob',
  'stallJob',
  'importRowError',
  'proxyBadRequest',
  'gatewayError',
  'hang',
  'slowBody',
];
const MILLISECONDS = ['slowMs', 'stallMs', 'slowBodyMs'] as const;

function rateProblem(where: string, value: unknown): string | null {
  return typeof value === 'number' && value >= 0 && value <= 1
    ? null
    : `${where} must be a probability from 0 to 1, got ${JSON.stringify(value)}`;
}

/**
 * A faults file (`klaviyo-runner sandbox --faults`) read as untrusted input: every problem, each
 * naming its key, or the config. An unknown key is refused rather than ignored, so a misspelt
 * rate never quietly injects nothing.
 */
export function parseFaultConfig(
  raw: unknown,
): { ok: true; config: FaultConfig } | { ok: false; problems: string[] } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { ok: false, problems: ['the file must hold a JSON object'] };
  const problems: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if ((RATES as readonly string[]).includes(key)) {
      const problem = rateProblem(key, value);
      if (problem !== null) problems.push(problem);
    } else if ((MILLISECONDS as readonly string[]).includes(key) || key === 'seed') {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
        problems.push(`${key} must be a whole number of at least 0, got ${JSON.stringify(value)}`);
    } else if (key === 'proxyBodyLimit') {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
        problems.push(
          `proxyBodyLimit must be a whole number of bytes, 1 or more, got ${JSON.stringify(value)}`,
        );
    } else if (key === 'operations') {
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
        problems.push('operations must be a list of operation ids, e.g. ["bulk_create_events"]');
    } else if (key === 'perOperation') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        problems.push(
          'perOperation must map operation ids to rates, e.g. {"create_list": {"lostAnswer": 1}}',
        );
        continue;
      }
      for (const [operation, rates] of Object.entries(value as Record<string, unknown>)) {
        if (typeof rates !== 'object' || rates === null || Array.isArray(rates)) {
          problems.push(`perOperation.${operation} must be an object of rates`);
          continue;
        }
        for (const [kind, rate] of Object.entries(rates as Record<string, unknown>)) {
          if (!(RATES as readonly string[]).includes(kind))
            problems.push(`perOperation.${operation}.${kind} is not a fault (known: ${RATES.join(', ')})`);
          else {
            const problem = rateProblem(`perOperation.${operation}.${kind}`, rate);
            if (problem !== null) problems.push(problem);
          }
        }
      }
    } else
      problems.push(
        `${key} is not a fault setting (known: seed, ${RATES.join(', ')}, ${MILLISECONDS.join(', ')}, proxyBodyLimit, operations, perOperation)`,
      );
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config: raw };
}
