import { describe, expect, it } from 'vitest';
import { normalizeEmail } from './email.ts';
import { normalizePhone } from './phone.ts';

describe('normalizeEmail', () => {
  it('trims and lower-cases', () => {
    expect(normalizeEmail('  Ann.Lee@Example.COM ')).toEqual({ ok: true, value: 'ann.lee@example.com' });
  });
  it.each(['ann lee@example.com', 'ann@', '@example.com', '.ann@example.com', 'ann@example'])(
    'refuses %j',
    (raw) => {
      const result = normalizeEmail(raw);
      expect(result?.ok).toBe(false);
    },
  );
  it('refuses more than 100 characters, as Klaviyo does', () => {
    expect(normalizeEmail(`${'a'.repeat(95)}@x.com`)).toEqual({
      ok: false,
      reason: 'email is 101 characters; Klaviyo allows 100',
    });
  });
  it('treats empty as missing', () => {
    expect(normalizeEmail('  ')).toBeNull();
  });
});

describe('normalizePhone', () => {
  it('reads national formats with the region', () => {
    expect(normalizePhone('020 7946 0564', 'GB')).toEqual({ ok: true, value: '+442079460564' });
    expect(normalizePhone('(212) 555-2368', 'US')).toEqual({ ok: true, value: '+12125552368' });
    expect(normalizePhone('+44 20 7946 0564', 'US')).toEqual({ ok: true, value: '+442079460564' });
  });
  it('refuses numbers no numbering plan has', () => {
    expect(normalizePhone('+15550105738', 'US')).toEqual({
      ok: false,
      reason: '"+15550105738" is not a valid phone number',
    });
  });
});
