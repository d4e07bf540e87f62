/**
 * The Data Privacy API's profile deletion (docs/privacy-deletions.md,
 * https://developers.klaviyo.com/en/reference/request_profile_deletion): one request names one
 * identifier, an email, a phone number (E.164) or a Klaviyo profile id, never two, and Klaviyo
 * erases every profile it matches, with the profile's events, asynchronously. The answer is a 202
 * without a body: there is no job to poll. An external id is not accepted: the caller looks the
 * profile ids up first (`findProfiles`).
 */
import type { KlaviyoClient } from './client.ts';

/** Exactly one identifier Klaviyo accepts for a deletion. */
export type DeletionIdentifier = { email: string } | { phone_number: string } | { id: string };

export function deletionBody(identifier: DeletionIdentifier): object {
  const { id, ...attributes } = identifier as { id?: string; email?: string; phone_number?: string };
  return {
    data: {
      type: 'data-privacy-deletion-job',
      attributes: {
        profile: {
          data: { type: 'profile', ...(id !== undefined ? { id } : {}), attributes },
        },
      },
    },
  };
}

/** Requests the deletion of the profiles one identifier matches; resolves once Klaviyo accepted it (202). */
export async function requestProfileDeletion(
  client: KlaviyoClient,
  identifier: DeletionIdentifier,
): Promise<void> {
  await client.call(
    'request_profile_deletion',
    'POST',
    '/api/data-privacy-deletion-jobs',
    deletionBody(identifier),
  );
}
