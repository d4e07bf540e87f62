import { describe, expect, it } from 'vitest';
import { BATCH_LIMITS } from '../sandbox/limits.ts';
import { KLAVIYO_LIMITS, OPERATION_TIERS } from '../sandbox/ratelimit.ts';
import { LIMITS, TIER_LIMITS } from './limits.ts';
import { OPERATIONS } from './operations.ts';

// The sandbox keeps its own table of Klaviyo's limits on purpose; the two must say the same.
describe("Klaviyo's limits: the runner's table and the sandbox's agree", () => {
  it('on what one request may carry', () => {
    for (const [limit, value] of Object.entries(BATCH_LIMITS))
      expect(LIMITS[limit as keyof typeof BATCH_LIMITS], limit).toBe(value);
    expect(LIMITS.bytesPerBatch).toBeLessThan(BATCH_LIMITS.bytesPerRequest);
  });

  it('on each tier and on the tier of each operation the runner calls', () => {
    expect(
      Object.fromEntries(
        Object.entries(TIER_LIMITS).map(([tier, l]) => [
          tier,
          { burst: l.burstPerSecond, steady: l.perMinute },
        ]),
      ),
    ).toEqual(KLAVIYO_LIMITS);
    for (const [op, { tier }] of Object.entries(OPERATIONS))
      expect(OPERATION_TIERS[op], `the tier of ${op}`).toBe(tier);
  });
});
