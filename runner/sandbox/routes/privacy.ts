/**
 * The Data Privacy API's profile deletion: one identifier (email, phone_number or a profile id,
 * never two) and every profile it matches is erased with its events; 202 without a body
 * (https://developers.klaviyo.com/en/reference/request_profile_deletion). Klaviyo deletes
 * asynchronously; the sandbox does it before it answers, so a test sees the result at once.
 */
import { invalid } from '../jsonapi.ts';
import { attributesOf, dataOf, present, route, type Answer, type Ctx, type Route } from './route.ts';

const E164 = /^\+[1-9]\d{7,14}$/;

function requestDeletion(ctx: Ctx): Answer {
  const attributes = attributesOf(dataOf(ctx, 'data-privacy-deletion-job'));
  const profile = (attributes.profile as { data?: unknown } | undefined)?.data;
  if (typeof profile !== 'object' || profile === null || Array.isArray(profile))
    throw invalid('`data.attributes.profile.data` is required.', '/data/attributes/profile/data');
  const p = profile as { type?: unknown; id?: unknown; attributes?: Record<string, unknown> };
  if (p.type !== 'profile')
    throw invalid(
      '`data.attributes.profile.data.type` must be "profile".',
      '/data/attributes/profile/data/type',
    );
  const ids = {
    id: p.id,
    email: p.attributes?.email,
    phone_number: p.attributes?.phone_number,
  };
  const given = Object.entries(ids).filter(([, v]) => present(v));
  if (given.length !== 1)
    throw invalid(
      'Exactly one identifier (email, phone_number or id) must be given for a deletion; got ' +
        (given.length === 0 ? 'none.' : given.map(([k]) => k).join(', ') + '.'),
      '/data/attributes/profile/data',
    );
  const [field, value] = given[0]!;
  if (typeof value !== 'string' || value === '')
    throw invalid(`\`${field}\` must be a non-empty string.`, '/data/attributes/profile/data');
  if (field === 'phone_number' && !E164.test(value))
    throw invalid(
      `Invalid phone number format (Example of a valid format: +12345678901): ${value}`,
      '/data/attributes/profile/data/attributes/phone_number',
    );
  for (const profileId of ctx.store.matches({ [field]: value })) ctx.store.erase(profileId);
  return { status: 202 };
}

export const PRIVACY_ROUTES: Route[] = [
  route('POST', '/api/data-privacy-deletion-jobs', 'request_profile_deletion', requestDeletion),
];
