/**
 * Marketing subscription with consent, for the list members whose row gave it. Each request
 * (historical consent with its time, or consent without one: klaviyo/lists.ts) has its own
 * outcome. Klaviyo refuses a request whole for one wrong profile and points at it
 * (docs/klaviyo-api.md#errors): that member alone is rejected and the rest sent again, so one row
 * never costs the others their consent. An error that names no member fails the request's
 * members, to be sent again next run.
 */
import type { KlaviyoClient } from '../klaviyo/client.ts';
import { subscribeRequest, subscriptionRequests, type Subscriber } from '../klaviyo/lists.ts';
import type { RowOutcome } from '../state/changes.ts';
import type { ListMemberPayload } from '../transform/payload.ts';
import { eachRowAlone } from './outcome.ts';

type Consenting = Subscriber & { key: string };

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
    outcomes.push(
      ...(await eachRowAlone(request.subscribers, (batch) =>
        subscribeRequest(client, listId, batch, request.historical),
      )),
    );
  return outcomes;
}
