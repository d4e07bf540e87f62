/**
 * Per-operation facts from Klaviyo's 2026-07-15 description (docs/klaviyo-api.md#operations-and-batch-limits): the rate-limit tier
 * (`x-klaviyo-ratelimit`), the scopes a key needs (`x-klaviyo-scopes`), so a 403 can name the
 * missing scope and each request waits on the right limiter, and whether a request may be resent.
 */
import type { Tier } from './limits.ts';

export type { Tier };

/**
 * `idempotent`: sending the same request twice leaves Klaviyo as sending it once, so the client may
 * resend it after an ambiguous failure (a connection lost after the request went out, or a 5xx,
 * when Klaviyo may or may not have done the work). A non-idempotent request is never resent
 * blindly: the client reports the outcome as unknown and the caller checks what Klaviyo holds.
 */
export const OPERATIONS = {
  // An upsert by identifier (docs/klaviyo-api.md#bulk-profile-import): a resent job imports the same profiles again, to the
  // same result (only a second job id, which nothing depends on).
  bulk_import_profiles: { tier: 'M', scopes: ['lists:write', 'profiles:write'], idempotent: true },
  // Reads (GET) change nothing.
  get_bulk_import_profiles_job: { tier: 'M', scopes: ['lists:read', 'profiles:read'], idempotent: true },
  get_errors_for_bulk_import_profiles_job: { tier: 'M', scopes: ['profiles:read'], idempotent: true },
  // Upsert by identifier (docs/klaviyo-api.md#operations-and-batch-limits, docs/klaviyo-api.md#bulk-profile-import): 201 the first time, 200 when resent.
  create_or_update_profile: { tier: 'L', scopes: ['profiles:write'], idempotent: true },
  // PATCH of one profile by id (docs/klaviyo-api.md#bulk-profile-import): the same attributes, or the same keys unset, again.
  update_profile: { tier: 'L', scopes: ['profiles:write'], idempotent: true },
  get_profiles: { tier: 'L', scopes: ['profiles:read'], idempotent: true },
  // Every event carries a deterministic unique_id; Klaviyo ignores an event whose unique_id it
  // already stores for that profile and metric (docs/klaviyo-api.md#events).
  bulk_create_events: { tier: 'M', scopes: ['events:write'], idempotent: true },
  get_events: { tier: 'XL', scopes: ['events:read'], idempotent: true },
  get_metrics: { tier: 'M', scopes: ['metrics:read'], idempotent: true },
  get_lists: { tier: 'L', scopes: ['lists:read'], idempotent: true },
  // NOT idempotent: each POST /api/lists makes a new list (201, docs/klaviyo-api.md#operations-and-batch-limits, docs/klaviyo-api.md#lists-and-consent) and nothing
  // makes names unique, so a resend after a lost answer would leave two lists of one name.
  create_list: { tier: 'M', scopes: ['lists:write'], idempotent: false },
  // Membership by profile id (docs/klaviyo-api.md#lists-and-consent): adding a member twice, or removing a removed one,
  // changes nothing.
  add_profiles_to_list: { tier: 'M', scopes: ['lists:write', 'profiles:write'], idempotent: true },
  remove_profiles_from_list: { tier: 'M', scopes: ['lists:write', 'profiles:write'], idempotent: true },
  get_profile_ids_for_list: { tier: 'L', scopes: ['lists:read', 'profiles:read'], idempotent: true },
  // Sets marketing consent to SUBSCRIBED (docs/klaviyo-api.md#lists-and-consent): already subscribed stays subscribed.
  bulk_subscribe_profiles: {
    tier: 'L',
    scopes: ['lists:write', 'profiles:write', 'subscriptions:write'],
    idempotent: true,
  },
  // Sets marketing consent to UNSUBSCRIBED on the channels named: already unsubscribed stays so.
  bulk_unsubscribe_profiles: {
    tier: 'L',
    scopes: ['lists:write', 'profiles:write', 'subscriptions:write'],
    idempotent: true,
  },
  // Webhooks (docs/webhooks.md#managing-subscriptions): all XS. NOT idempotent: each POST makes
  // one more webhook, so a resend after a lost answer could leave two delivering the same events.
  create_webhook: { tier: 'XS', scopes: ['webhooks:write'], idempotent: false },
  get_webhooks: { tier: 'XS', scopes: ['webhooks:read'], idempotent: true },
  // Deleting a deleted webhook changes nothing (Klaviyo answers 404).
  delete_webhook: { tier: 'XS', scopes: ['webhooks:write'], idempotent: true },
  // Erases every profile the one identifier matches, with its events (docs/privacy-deletions.md).
  // Requesting the same person's deletion again erases the same person: harmless, so a lost answer
  // may be resent; the runner's state keeps runs from requesting it twice.
  request_profile_deletion: { tier: 'S', scopes: ['data-privacy:write'], idempotent: true },
} as const satisfies Record<string, { tier: Tier; scopes: readonly string[]; idempotent: boolean }>;

export type OperationId = keyof typeof OPERATIONS;
