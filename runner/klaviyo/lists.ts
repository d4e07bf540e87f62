/** Lists, memberships and marketing subscription with consent (API-NOTES §4, §5.5). */
import type { KlaviyoClient } from './client.ts';

interface ListResource {
  id: string;
  attributes: { name: string };
}

/** A list by name, following pages (get_lists pages hold at most 10), or created when missing. */
export async function findOrCreateList(
  client: KlaviyoClient,
  name: string,
): Promise<{ id: string; created: boolean }> {
  const filter = encodeURIComponent(`equals(name,${JSON.stringify(name)})`);
  for await (const page of client.pages<ListResource>('get_lists', `/api/lists?filter=${filter}`)) {
    const found = page.find((l) => l.attributes.name === name);
    if (found) return { id: found.id, created: false };
  }
  const res = await client.call<{ data: ListResource }>('create_list', 'POST', '/api/lists', {
    data: { type: 'list', attributes: { name } },
  });
  return { id: res.body.data.id, created: true };
}

export async function addToList(client: KlaviyoClient, listId: string, profileIds: string[]): Promise<void> {
  await client.call(
    'add_profiles_to_list',
    'POST',
    `/api/lists/${encodeURIComponent(listId)}/relationships/profiles`,
    { data: profileIds.map((id) => ({ type: 'profile', id })) },
  );
}

export async function removeFromList(
  client: KlaviyoClient,
  listId: string,
  profileIds: string[],
): Promise<void> {
  await client.call(
    'remove_profiles_from_list',
    'DELETE',
    `/api/lists/${encodeURIComponent(listId)}/relationships/profiles`,
    { data: profileIds.map((id) => ({ type: 'profile', id })) },
  );
}

export interface Subscriber {
  email?: string;
  phone_number?: string;
  channels: ('email' | 'sms')[];
  consentedAt?: string;
}

/**
 * Subscribes with consent (≤1,000 per call). Klaviyo takes `consented_at` only with
 * `historical_import: true`, and then requires it on every profile of the request (API-NOTES §5.5,
 * https://developers.klaviyo.com/en/reference/bulk_subscribe_profiles). Subscribers with a consent
 * time therefore go in one historical request (no double opt-in, no "added to list" flow for consent
 * given long ago), and those without one in an ordinary request.
 */
export async function subscribe(
  client: KlaviyoClient,
  listId: string,
  subscribers: Subscriber[],
): Promise<void> {
  const historical = subscribers.filter((s) => s.consentedAt !== undefined);
  const current = subscribers.filter((s) => s.consentedAt === undefined);
  if (historical.length > 0) await subscribeBatch(client, listId, historical, true);
  if (current.length > 0) await subscribeBatch(client, listId, current, false);
}

async function subscribeBatch(
  client: KlaviyoClient,
  listId: string,
  subscribers: Subscriber[],
  historical: boolean,
): Promise<void> {
  const marketing = (s: Subscriber) => ({
    consent: 'SUBSCRIBED',
    ...(historical ? { consented_at: s.consentedAt } : {}),
  });
  await client.call('bulk_subscribe_profiles', 'POST', '/api/profile-subscription-bulk-create-jobs', {
    data: {
      type: 'profile-subscription-bulk-create-job',
      attributes: {
        ...(historical ? { historical_import: true } : {}),
        profiles: {
          data: subscribers.map((s) => ({
            type: 'profile',
            attributes: {
              ...(s.email !== undefined ? { email: s.email } : {}),
              ...(s.phone_number !== undefined ? { phone_number: s.phone_number } : {}),
              subscriptions: {
                ...(s.channels.includes('email') ? { email: { marketing: marketing(s) } } : {}),
                ...(s.channels.includes('sms') ? { sms: { marketing: marketing(s) } } : {}),
              },
            },
          })),
        },
      },
      relationships: { list: { data: { type: 'list', id: listId } } },
    },
  });
}
