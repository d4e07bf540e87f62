import examples from 'libphonenumber-js/examples.mobile.json' with { type: 'json' };
import {
  getCountries,
  getCountryCallingCode,
  getExampleNumber,
  parsePhoneNumberFromString,
} from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../sandbox/seeded-random.ts';
import { numberType } from './number-type.ts';

/** Ours against the library's own PhoneNumber.getType() for one E.164 text; the type, if any. */
function compare(e164: string): string | undefined {
  const parsed = parsePhoneNumberFromString(e164);
  if (parsed === undefined) return undefined;
  const type = parsed.getType();
  expect(numberType(parsed.country ?? parsed.countryCallingCode, parsed.nationalNumber), e164).toBe(type);
  return type;
}

describe('numberType', () => {
  it("is libphonenumber-js's getType for every region's example number and its neighbours", () => {
    const types = new Set<string | undefined>();
    for (const region of getCountries()) {
      const example = getExampleNumber(region, examples);
      if (example === undefined) continue;
      const digits = example.number.slice(1);
      types.add(compare(example.number));
      // The same number with its last digit changed, shortened and lengthened: valid and invalid
      // numbers of the region's own shape.
      for (let d = 0; d < 10; d++) types.add(compare(`+${digits.slice(0, -1)}${d}`));
      types.add(compare(`+${digits.slice(0, -1)}`));
      types.add(compare(`+${digits}0`));
    }
    // Both outcomes, and more than one kind of number, were compared.
    expect(types).toContain(undefined);
    expect(types).toContain('MOBILE');
    expect(types).toContain('FIXED_LINE_OR_MOBILE');
  });

  it("is libphonenumber-js's getType for random numbers under every calling code", () => {
    const next = seededRandom(12);
    const codes = [...new Set(getCountries().map((r) => getCountryCallingCode(r)))];
    let typed = 0;
    for (let i = 0; i < 40_000; i++) {
      const code = codes[Math.floor(next() * codes.length)]!;
      let national = '';
      const length = 4 + Math.floor(next() * 10);
      for (let j = 0; j < length; j++) national += Math.floor(next() * 10);
      if (compare(`+${code}${national}`) !== undefined) typed += 1;
    }
    expect(typed).toBeGreaterThan(1000);
  });

  it('names the premium-rate and fixed-line numbers the phone rule relies on', () => {
    expect(numberType('GB', '9098790000')).toBe('PREMIUM_RATE');
    expect(numberType('US', '2125552368')).toBe('FIXED_LINE_OR_MOBILE');
    expect(numberType('1', '5550105738')).toBeUndefined();
  });
});
