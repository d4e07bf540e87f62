import { describe, expect, it } from 'vitest';
import { batches } from '../klaviyo/limits.ts';
import { estimate, secondsFor } from './estimate.ts';

describe('request estimates at Klaviyo published limits', () => {
  it("sends each minute's allowance at the burst rate, a minute after the one before began", () => {
    expect(secondsFor(0, 'M')).toBe(0);
    expect(secondsFor(10, 'M')).toBe(1);
    expect(secondsFor(150, 'M')).toBe(15);
    // The 151st request waits for the minute that began with the first.
    expect(secondsFor(151, 'M')).toBeCloseTo(60.1);
    expect(secondsFor(300, 'M')).toBe(75);
    expect(secondsFor(391, 'M')).toBeCloseTo(129.1);
    expect(secondsFor(1400, 'L')).toBeCloseTo(60 + 700 / 75);
    expect(secondsFor(1401, 'L')).toBeCloseTo(120 + 1 / 75);
  });

  it('batches by count and by the 5 MB request limit, whichever binds', () => {
    expect(batches(0, 10_000)).toBe(0);
    expect(batches(25_000, 10_000)).toBe(3);
    expect(batches(1_000, 10_000, 12 * 1024 * 1024)).toBe(3);
  });

  it('runs tiers side by side: the slower tier sets the time', () => {
    expect(
      estimate({ bulk_import_profiles: 10, get_bulk_import_profiles_job: 30, get_profiles: 700 }),
    ).toEqual({
      requests: { bulk_import_profiles: 10, get_bulk_import_profiles_job: 30, get_profiles: 700 },
      total: 740,
      seconds: 9.333333333333334,
    });
  });
});
