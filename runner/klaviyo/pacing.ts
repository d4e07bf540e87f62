/**
 * The pace of one rate-limit tier: Klaviyo's burst and steady windows enforced together
 * (docs/klaviyo-api.md#rate-limits), one limiter per tier shared by every sync of a run.
 */
import Bottleneck from 'bottleneck';
import { TIER_LIMITS, type Tier } from './limits.ts';

export function tierLimiter(tier: Tier): Bottleneck {
  const { burstPerSecond, perMinute } = TIER_LIMITS[tier];
  const steady = new Bottleneck({
    reservoir: perMinute,
    reservoirRefreshAmount: perMinute,
    reservoirRefreshInterval: 60_000,
  });
  // Klaviyo counts the burst in fixed one-second windows whose edges we cannot see; a reservoir
  // refilled on our own clock can put two bursts into one of theirs. Spacing the starts evenly, a
  // little wider than 1/burst, keeps every one-second window within it.
  const limiter = new Bottleneck({
    minTime: Math.ceil((1000 / burstPerSecond) * 1.05),
    maxConcurrent: burstPerSecond,
  });
  limiter.chain(steady);
  return limiter;
}
