/**
 * List membership executor. Klaviyo adds and removes list members by profile id, ≤1,000 per call;
 * ids come from the snapshot or are looked up by identifier (profile-ids.ts).
 */
import { KlaviyoError, stopsTheRun } from '../errors.ts';
import type { KlaviyoClient } from '../klaviyo/client.ts';
import {
  addToList,
  listNotFound,
  MAX_UNSUBSCRIBES,
  removeFromList,
  unsubscribeRequest,
} from '../klaviyo/lists.ts';
import { eachRowAlone } from './outcome.ts';
import type { ListMemberPayload } from '../transform/payload.ts';
import type { RowOutcome } from '../state/changes.ts';
import { resolveProfileIds } from './profile-ids.ts';

const MEMBER_POINTER = /^\/data\/(\d+)(?:\/|$)/;

/** Profile ids a 400 (or a 404) from a list change points at (`/data/N/id`): ids Klaviyo no longer has. */
function refusedIds(error: unknown, sent: string[]): Set<string> {
  const refused = new Set<string>();
  if (!(error instanceof KlaviyoError) || (error.status !== 400 && error.status !== 404)) return refused;
  for (const e of error.errors) {
    const m = MEMBER_POINTER.exec(e.source?.pointer ?? '');
    const id = m === null ? undefined : sent[Number(m[1])];
    if (id !== undefined) refused.add(id);
  }
  return refused;
}

/**
 * Adds or removes members. An id the snapshot kept can go stale (Klaviyo merged or deleted that
 * profile) and then fails the whole request; the members are then looked up again by identifier,
 * and the request resent once with the ids Klaviyo has now. Throws when Klaviyo has no such list
 * (`listNotFound`): no member is at fault.
 */
async function change(
  client: KlaviyoClient,
  listId: string,
  members: ListMemberPayload[],
  op: 'add' | 'remove',
  retried = false,
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
  const profileIds = [...new Set(known.map((m) => ids.get(m.key)!))];
  try {
    if (op === 'add') await addToList(client, listId, profileIds);
    else await removeFromList(client, listId, profileIds);
    outcomes.push(
      ...known.map((m) => ({ key: m.key, status: 'confirmed' as const, profileId: ids.get(m.key)! })),
    );
  } catch (error) {
    // No such list: every member of every batch would fail the same way, so the caller stops the
    // sync rather than failing (or rejecting) rows that are not at fault.
    if (stopsTheRun(error) || listNotFound(error)) throw error;
    const stale = retried ? new Set<string>() : refusedIds(error, profileIds);
    if (stale.size > 0) {
      // Klaviyo may name only the first stale id, so every member is looked up again by
      // identifier (one pass, 100 a request), then the request is sent once more.
      const again = known.map((m) => ({ ...m, profileId: null }));
      outcomes.push(...(await change(client, listId, again, op, true)));
      return outcomes;
    }
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

/**
 * Takes off the list the former profile of each member whose identifiers changed
 * (ListMemberPayload.formerProfileId), once the profile of its new identifiers is on it: the
 * member is that profile now. A former id that is a profile the batch just added stays (Klaviyo
 * changed the email on the same profile, so nothing is taken off). A failure fails the member, so
 * the next run adds it and takes the former profile off again.
 */
export async function removeFormerProfiles(
  client: KlaviyoClient,
  listId: string,
  members: ListMemberPayload[],
  added: RowOutcome[],
): Promise<RowOutcome[]> {
  const now = new Map(added.filter((o) => o.status === 'confirmed').map((o) => [o.key, o.profileId]));
  const onList = new Set(now.values());
  const replaced = members.filter(
    (m) => m.formerProfileId !== undefined && now.has(m.key) && !onList.has(m.formerProfileId),
  );
  if (replaced.length === 0) return [];
  const outcomes = await removeMembers(
    client,
    listId,
    replaced.map((m) => ({ key: m.key, profile: {}, profileId: m.formerProfileId! })),
  );
  return outcomes.map((o) =>
    o.status === 'confirmed'
      ? { key: o.key, status: 'confirmed' }
      : { ...o, reason: `its former profile is still on the list: ${o.reason ?? 'failed'}` },
  );
}

/**
 * Withdraws consent for members whose row withdrew it, up to MAX_UNSUBSCRIBES a request. Each
 * request has its own outcome, and a member Klaviyo points at is rejected alone (`eachRowAlone`):
 * confirmed rows are recorded as withdrawals; a failed request leaves its rows unconfirmed, so the
 * next run sends their withdrawal again, and never the rows of a request Klaviyo took.
 */
export async function unsubscribeMembers(
  client: KlaviyoClient,
  members: ListMemberPayload[],
): Promise<RowOutcome[]> {
  const withdrawing = members
    .filter((m) => m.unsubscribe !== undefined)
    .map((m) => ({
      key: m.key,
      email: m.unsubscribe!.email,
      phone_number: m.unsubscribe!.phone_number,
      channels: m.unsubscribe!.channels,
    }));
  const outcomes: RowOutcome[] = [];
  for (let i = 0; i < withdrawing.length; i += MAX_UNSUBSCRIBES)
    outcomes.push(
      ...(await eachRowAlone(
        withdrawing.slice(i, i + MAX_UNSUBSCRIBES),
        (batch) => unsubscribeRequest(client, batch),
        (reason) => `consent withdrawal not confirmed: ${reason}`,
      )),
    );
  return outcomes;
}
