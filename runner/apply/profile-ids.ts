/**
 * Klaviyo profile ids for rows, learnt where they are cheapest: the snapshot when an earlier run
 * confirmed the row, otherwise `get_profiles` filtered by identifier, 100 values a request at the
 * L tier (700/min), reading every page (a single unpaginated lookup
 * would silently drop rows). Only the rows that need an id pay for it: list members and profiles whose properties
 * must be cleared, never every imported profile (reading a whole import job back costs a request
 * per 100 profiles at the slower M tier).
 */
import { KlaviyoError, stopsTheRun } from '../errors.ts';
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

/**
 * Whether Klaviyo answered that no profile has the id a request named: a 404 for the profile in
 * the path (https://developers.klaviyo.com/en/reference/update_profile). A profile merged into
 * another or deleted in Klaviyo keeps no id behind, so an id the snapshot kept goes stale so.
 */
export function profileGone(error: unknown): boolean {
  return error instanceof KlaviyoError && error.status === 404;
}

/** What a request on a row's profile came to: the id it went to, null for no profile, or its error. */
export type OnProfile = { profileId: string | null } | { error: unknown };

/**
 * Runs `request` on the profile of each item whose id is known (`ids`, from `resolveProfileIds`).
 * A kept id Klaviyo answers 404 for is forgotten: those rows are looked up again by their
 * identifiers (100 a request), and the request sent once more to the profile found, so a profile
 * merged or deleted in Klaviyo costs one run one more request, not a failure on every run. The
 * id the request went to is returned, for the snapshot to keep instead.
 */
export async function onEachProfile<T extends Identified>(
  client: KlaviyoClient,
  items: T[],
  ids: ReadonlyMap<string, string>,
  request: (item: T, profileId: string) => Promise<void>,
): Promise<Map<string, OnProfile>> {
  const done = new Map<string, OnProfile>();
  const send = async (item: T, profileId: string | undefined, stale?: T[]): Promise<void> => {
    if (profileId === undefined) {
      done.set(item.key, { profileId: null });
      return;
    }
    try {
      await request(item, profileId);
      done.set(item.key, { profileId });
    } catch (error) {
      if (stopsTheRun(error)) throw error;
      if (stale !== undefined && profileGone(error) && profileId === item.profileId) stale.push(item);
      else done.set(item.key, { error });
    }
  };
  const stale: T[] = [];
  for (const item of items) await send(item, ids.get(item.key), stale);
  if (stale.length === 0) return done;
  const found = await resolveProfileIds(
    client,
    stale.map((item) => ({ ...item, profileId: null })),
  );
  for (const item of stale) await send(item, found.get(item.key));
  return done;
}
