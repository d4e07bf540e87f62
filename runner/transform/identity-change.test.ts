import { describe, expect, it } from 'vitest';
import type { SyncSpec } from '../manifest/spec.ts';
import type { RowChange } from '../state/changes.ts';
import { withTrustedProfileId } from './identity-change.ts';

const spec = {
  name: 'unit_list',
  config: {
    object: 'list_membership',
    key: 'id',
    identity: { email: 'email', phone_number: 'phone' },
    list: { id: 'L1' },
  },
} as unknown as SyncSpec;

const update = (previous: Record<string, unknown>, row: Record<string, unknown>): RowChange => ({
  kind: 'update',
  key: '1',
  hash: 'h',
  row: { id: '1', ...row },
  previous: { id: '1', ...previous },
  profileId: 'P-OLD',
});

describe('withTrustedProfileId', () => {
  it('keeps the snapshot id while the identifiers, as normalised, are the same', () => {
    const same = update(
      { email: 'ann@example.com', phone: '+14155552671' },
      { email: ' Ann@Example.com ', phone: '+1 415 555 2671', other: 'changed' },
    );
    expect(withTrustedProfileId(spec, same)).toBe(same);
  });

  it.each([
    ['the email', { email: 'ann@example.com' }, { email: 'new@example.com' }],
    ['the phone', { email: 'ann@example.com', phone: '+14155552671' }, { email: 'ann@example.com' }],
  ])('sets the id aside when %s changed', (_what, previous, row) => {
    expect(withTrustedProfileId(spec, update(previous, row))).toMatchObject({
      profileId: null,
      formerProfileId: 'P-OLD',
    });
  });
});
