/**
 * List membership executor. Klaviyo adds and removes list members by profile id, ≤1,000 per call;
 * ids come from the snapshot or are looked up by identifier (profile-ids.ts).
 */
import { stopsTheRun } from '../errors.ts';
import type { KlaviyoClient } from '../klaviyo/client.ts';
import { addToList, removeFromList, subscribe } from '../klaviyo/lists.ts';
import type { ListMemberPayload } from '../transform/payload.ts';
import type { RowOutcome } from './outcome.ts';
import { resolveProfileIds } from './profile-ids.ts';

export const MAX_MEMBERS = 1000;

async function change(
  client: KlaviyoClient,
  listId: string,
  members: ListMemberPayload[],
  op: 'add' | 'remove',
): Promise<RowOutcome[]> {
  const ids = await resolveProfileIds(client, members);
  const outcomes: RowOutcome[] = [];
  const known = members.filter((m) => ids.has(m.key));
  for (const m of members) {
    if (!ids.has(m.key)) {
      outcomes.push(
        op === 'add'
          ? {
              key: m.key,
              status: 'failed',
              reason:
                'no Klaviyo profile has these identifiers yet; sync the profile first (or declare `after`)',
            }
          : { key: m.key, status: 'confirmed', profileId: null },
      );
    }
  }
  if (known.length === 0) return outcomes;
  try {
    const profileIds = [...new Set(known.map((m) => ids.get(m.key)!))];
    if (op === 'add') await addToList(client, listId, profileIds);
    else await removeFromList(client, listId, profileIds);
    outcomes.push(
      ...known.map((m) => ({ key: m.key, status: 'confirmed' as const, profileId: ids.get(m.key)! })),
    );
  } catch (error) {
    if (stopsTheRun(error)) throw error;
    outcomes.push(
      ...known.map((m) => ({ key: m.key, status: 'failed' as const, reason: (error as Error).message })),
    );
  }
  return outcomes;
}

export const addMembers = (client: KlaviyoClient, listId: string, members: ListMemberPayload[]) =>
  change(client, listId, members, 'add');
export const removeMembers = (client: KlaviyoClient, listId: string, members: ListMemberPayload[]) =>
  change(client, listId, members, 'remove');

/** Marketing subscription with consent, only for members whose row gave it. */
export async function subscribeMembers(
  client: KlaviyoClient,
  listId: string,
  members: ListMemberPayload[],
): Promise<RowOutcome[]> {
  const consenting = members.filter((m) => m.subscribe !== undefined);
  if (consenting.length === 0) return [];
  try {
    await subscribe(
      client,
      listId,
      consenting.map((m) => ({
        email: m.profile.email,
        phone_number: m.profile.phone_number,
        channels: m.subscribe!.channels,
        consentedAt: m.subscribe!.consentedAt,
      })),
    );
    return consenting.map((m) => ({ key: m.key, status: 'confirmed' as const }));
  } catch (error) {
    if (stopsTheRun(error)) throw error;
    return consenting.map((m) => ({
      key: m.key,
      status: 'failed' as const,
      reason: (error as Error).message,
    }));
  }
}
