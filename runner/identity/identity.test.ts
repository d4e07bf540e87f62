import { describe, expect, it } from 'vitest';
import { normalizeEmail } from './email.ts';
import { normalizeExternalId } from './external-id.ts';
import { normalizePhone, phoneSyntax } from './phone.ts';

describe('normalizeEmail', () => {
  it('trims and lower-cases', () => {
    expect(normalizeEmail('  Ann.Lee@Example.COM ')).toEqual({ ok: true, value: 'ann.lee@example.com' });
    expect(normalizeEmail('A+tag@Mail.Example.co.uk')).toEqual({
      ok: true,
      value: 'a+tag@mail.example.co.uk',
    });
  });

  it.each([
    ['ann lee@example.com', 'it contains a space'],
    ['annexample.com', 'it has no @'],
    ['a@b@c.com', 'it has more than one @ (one address per row)'],
    ['ann@', 'nothing comes after the @'],
    ['@example.com', 'nothing comes before the @'],
    ['.ann@example.com', 'the part before the @ starts or ends with a dot, or has two dots in a row'],
    ['a..b@example.com', 'the part before the @ starts or ends with a dot, or has two dots in a row'],
    ['ann@example', 'the domain "example" has no dot'],
    ['ann@exa_mple.com', 'the domain "exa_mple.com" is not a valid host name'],
    [
      'josé@example.com',
      'the part before the @ contains "é", which is not an ASCII character (Klaviyo takes an address written in ASCII)',
    ],
    [
      'ann@exämple.com',
      'the domain contains "ä", which is not an ASCII character (write the domain in its xn-- form)',
    ],
  ])('refuses %j: %s', (raw, why) => {
    expect(normalizeEmail(raw)).toMatchObject({
      ok: false,
      reason: `"${raw}" is not a valid email address: ${why}`,
    });
  });

  it('reports the refused address lower-cased and trimmed', () => {
    expect(normalizeEmail(' Ann@Example ')).toMatchObject({
      ok: false,
      reason: '"ann@example" is not a valid email address: the domain "example" has no dot',
    });
  });

  it('refuses more than 100 characters, as Klaviyo does', () => {
    expect(normalizeEmail(`${'a'.repeat(94)}@x.com`)).toEqual({
      ok: true,
      value: `${'a'.repeat(94)}@x.com`,
    });
    expect(normalizeEmail(`${'a'.repeat(95)}@x.com`)).toMatchObject({
      ok: false,
      reason: 'email is 101 characters long; Klaviyo accepts at most 100',
    });
  });

  it('treats empty as missing', () => {
    expect(normalizeEmail('  ')).toBeNull();
    expect(normalizeEmail(null)).toBeNull();
    expect(normalizeEmail(undefined)).toBeNull();
  });
});

describe('normalizePhone', () => {
  it('reads national formats with the region', () => {
    // libphonenumber's full metadata treats 415-555-0132 as a valid US number.
    expect(normalizePhone('(415) 555-0132', 'US')).toEqual({ ok: true, value: '+14155550132' });
    expect(normalizePhone('(212) 555-2368', 'US')).toEqual({ ok: true, value: '+12125552368' });
    expect(normalizePhone('020 7946 0564', 'GB')).toEqual({ ok: true, value: '+442079460564' });
    expect(normalizePhone('0044 20 7946 0564', 'GB')).toEqual({ ok: true, value: '+442079460564' });
  });

  it('reads international numbers whatever the region', () => {
    expect(normalizePhone('+44 20 7946 0564', 'US')).toEqual({ ok: true, value: '+442079460564' });
    expect(normalizePhone('+44 20 7946 0564', 'gb')).toEqual({ ok: true, value: '+442079460564' });
  });

  it('refuses numbers no numbering plan has, and premium-rate numbers', () => {
    expect(normalizePhone('+15550105738', 'US')).toEqual({
      ok: false,
      code: 'not_in_numbering_plan',
      reason:
        '"+15550105738" is not a valid phone number: no number +15550105738 exists in the numbering plan of +1',
    });
    expect(normalizePhone('+44 909 879 0000', null)).toMatchObject({ ok: false, code: 'premium_rate' });
  });

  it('says why the syntax fails, and which country could not be read', () => {
    expect(normalizePhone('12', 'US')).toEqual({
      ok: false,
      code: 'too_short',
      reason: '"12" is not a valid phone number: it is too short',
    });
    expect(normalizePhone('hello', 'US')).toMatchObject({ ok: false, code: 'letters' });
    expect(normalizePhone('020 7946 0564', 'Atlantis')).toEqual({
      ok: false,
      code: 'unknown_country',
      reason:
        '"020 7946 0564" is not a valid phone number: a national number is read in its country, and "Atlantis" is not a country: use an ISO 3166-1 code (GB, GBR) or an English name',
    });
  });

  it('treats empty as missing', () => {
    expect(normalizePhone(' ', 'US')).toBeNull();
    expect(normalizePhone(null, 'US')).toBeNull();
  });
});

describe('phoneSyntax on a number already in E.164', () => {
  // Such a number takes a short way through step 1 (phone.ts); written with spaces, it takes the
  // long way, and both must read the same in any region.
  const numbers = [
    '+14155550132',
    '+442079460564',
    '+4930123456',
    '+1234567',
    '+123456789012345',
    '+61412345678',
  ];
  it('reads as the same number written with spaces', () => {
    for (const n of numbers)
      for (const region of ['US', 'GB', 'DE'])
        expect(phoneSyntax(n, null, region), n).toEqual(
          phoneSyntax(` ${n.slice(0, 3)} ${n.slice(3)} `, null, region),
        );
  });
  it('leaves a number E.164 does not allow to the long way', () => {
    expect(phoneSyntax('+1234567890123456', null)).toMatchObject({ ok: false, code: 'too_long' });
    expect(phoneSyntax('+123456', null)).toMatchObject({ ok: false, code: 'too_short' });
    expect(phoneSyntax('+0441234567', null)).toMatchObject({ ok: false, code: 'not_a_phone' });
  });
});

describe('normalizeExternalId', () => {
  it('keeps text and safe integers, and refuses a number read past 2^53 without calling it the model’s', () => {
    expect(normalizeExternalId('  C-1 ')).toEqual({ ok: true, value: 'C-1' });
    expect(normalizeExternalId(Number.MAX_SAFE_INTEGER)).toEqual({ ok: true, value: '9007199254740991' });
    // A HUGEINT of 12345678901234567891 reads back as 12345678901234567000: the reason says the
    // value shown may not be the model's.
    expect(normalizeExternalId(JSON.parse('12345678901234567891') as number)).toEqual({
      ok: false,
      reason:
        "12345678901234567000 is beyond ±2^53, where a JSON number no longer keeps every digit (the model's value may have other last digits, or decimals); cast the column to text in the model",
    });
    expect(normalizeExternalId(1.5)).toMatchObject({ ok: false });
  });
});
