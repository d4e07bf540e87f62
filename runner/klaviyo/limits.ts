/**
 * Klaviyo's published limits, in one place: how much one request may carry
 * (docs/klaviyo-api.md#operations-and-batch-limits) and how many requests each rate-limit tier
 * allows (docs/klaviyo-api.md#rate-limits). The client's limiters, the batchers and the plan's
 * estimate all read them from here, so they cannot disagree. It imports nothing, so every stage of
 * the runner may read it (eslint.config.js). The sandbox keeps its own table on
 * purpose, as an independent stand-in; a test checks the two agree.
 */

/** A rate-limit tier (`x-klaviyo-ratelimit` in Klaviyo's OpenAPI description). */
export type Tier = 'XS' | 'S' | 'M' | 'L' | 'XL';

/**
 * Requests per tier: a burst per second and a steady rate per minute, both enforced at once
 * (https://developers.klaviyo.com/en/docs/rate_limits_and_error_handling). L is budgeted at the
 * published page's 700/min rather than the OpenAPI description's 750 (docs/klaviyo-api.md#rate-limits).
 */
export const TIER_LIMITS: Record<Tier, { burstPerSecond: number; perMinute: number }> = {
  XS: { burstPerSecond: 1, perMinute: 15 },
  S: { burstPerSecond: 3, perMinute: 60 },
  M: { burstPerSecond: 10, perMinute: 150 },
  L: { burstPerSecond: 75, perMinute: 700 },
  XL: { burstPerSecond: 350, perMinute: 3500 },
};

/** Bytes Klaviyo accepts in one request body (bulk profile import, bulk events): 5 MB. */
const REQUEST_BYTES = 5 * 1024 * 1024;

/** What one request may carry (docs/klaviyo-api.md#operations-and-batch-limits). */
export const LIMITS = {
  /** bulk_import_profiles: profiles per job. */
  profilesPerImportJob: 10_000,
  /** bulk_create_events: events per request. */
  eventsPerBulkRequest: 1_000,
  /** add_profiles_to_list / remove_profiles_from_list: profile ids per request. */
  profilesPerListRequest: 1_000,
  /** get_profiles: identifiers in one `any()` filter. */
  profilesPerLookup: 100,
  /** bulk_subscribe_profiles: profiles per job. */
  profilesPerSubscribe: 1_000,
  /** bulk_unsubscribe_profiles: profiles per job. */
  profilesPerUnsubscribe: 100,
  /** Klaviyo's size limit for one request body. */
  bytesPerRequest: REQUEST_BYTES,
  /**
   * What the runner puts in one batch: the request limit less room for the JSON:API envelope
   * around the payloads, which their measured size does not include.
   */
  bytesPerBatch: REQUEST_BYTES - 64 * 1024,
  /** One profile in an import job or a profile write (docs/klaviyo-api.md#bulk-profile-import). */
  bytesPerProfile: 100 * 1024,
  /** The profile object inside an event (docs/klaviyo-api.md#events). */
  bytesPerEventProfile: 95 * 1024,
  /** One event's properties as JSON (docs/klaviyo-api.md#events). */
  bytesPerEvent: REQUEST_BYTES,
  /** Keys in one event's properties. */
  propertiesPerEvent: 400,
  /** One string inside an event's properties. */
  bytesPerEventString: 100 * 1024,
  /** Items in one array inside an event's properties. */
  itemsPerEventArray: 4000,
  /** Levels of nesting in an event's properties, the properties object being level 1. */
  eventNestingLevels: 10,
} as const;

/** Requests to send `count` items `perBatch` at a time and at most LIMITS.bytesPerBatch each. */
export const batches = (count: number, perBatch: number, bytes = 0): number =>
  count === 0 ? 0 : Math.max(Math.ceil(count / perBatch), Math.ceil(bytes / LIMITS.bytesPerBatch));

/**
 * How the runner polls an import job (https://developers.klaviyo.com/en/reference/get_bulk_import_profiles_job):
 * at once, then after a delay growing by half each time up to a ceiling.
 */
export const IMPORT_POLL = { firstDelayMs: 500, growth: 1.5, maxDelayMs: 5000 } as const;

/**
 * How long Klaviyo is assumed to take to process a job once accepted, for the estimate only: Klaviyo
 * publishes no figure, and small jobs finish in about two seconds (the sandbox's pace too). Jobs
 * submitted together are processed side by side, so later ones are done when their first poll comes.
 */
export const ASSUMED_JOB_MS = 2000;

/** Polls until a job that takes `ms` is seen complete, on the IMPORT_POLL schedule. */
export function pollsUntil(ms: number): number {
  let polls = 1;
  let elapsed = 0;
  let delay: number = IMPORT_POLL.firstDelayMs;
  while (elapsed < ms) {
    elapsed += delay;
    polls += 1;
    delay = Math.min(delay * IMPORT_POLL.growth, IMPORT_POLL.maxDelayMs);
  }
  return polls;
}

/**
 * Seconds `n` requests of one tier take at its limits, paced as klaviyo/pacing.ts paces them: no
 * more than a minute's allowance in any minute, wherever Klaviyo's fixed windows begin. Each
 * allowance goes out at the burst rate, and the next begins a minute after the one before it
 * began, so 300 requests of tier M (150 a minute, 10 a second) take 60 + 15 seconds, not the 120
 * the steady rate alone would say.
 */
export function secondsFor(n: number, tier: Tier): number {
  if (n <= 0) return 0;
  const { burstPerSecond, perMinute } = TIER_LIMITS[tier];
  const fullMinutes = Math.floor((n - 1) / perMinute);
  return fullMinutes * 60 + (n - fullMinutes * perMinute) / burstPerSecond;
}
