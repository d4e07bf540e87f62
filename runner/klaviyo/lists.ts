/** Lists, memberships and marketing subscription with consent (docs/klaviyo-api.md#operations-and-batch-limits, docs/klaviyo-api.md#lists-and-consent). */
import { KlaviyoError } from '../errors.ts';
import { nullableString, object, readOne, readPages, shape, string } from './answers.ts';
import type { KlaviyoClient } from './client.ts';

/** A list as get_lists and create_list answer it: the fields the runner reads (name may be null). */
export interface ListResource {
  id: string;
  attributes: { name: string | null; created?: string | null; updated?: string | null };
}
const LIST = shape<ListResource>(
  'klaviyo_list',
  object(
    {
      id: string,
      attributes: object({ name: nullableString, created: nullableString, updated: nullableString }),
    },
    ['id', 'attributes'],
  ),
);
const MEMBER = shape<{ id: string }>('klaviyo_list_member', object({ id: string }, ['id']));

export interface FindOrCreateOptions {
  /** Creates tried at most, when each one's outcome stays unknown (default 3). */
  creates?: number;
  /** Wait before looking again after such a create, times the creates so far (ms, default 1000). */
  settleMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The id of the list of this name, following pages (get_lists pages hold at most 10). Oldest
 * first: if lists of one name exist already (made by hand, say), every run picks the same one.
 */
export async function findList(client: KlaviyoClient, name: string): Promise<string | null> {
  const filter = encodeURIComponent(`equals(name,${JSON.stringify(name)})`);
  for await (const page of readPages(client, LIST, 'get_lists', `/api/lists?filter=${filter}&sort=created`)) {
    const found = page.find((l) => l.attributes.name === name);
    if (found) return found.id;
  }
  return null;
}

/**
 * A list by name, created when missing. create_list is not idempotent (operations.ts): when a
 * create's outcome is unknown (answer lost, or 5xx) the list may exist, so it looks again before
 * creating again, a bounded number of times; then it throws, and the next run starts by looking.
 * `created` is true only when this call saw its create succeed.
 */
export async function findOrCreateList(
  client: KlaviyoClient,
  name: string,
  options: FindOrCreateOptions = {},
): Promise<{ id: string; created: boolean }> {
  const creates = options.creates ?? 3;
  let unknown: KlaviyoError | undefined;
  for (let tried = 0; ; tried++) {
    const found = await findList(client, name);
    if (found !== null) return { id: found, created: false };
    if (unknown !== undefined && tried >= creates) throw unknown;
    try {
      const list = await readOne(client, LIST, 'create_list', 'POST', '/api/lists', {
        data: { type: 'list', attributes: { name } },
      });
      return { id: list.id, created: true };
    } catch (error) {
      if (!(error instanceof KlaviyoError && error.outcomeUnknown)) throw error;
      unknown = error;
      // The list may exist now: give Klaviyo a moment to show it, then look before creating again.
      await sleep((options.settleMs ?? 1000) * (tried + 1));
    }
  }
}

/** Every list of the account, page by page (get_lists pages hold at most 10). */
export function allLists(client: KlaviyoClient): AsyncIterable<ListResource[]> {
  return readPages(client, LIST, 'get_lists', '/api/lists');
}

/** The ids of a list's members, page by page. */
export function listMemberIds(client: KlaviyoClient, listId: string): AsyncIterable<{ id: string }[]> {
  return readPages(
    client,
    MEMBER,
    'get_profile_ids_for_list',
    `/api/lists/${encodeURIComponent(listId)}/relationships/profiles?page[size]=100`,
  );
}

/**
 * Whether a list request was refused because Klaviyo has no list of that id: a 404 with a JSON:API
 * `errors` body, as Klaviyo answers an unknown resource in the path
 * (https://developers.klaviyo.com/en/docs/rate_limits_and_error_handling, docs/klaviyo-api.md#errors),
 * whose errors point at nothing in the body (an error about one of the members would point into
 * `/data`). A 404 in another form (a proxy's page for a path it does not route) says nothing of
 * the list: the rows fail, to be sent again next run.
 */
export function listNotFound(error: unknown): error is KlaviyoError {
  return (
    error instanceof KlaviyoError &&
    error.status === 404 &&
    error.errors.length > 0 &&
    !error.errors.some((e) => e.source?.pointer?.startsWith('/data') === true)
  );
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
 * The requests subscribers go in (≤1,000 a call). Klaviyo takes `consented_at` only with
 * `historical_import: true`, and then requires it on every profile of the request
 * (docs/klaviyo-api.md#lists-and-consent). Subscribers with a consent time therefore go in one
 * historical request (no double opt-in, no "added to list" flow for consent given long ago), and
 * those without one in an ordinary request; each request succeeds or fails on its own.
 */
export function subscriptionRequests<S extends Subscriber>(
  subscribers: S[],
): { historical: boolean; subscribers: S[] }[] {
  return [
    { historical: true, subscribers: subscribers.filter((s) => s.consentedAt !== undefined) },
    { historical: false, subscribers: subscribers.filter((s) => s.consentedAt === undefined) },
  ].filter((r) => r.subscribers.length > 0);
}

/**
 * One bulk_subscribe_profiles request. Klaviyo refuses it whole when one profile is wrong, with an
 * error pointing at that profile (`/data/attributes/profiles/data/N/...`,
 * docs/klaviyo-api.md#errors); the caller maps the pointer back to its row.
 */
export async function subscribeRequest(
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

/** Every request of `subscriptionRequests`, in turn; the first refused one throws. */
export async function subscribe(
  client: KlaviyoClient,
  listId: string,
  subscribers: Subscriber[],
): Promise<void> {
  for (const r of subscriptionRequests(subscribers))
    await subscribeRequest(client, listId, r.subscribers, r.historical);
}

export interface Unsubscriber {
  email?: string;
  phone_number?: string;
  channels: ('email' | 'sms')[];
}

/** Klaviyo takes at most 100 profiles per unsubscribe request (bulk_unsubscribe_profiles). */
export const MAX_UNSUBSCRIBES = 100;

/**
 * Withdraws marketing consent on the channels named, in one request of at most MAX_UNSUBSCRIBES
 * profiles (apply/lists.ts splits a batch). No list is named: with
 * one, Klaviyo also takes the profiles off that list, and membership follows the model, not consent
 * (https://developers.klaviyo.com/en/reference/bulk_unsubscribe_profiles). Email consent is keyed by
 * the email, SMS consent by the phone number, so each channel goes with its identifier.
 */
export async function unsubscribeRequest(
  client: KlaviyoClient,
  unsubscribers: Unsubscriber[],
): Promise<void> {
  const withdrawn = { marketing: { consent: 'UNSUBSCRIBED' } };
  await client.call('bulk_unsubscribe_profiles', 'POST', '/api/profile-subscription-bulk-delete-jobs', {
    data: {
      type: 'profile-subscription-bulk-delete-job',
      attributes: {
        profiles: {
          data: unsubscribers.map((u) => ({
            type: 'profile',
            attributes: {
              ...(u.email !== undefined ? { email: u.email } : {}),
              ...(u.phone_number !== undefined ? { phone_number: u.phone_number } : {}),
              subscriptions: {
                ...(u.channels.includes('email') ? { email: withdrawn } : {}),
                ...(u.channels.includes('sms') ? { sms: withdrawn } : {}),
              },
            },
          })),
        },
      },
    },
  });
}
