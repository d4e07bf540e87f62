import { describe, expect, it } from 'vitest';
import { BATCH_LIMITS } from './limits.ts';
import { attributesProblem } from './profile-attributes.ts';

describe("a profile's attributes, as Klaviyo checks them", () => {
  it('refuses a profile over 100 KB of UTF-8 as Klaviyo does, counting multi-byte characters', () => {
    const limit = BATCH_LIMITS.bytesPerProfile;
    const sized = (text: string) => ({ email: 'a@example.com', properties: { note: text } });
    const overhead = JSON.stringify(sized('')).length;
    // "é" is one UTF-16 unit and two bytes; "😀" two units and four bytes.
    expect(attributesProblem(sized('é'.repeat((limit - overhead) / 2)))).toBeNull();
    expect(attributesProblem(sized('é'.repeat((limit - overhead) / 2 + 1)))?.pointer).toBe(
      '/data/attributes',
    );
    expect(attributesProblem(sized('😀'.repeat((limit - overhead) / 4 + 1)))?.detail).toMatch(/100 KB/);
    expect(attributesProblem(sized('a'.repeat(limit - overhead)))).toBeNull();
    expect(attributesProblem(sized('a'.repeat(limit - overhead + 1)))).not.toBeNull();
  });

  it('refuses a profile with no identifier, and takes any one of them', () => {
    expect(attributesProblem({ first_name: 'Ada' })?.detail).toMatch(/at least one identifier/);
    expect(attributesProblem({ external_id: '', _kx: '' })?.pointer).toBe('/data/attributes');
    for (const id of [
      { email: 'a@example.com' },
      { phone_number: '+12125550100' },
      { external_id: 'P1' },
      { _kx: 'k' },
    ])
      expect(attributesProblem(id)).toBeNull();
  });
});
