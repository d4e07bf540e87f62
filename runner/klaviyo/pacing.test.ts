import { describe, expect, it } from 'vitest';
import { TIER_LIMITS } from './limits.ts';
import { TierPace, tierWindows } from './pacing.ts';

/** Runs `n` requests through `pace` at once; returns when each started, in the order they started. */
async function starts(pace: TierPace, n: number): Promise<number[]> {
  const times: number[] = [];
  await Promise.all(
    Array.from({ length: n }, () =>
      pace.run((startedAt) => {
        times.push(startedAt);
        return Promise.resolve();
      }),
    ),
  );
  return times;
}

/** The shortest time any `k + 1` consecutive starts span. */
function shortestSpan(times: number[], k: number): number {
  let shortest = Infinity;
  for (let i = 0; i + k < times.length; i++) shortest = Math.min(shortest, times[i + k]! - times[i]!);
  return shortest;
}

describe('the pace of a rate-limit tier', () => {
  // Short windows, so the test crosses both in under two seconds.
  const windows = { burst: 4, burstMs: 200, steady: 10, steadyMs: 600 };

  it("keeps any window's worth of starts plus one wider than the window, wherever its edges fall", async () => {
    const pace = new TierPace(windows);
    const times = await starts(pace, 23);
    await pace.close();
    // Klaviyo's fixed windows may begin anywhere: burst + 1 starts inside one burst window would
    // be refused, and so would steady + 1 inside one steady window.
    expect(shortestSpan(times, windows.burst)).toBeGreaterThan(windows.burstMs);
    expect(shortestSpan(times, windows.steady)).toBeGreaterThan(windows.steadyMs);
    // The steady window, not the burst, held back the 11th start: a reservoir would have let it go.
    expect(times[10]! - times[0]!).toBeGreaterThan(windows.steadyMs);
  });

  it('widens the spacing after each refusal, up to half as wide again', async () => {
    const pace = new TierPace(windows);
    const base = pace.spacing();
    expect(base).toBeCloseTo((200 / 4) * 1.05);
    pace.throttled();
    expect(pace.spacing()).toBeCloseTo(base * 1.1);
    pace.throttled();
    pace.throttled();
    const widened = pace.spacing();
    expect(widened).toBeCloseTo(base * 1.1 ** 3);
    const times = await starts(pace, 4);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(widened);
    for (let i = 0; i < 10; i++) pace.throttled();
    expect(pace.spacing()).toBeCloseTo(base * 1.5);
    await pace.close();
  });

  it("holds every request of the tier until a spent steady window's Retry-After has passed, those already waiting too", async () => {
    const pace = new TierPace({ burst: 2, burstMs: 100, steady: 100, steadyMs: 10_000 });
    await pace.run(() => Promise.resolve());
    const started = (startedAt: number) => Promise.resolve(startedAt);
    const waiting = pace.run(started);
    const refusedAt = Date.now();
    pace.throttled(300);
    const after = pace.run(started);
    const [first, second] = await Promise.all([waiting, after]);
    expect(first - refusedAt).toBeGreaterThanOrEqual(300);
    expect(second - first).toBeGreaterThanOrEqual(pace.spacing());
    await pace.close();
  });

  it('holds nobody else after a burst refusal: the window rolls over first', async () => {
    const pace = new TierPace({ burst: 10, burstMs: 1000, steady: 100, steadyMs: 60_000 });
    await pace.run(() => Promise.resolve());
    const refusedAt = Date.now();
    pace.throttled(1000);
    const next = await pace.run((startedAt) => Promise.resolve(startedAt));
    // Spaced (105 ms, widened to 115.5), not held for the second the refused request waits.
    expect(next - refusedAt).toBeLessThan(600);
    await pace.close();
  });

  it('gives up a waiting turn when the run is cancelled, and the turns behind it go on', async () => {
    const pace = new TierPace({ burst: 1, burstMs: 300, steady: 10, steadyMs: 3000 });
    await pace.run(() => Promise.resolve());
    const cancel = new AbortController();
    const waiting = pace.run(() => Promise.resolve('sent'), cancel.signal);
    cancel.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
    await expect(pace.run(() => Promise.resolve('next'))).resolves.toBe('next');
    await pace.close();
  });

  it("is set to each tier's published limits", () => {
    for (const [tier, limits] of Object.entries(TIER_LIMITS))
      expect(tierWindows(tier as keyof typeof TIER_LIMITS)).toEqual({
        burst: limits.burstPerSecond,
        burstMs: 1000,
        steady: limits.perMinute,
        steadyMs: 60_000,
      });
  });
});
