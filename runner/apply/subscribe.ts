/**
 * Marketing subscription with consent, for the list members whose row gave it. Each request
 * (historical consent with its time, or consent without one: klaviyo/lists.ts) has its own
 * outcome. Klaviyo refuses a request whole for one wrong profile and points at it
 * (docs/klaviyo-api.md#errors): that member alone is rejected and the rest sent again, so one row
 * never costs the others their consent. An error that names no member fails the request's
 * members, to be sent again next run.
 */
import { stopsTheRun } from '../errors.ts';
import type { KlaviyoClient } from '../klaviyo/client.ts';
import { subscribeRequest, subscriptionRequests, type Subscriber } from '../klaviyo/lists.ts';
import type { RowOutcome } from '../state/changes.ts';
import type { ListMemberPayload } from '../transform/payload.ts';
import { blamesRows, notAboutRows, profileIndex } from './outcome.ts';

type Consenting = Subscriber & { key: string };

/** The members an error points at (index into `sent`), with Klaviyo's reason for each. */
function namedMembers(error: unknown, sent: Consenting[]): Map<number, string> {
  const named = new Map<number, string>();
  if (!blamesRows(error)) return named;
  for (const e of error.errors) {
    const index = profileIndex(e.source?.pointer);
    if (index !== null && index < sent.length) named.set(index, `${e.title} ${e.detail}`.trim());
  }
  return named;
}

/** Sends one request's members, dropping each member Klaviyo names until the rest pass. */
async function send(
  client: KlaviyoClient,
  listId: string,
  members: Consenting[],
  historical: boolean,
): Promise<RowOutcome[]> {
  const outcomes: RowOutcome[] = [];
  let pending = members;
  // Each pass either ends or takes at least one member out, so it ends.
  while (pending.length > 0) {
    try {
      await subscribeRequest(client, listId, pending, historical);
      outcomes.push(...pending.map((m) => ({ key: m.key, status: 'confirmed' as const })));
      return outcomes;
    } catch (error) {
      if (stopsTheRun(error)) throw error;
      const named = namedMembers(error, pending);
      if (named.size === 0) {
        const reason = blamesRows(error) ? (error as Error).message : notAboutRows(error);
        outcomes.push(...pending.map((m) => ({ key: m.key, status: 'failed' as const, reason })));
        return outcomes;
      }
      for (const [i, reason] of named) outcomes.push({ key: pending[i]!.key, status: 'rejected', reason });
      pending = pending.filter((_, i) => !named.has(i));
    }
  }
  return outcomes;
}

export async function subscribeMembers(
  client: KlaviyoClient,
  listId: string,
  members: ListMemberPayload[],
): Promise<RowOutcome[]> {
  const consenting: Consenting[] = members
    .filter((m) => m.subscribe !== undefined)
    .map((m) => ({
      key: m.key,
      email: m.profile.email,
      phone_number: m.profile.phone_number,
      channels: m.subscribe!.channels,
      consentedAt: m.subscribe!.consentedAt,
    }));
  const outcomes: RowOutcome[] = [];
  for (const request of subscriptionRequests(consenting))
    outcomes.push(...(await send(client, listId, request.subscribers, request.historical)));
  return outcomes;
}
