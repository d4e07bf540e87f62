/**
 * What one request may carry, as this stand-in for Klaviyo enforces it
 * (docs/klaviyo-api.md#operations-and-batch-limits). The sandbox keeps its own table, apart from
 * the runner's (runner/klaviyo/limits.ts), so it stays an independent check of the runner;
 * runner/klaviyo/limits.test.ts says the two agree.
 */
export const BATCH_LIMITS = {
  profilesPerImportJob: 10_000,
  eventsPerBulkRequest: 1_000,
  profilesPerListRequest: 1_000,
  profilesPerLookup: 100,
  profilesPerSubscribe: 1_000,
  profilesPerUnsubscribe: 100,
  bytesPerRequest: 5 * 1024 * 1024,
  bytesPerProfile: 100 * 1024,
} as const;
