import { describe, expect, it } from 'vitest';
import { change, spec } from '../../test/fixtures/specs.ts';
import { buildDeletion } from './deletion.ts';
import { buildIdentity } from './identity.ts';

const erase = spec(
  {
    object: 'deletion',
    key: 'request_id',
    identity: { email: 'email', phone_number: 'phone', external_id: 'customer_id' },
  },
  'erasures',
);
const row = (values: Record<string, unknown>) => change({ id: 'r1', request_id: 'r1', ...values });

describe('a deletion row (transform/deletion.ts)', () => {
  it('names the broken rule and the column, never the person’s values', () => {
    const email = buildDeletion(erase, row({ email: 'bad@@x' }));
    expect(email).toEqual({
      ok: false,
      rejection: expect.objectContaining({
        key: 'r1',
        column: 'email',
        reason: '(withheld) is not a valid email address: it has more than one @ (one address per row)',
      }) as unknown,
    });
    // A quote inside the value is withheld with it.
    const quoted = buildDeletion(erase, row({ email: 'a"b c@example.com' }));
    expect(quoted.ok ? '' : quoted.rejection.reason).toBe(
      '(withheld) is not a valid email address: it contains a space',
    );
    const phone = buildDeletion(erase, row({ email: 'pat@example.com', phone: 'garbage' }));
    expect(phone).toMatchObject({ ok: true, dropped: [{ column: 'phone' }] });
    const dropped = phone.ok ? (phone.dropped ?? []) : [];
    expect(dropped[0]?.reason).toMatch(/^phone_number dropped: \(withheld\) is not a valid phone number: /);
    expect(JSON.stringify(dropped)).not.toContain('garbage');
    const external = buildDeletion(erase, row({ customer_id: 12.5 }));
    expect(external.ok ? '' : external.rejection.reason).toBe(
      'external_id (withheld) is not a whole number; an external_id must be text or an integer',
    );
  });

  it('leaves other syncs’ reasons quoting the value, for the person fixing the data', () => {
    const profiles = spec({ object: 'profile', identity: { email: 'email' } });
    const built = buildIdentity(profiles, 'p1', { email: 'bad@@x' });
    expect(built.ok ? '' : built.rejection.reason).toBe(
      '"bad@@x" is not a valid email address: it has more than one @ (one address per row)',
    );
  });
});
