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
 * Subscribes with consent (≤1,000 per call). `consented_at` is only accepted with
 * `historical_import: true`, so a batch carrying consent times is sent as a historical import.
 */
export async function subscribe(
  client: KlaviyoClient,
  listId: string,
  subscribers: Subscriber[],
): Promise<void> {
  const historical = subscribers.some((s) => s.consentedAt !== undefined);
  const marketing = (s: Subscriber) => ({
    consent: 'SUBSCRIBED',
    ...(historical && s.consentedAt !== undefined ? { consented_at: s.consentedAt } : {}),
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
