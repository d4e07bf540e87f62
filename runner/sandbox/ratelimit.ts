/**
 * Klaviyo's rate limits: per API key and per endpoint tier, a 1-second burst window and a
 * 60-second steady window, both fixed and enforced together; breaching either answers 429 with
 * Retry-After in seconds (docs/klaviyo-api.md#rate-limits). Each operation's tier is its `x-klaviyo-ratelimit` in
 * the 2026-07-15 description (docs/klaviyo-api.md#operations-and-batch-limits).
 */
export type Tier = 'XS' | 'S' | 'M' | 'L' | 'XL';
export type TierLimits = Record<Tier, { burst: number; steady: number }>;

/** Published numbers (L budgeted at the docs' 700/min; the spec says 750). */
export const KLAVIYO_LIMITS: TierLimits = {
  XS: { burst: 1, steady: 15 },
  S: { burst: 3, steady: 60 },
  M: { burst: 10, steady: 150 },
  L: { burst: 75, steady: 700 },
  XL: { burst: 350, steady: 3500 },
};

/** Scaled down so tests can cross a limit in a handful of requests. */
export const FAST_LIMITS: TierLimits = {
  XS: { burst: 1, steady: 3 },
  S: { burst: 2, steady: 6 },
  M: { burst: 3, steady: 12 },
  L: { burst: 5, steady: 30 },
  XL: { burst: 10, steady: 60 },
};

export const OPERATION_TIERS: Record<string, Tier> = {
  bulk_import_profiles: 'M',
  get_bulk_import_profiles_jobs: 'M',
  get_bulk_import_profiles_job: 'M',
  get_errors_for_bulk_import_profiles_job: 'M',
  get_profiles_for_bulk_import_profiles_job: 'M',
  get_profile_ids_for_bulk_import_profiles_job: 'M',
  create_or_update_profile: 'L',
  create_profile: 'L',
  update_profile: 'L',
  get_profiles: 'L',
  get_profile: 'L',
  create_event: 'XL',
  bulk_create_events: 'M',
  get_events: 'XL',
  get_event: 'M',
  get_metrics: 'M',
  get_metric: 'M',
  get_lists: 'L',
  get_list: 'L',
  create_list: 'M',
  add_profiles_to_list: 'M',
  remove_profiles_from_list: 'M',
  get_profile_ids_for_list: 'L',
  get_profiles_for_list: 'L',
  bulk_subscribe_profiles: 'L',
  bulk_unsubscribe_profiles: 'L',
  bulk_suppress_profiles: 'L',
  bulk_unsuppress_profiles: 'L',
  get_bulk_suppress_profiles_jobs: 'L',
  get_bulk_suppress_profiles_job: 'L',
  get_bulk_unsuppress_profiles_jobs: 'L',
  get_bulk_unsuppress_profiles_job: 'L',
  get_list_for_bulk_import_profiles_job: 'M',
  get_list_ids_for_bulk_import_profiles_job: 'M',
  create_webhook: 'XS',
  get_webhooks: 'XS',
  get_webhook: 'XS',
  delete_webhook: 'XS',
  get_webhook_topics: 'XS',
  request_profile_deletion: 'S',
};

export class RateLimiter {
  private windows = new Map<
    string,
    { second: number; secondCount: number; minute: number; minuteCount: number }
  >();
  constructor(private readonly limits: TierLimits | null) {}

  /** Counts a request; returns seconds to wait when it is over a limit (the request is refused). */
  take(apiKey: string, operationId: string, now = Date.now()): number | null {
    if (this.limits === null) return null;
    const tier = OPERATION_TIERS[operationId] ?? 'M';
    const { burst, steady } = this.limits[tier];
    const id = `${apiKey}|${tier}`;
    const second = Math.floor(now / 1000);
    const minute = Math.floor(now / 60_000);
    const w = this.windows.get(id) ?? { second, secondCount: 0, minute, minuteCount: 0 };
    if (w.second !== second) Object.assign(w, { second, secondCount: 0 });
    if (w.minute !== minute) Object.assign(w, { minute, minuteCount: 0 });
    this.windows.set(id, w);
    if (w.minuteCount >= steady) return Math.max(1, Math.ceil(((minute + 1) * 60_000 - now) / 1000));
    if (w.secondCount >= burst) return 1;
    w.secondCount += 1;
    w.minuteCount += 1;
    return null;
  }

  /**
   * The steady window after a request was counted, as Klaviyo reports it on answers that are not
   * 429: RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset (seconds left in the window).
   */
  headers(apiKey: string, operationId: string, now = Date.now()): Record<string, string> {
    if (this.limits === null) return {};
    const tier = OPERATION_TIERS[operationId] ?? 'M';
    const { steady } = this.limits[tier];
    const w = this.windows.get(`${apiKey}|${tier}`);
    const used = w !== undefined && w.minute === Math.floor(now / 60_000) ? w.minuteCount : 0;
    return {
      'ratelimit-limit': String(steady),
      'ratelimit-remaining': String(Math.max(0, steady - used)),
      'ratelimit-reset': String(Math.max(1, Math.ceil((60_000 - (now % 60_000)) / 1000))),
    };
  }
}
