/**
 * How many Klaviyo requests a change needs, and how long they take at Klaviyo's published rate
 * limits (docs/klaviyo-api.md#rate-limits: bulk endpoints are tier M, 10/s burst and 150/min steady; profile
 * lookups, clears and subscriptions are tier L, 75/s and 700/min budgeted; the spec says 750;
 * profile deletions are tier S, 3/s and 60/min, docs/privacy-deletions.md).
 */
export const TIERS = {
  S: { burstPerSecond: 3, perMinute: 60 },
  M: { burstPerSecond: 10, perMinute: 150 },
  L: { burstPerSecond: 75, perMinute: 700 },
} as const;
export type Tier = keyof typeof TIERS;

export const LIMITS = {
  profilesPerImportJob: 10_000,
  eventsPerBulkRequest: 1_000,
  profilesPerListRequest: 1_000,
  profilesPerLookup: 100,
  profilesPerSubscribe: 1_000,
  profilesPerUnsubscribe: 100,
  bytesPerRequest: 5 * 1024 * 1024,
} as const;

export interface RequestEstimate {
  /** operation id → requests */
  requests: Record<string, number>;
  total: number;
  /** Seconds the requests take at the published limits (Klaviyo's job processing time comes on top). */
  seconds: number;
}

/** Seconds for n requests in one tier: the burst covers the first minute's allowance, then the steady rate binds. */
export function secondsFor(n: number, tier: Tier): number {
  if (n <= 0) return 0;
  const { burstPerSecond, perMinute } = TIERS[tier];
  if (n <= perMinute) return n / burstPerSecond;
  return (n / perMinute) * 60;
}

const TIER_OF: Record<string, Tier> = {
  bulk_import_profiles: 'M',
  get_bulk_import_profiles_job: 'M',
  get_errors_for_bulk_import_profiles_job: 'M',
  bulk_create_events: 'M',
  add_profiles_to_list: 'M',
  remove_profiles_from_list: 'M',
  get_profiles: 'L',
  update_profile: 'L',
  bulk_subscribe_profiles: 'L',
  bulk_unsubscribe_profiles: 'L',
  get_lists: 'L',
  create_list: 'M',
  request_profile_deletion: 'S',
};

export function estimate(requests: Record<string, number>): RequestEstimate {
  const perTier: Record<Tier, number> = { S: 0, M: 0, L: 0 };
  let total = 0;
  for (const [op, n] of Object.entries(requests)) {
    perTier[TIER_OF[op] ?? 'M'] += n;
    total += n;
  }
  // Tiers are separate budgets and run side by side; the slower one sets the time.
  return {
    requests,
    total,
    seconds: Math.max(secondsFor(perTier.S, 'S'), secondsFor(perTier.M, 'M'), secondsFor(perTier.L, 'L')),
  };
}

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
 * The requests of `jobs` import jobs submitted together: each job, its polls (the first job's
 * until ASSUMED_JOB_MS, one for each job after it), and one page of its import errors, which the
 * runner reads for every finished job
 * (https://developers.klaviyo.com/en/reference/get_errors_for_bulk_import_profiles_job).
 */
export function importJobRequests(jobs: number): Record<string, number> {
  if (jobs === 0) return {};
  return {
    bulk_import_profiles: jobs,
    get_bulk_import_profiles_job: pollsUntil(ASSUMED_JOB_MS) + (jobs - 1),
    get_errors_for_bulk_import_profiles_job: jobs,
  };
}

export const batches = (count: number, perBatch: number, bytes = 0): number =>
  count === 0 ? 0 : Math.max(Math.ceil(count / perBatch), Math.ceil(bytes / LIMITS.bytesPerRequest));
