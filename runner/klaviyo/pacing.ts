/**
 * The pace of one rate-limit tier: Klaviyo's burst and steady windows enforced together
 * (docs/klaviyo-api.md#rate-limits), one pace per tier shared by every sync of a run.
 *
 * Klaviyo counts requests in fixed windows whose edges we cannot see, and counts them when they
 * arrive, not when we send them. So the pace keeps a guarantee that holds for any window
 * placement: any `burst + 1` consecutive starts span more than the burst window, and any
 * `steady + 1` consecutive starts span more than the steady window, each with room for the network
 * and the two machines' schedulers to bring two requests closer than they were sent. A reservoir
 * refilled on our own clock could put two of its fills into one of Klaviyo's windows.
 */
import Bottleneck from 'bottleneck';
import { TIER_LIMITS, type Tier } from './limits.ts';

/** A tier's two windows: at most `burst` requests in `burstMs`, at most `steady` in `steadyMs`. */
export interface TierWindows {
  burst: number;
  burstMs: number;
  steady: number;
  steadyMs: number;
}

export function tierWindows(tier: Tier): TierWindows {
  const { burstPerSecond, perMinute } = TIER_LIMITS[tier];
  return { burst: burstPerSecond, burstMs: 1000, steady: perMinute, steadyMs: 60_000 };
}

/** Starts are spaced 5% wider than window/burst: 50 ms of room in Klaviyo's one-second window. */
const SPACING_MARGIN = 1.05;
/** Room in the steady window: a second is far more than arrival times move. */
const STEADY_MARGIN_MS = 1000;
/** A refusal means arrivals moved more than the room allowed here: each widens the spacing 10%, up to 1.5×. */
const WIDEN = 1.1;
const MAX_WIDENING = 1.5;

export class TierPace {
  /** Start times of the last `steady` requests, oldest first. */
  private readonly starts: number[] = [];
  /** Turns are taken in order: a request waiting its turn holds back the ones behind it. */
  private queue: Promise<void> = Promise.resolve();
  private widening = 1;
  /** No turn starts before this time (the Retry-After of a 429 for a spent steady window). */
  private resumeAt = 0;
  private readonly concurrency: Bottleneck;

  constructor(private readonly windows: TierWindows) {
    // At most a burst's worth of requests in flight: a slow Klaviyo holds the run back, not a pile of sockets.
    this.concurrency = new Bottleneck({ maxConcurrent: windows.burst });
  }

  /**
   * Runs `send` at the tier's next turn, with the time the turn began; a signal aborted while it
   * waits rejects it.
   */
  run<T>(send: (startedAt: number) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.concurrency.schedule(async () => send(await this.turn(signal)));
  }

  /**
   * Klaviyo refused a request of this tier (429) and asked for `retryAfterMs`. The spacing widens
   * for the rest of the run, since arrivals came closer than they were sent. A wait longer than
   * the burst window means the steady window is spent, and it is the account's, shared with every
   * other integration on it (docs/klaviyo-api.md#rate-limits): then no request of the tier starts
   * before the wait is over, rather than each meeting the same 429. A burst refusal holds only
   * the refused request: the window rolls over before the next ones would wait it out.
   */
  throttled(retryAfterMs = 0): void {
    this.widening = Math.min(MAX_WIDENING, this.widening * WIDEN);
    if (retryAfterMs > this.windows.burstMs)
      this.resumeAt = Math.max(this.resumeAt, Date.now() + retryAfterMs);
  }

  /** The gap kept between two starts, in milliseconds. */
  spacing(): number {
    const { burst, burstMs } = this.windows;
    return (burstMs / burst) * SPACING_MARGIN * this.widening;
  }

  async close(): Promise<void> {
    await this.concurrency.disconnect();
  }

  private turn(signal?: AbortSignal): Promise<number> {
    const turn = this.queue.then(() => this.wait(signal));
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  private async wait(signal?: AbortSignal): Promise<number> {
    signal?.throwIfAborted();
    // Checked again after each sleep: a 429 may have moved `resumeAt` meanwhile, and a timer may
    // fire a millisecond early by the wall clock.
    for (let now = Date.now(), at = this.nextStart(); now < at; now = Date.now(), at = this.nextStart())
      await sleep(Math.ceil(at - now), signal);
    const startedAt = Date.now();
    this.starts.push(startedAt);
    if (this.starts.length > this.windows.steady) this.starts.shift();
    return startedAt;
  }

  /** The earliest time the next request may start. */
  private nextStart(): number {
    const { steady, steadyMs } = this.windows;
    const last = this.starts.at(-1);
    let at = Math.max(this.resumeAt, last === undefined ? 0 : last + this.spacing());
    if (this.starts.length === steady) at = Math.max(at, this.starts[0]! + steadyMs + STEADY_MARGIN_MS);
    return at;
  }
}

export function tierPace(tier: Tier): TierPace {
  return new TierPace(tierWindows(tier));
}

/** Resolves after `ms`; rejects with the signal's reason if it is aborted first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
