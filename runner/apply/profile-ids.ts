/**
 * Klaviyo profile ids for rows, learnt where they are cheapest: the snapshot when an earlier run
 * confirmed the row, otherwise `get_profiles` filtered by identifier, 100 values a request at the
 * L tier (700/min), reading every page (a single unpaginated lookup
 * would silently drop rows). Only the rows that need an id pay for it: list members and profiles whose properties
 * must be cleared, never every imported profile (reading a whole import job back costs a request
 * per 100 profiles at the slower M tier).
 */
import type { KlaviyoClient } from '../klaviyo/client.ts';
import { findProfiles } from '../klaviyo/profiles.ts';
import type { ProfileIdentity } from '../transform/payload.ts';

export interface Identified {
  key: string;
  profile: ProfileIdentity;
  /** Known from the snapshot, or null. */
  profileId: string | null;
}

/** key → Klaviyo profile id, by the snapshot's id, then email, external_id and phone number. */
export async function resolveProfileIds(
  client: KlaviyoClient,
  items: Identified[],
): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const item of items) if (item.profileId) ids.set(item.key, item.profileId);
  for (const field of ['email', 'external_id', 'phone_number'] as const) {
    const missing = items.filter((item) => !ids.has(item.key) && item.profile[field] !== undefined);
    if (missing.length === 0) continue;
    const found = await findProfiles(client, field, [...new Set(missing.map((m) => m.profile[field]!))]);
    const byValue = new Map(found.map((p) => [String(p.attributes[field] ?? '').toLowerCase(), p.id]));
    for (const m of missing) {
      const id = byValue.get(m.profile[field]!.toLowerCase());
      if (id !== undefined) ids.set(m.key, id);
    }
  }
  return ids;
}
