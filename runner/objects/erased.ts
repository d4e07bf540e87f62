/**
 * Rows of erased people (docs/privacy-deletions.md): a payload whose email, phone number or
 * external id a deletion sync recorded is held back, so that no profile, event or list write
 * re-creates the person in Klaviyo. `plan` and `sync` ask this one function, so they say the same
 * thing about the same row.
 */
import { identityHashes } from '../state/deletions.ts';
import type { ProfileIdentity } from '../transform/payload.ts';

/** Every payload names its person: a profile by its attributes, the others by `profile`. */
type AnyPayload = { attributes: ProfileIdentity } | { profile: ProfileIdentity };

/** The identifiers a payload would send to Klaviyo. */
function identityOf(payload: AnyPayload): ProfileIdentity {
  return 'attributes' in payload ? payload.attributes : payload.profile;
}

/** Why this payload is held back, or null when it carries no erased person's identifier. */
export function erasedReason(payload: unknown, erased: ReadonlySet<string>): string | null {
  if (erased.size === 0) return null;
  const identity = identityOf(payload as AnyPayload);
  const hit = (['email', 'phone_number', 'external_id'] as const).find(
    (field) =>
      identity[field] !== undefined &&
      identityHashes({ [field]: identity[field] }).some((h) => erased.has(h)),
  );
  return hit === undefined
    ? null
    : `held back: a privacy deletion erased the person with this ${hit}; sending the row would re-create the profile`;
}
