import { describe, expect, it } from 'vitest';
import { importErrorKind } from './import-errors.ts';

describe('importErrorKind', () => {
  it.each([
    // The row is wrong: rejected until it changes.
    ['invalid', 'Invalid input.', 'The email address is not valid.', 'permanent'],
    ['invalid', 'Invalid input.', 'Invalid phone number format.', 'permanent'],
    [
      'duplicate_profile',
      'Conflict.',
      'The identifiers of this profile belong to different existing profiles.',
      'permanent',
    ],
    ['payload_too_large', 'Payload too large.', 'The profile exceeds 100 KB.', 'permanent'],
    // Klaviyo could not do it this time: sent again next run.
    ['internal_error', 'Temporary error.', 'The profile could not be imported; try again.', 'temporary'],
    ['error', 'A server error occurred.', 'Something went wrong.', 'temporary'],
    ['throttled', 'Request was throttled.', 'Expected available in 1 second.', 'temporary'],
    ['service_unavailable', 'Service unavailable.', 'Profiles are read-only for maintenance.', 'temporary'],
    ['unknown_code', 'Import failed.', 'Temporary error, please retry.', 'temporary'],
    ['unknown_code', 'Import failed.', 'The import timed out.', 'temporary'],
  ] as const)('%s "%s %s" is %s', (code, title, detail, kind) => {
    expect(importErrorKind({ code, title, detail })).toBe(kind);
  });
});
