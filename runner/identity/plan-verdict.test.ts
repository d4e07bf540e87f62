import examples from 'libphonenumber-js/examples.mobile.json' with { type: 'json' };
import { getCountries, getCountryCallingCode, getExampleNumber } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../sandbox/seeded-random.ts';
import { paths, planVerdict } from './plan-verdict.ts';

/** How many numbers each path answered. */
const answered = { short: 0, library: 0 };

/** The short path's verdict, where it gives one, against the library's; the verdict's kind. */
function compare(e164: string): string {
  const verdict = paths.library(e164);
  const short = paths.short(e164);
  if (short === undefined) answered.library += 1;
  else {
    answered.short += 1;
    expect(short, e164).toEqual(verdict);
  }
  expect(planVerdict(e164), e164).toEqual(verdict);
  return 'number' in verdict ? 'valid' : verdict.code;
}

describe('planVerdict', () => {
  it("is libphonenumber-js's verdict for every region's example numbers and their neighbours", () => {
    const kinds = new Map<string, number>();
    const count = (kind: string) => kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    for (const region of getCountries()) {
      {
        const example = getExampleNumber(region, examples);
        if (example === undefined) continue;
        const digits = example.number.slice(1);
        count(compare(example.number));
        // The same number with its last digit changed, shortened and lengthened, and with a
        // national prefix written after the calling code ("+44 0 20 …").
        for (let d = 0; d < 10; d++) count(compare(`+${digits.slice(0, -1)}${d}`));
        count(compare(`+${digits.slice(0, -1)}`));
        count(compare(`+${digits}0`));
        const code = example.countryCallingCode;
        for (const prefix of ['0', '1', '8', '06'])
          count(compare(`+${code}${prefix}${example.nationalNumber}`));
      }
    }
    expect(kinds.get('valid')).toBeGreaterThan(400);
    expect(kinds.get('not_in_numbering_plan')).toBeGreaterThan(400);
  });

  it("is libphonenumber-js's verdict for random numbers under every calling code", () => {
    const next = seededRandom(7);
    // Every region's calling code, and the non-geographic ones (freephone +800, satellite +881 …).
    const codes = [
      ...new Set(getCountries().map((r) => getCountryCallingCode(r))),
      ...['800', '808', '870', '878', '881', '882', '883', '888', '979'],
    ];
    let valid = 0;
    for (let i = 0; i < 40_000; i++) {
      const code = codes[Math.floor(next() * codes.length)]!;
      let national = '';
      const length = 4 + Math.floor(next() * 10);
      for (let j = 0; j < length; j++) national += Math.floor(next() * 10);
      if (compare(`+${code}${national}`) === 'valid') valid += 1;
    }
    expect(valid).toBeGreaterThan(1000);
    // The short path answers most numbers: the comparison is not the library against itself.
    expect(answered.short).toBeGreaterThan(answered.library * 4);
  });

  it('reads the regions that share a calling code, and refuses premium-rate and unassigned numbers', () => {
    expect(planVerdict('+12125552368')).toEqual({ number: '+12125552368' });
    expect(planVerdict('+16135550123')).toEqual({ number: '+16135550123' });
    expect(planVerdict('+447911123456')).toEqual({ number: '+447911123456' });
    expect(planVerdict('+447624369230')).toEqual({ number: '+447624369230' });
    expect(planVerdict('+449098790000')).toMatchObject({ code: 'premium_rate' });
    expect(planVerdict('+15550105738')).toMatchObject({ code: 'not_in_numbering_plan' });
    expect(planVerdict('+80012345678')).toEqual({ number: '+80012345678' });
    expect(planVerdict('+999123456')).toEqual(paths.library('+999123456'));
  });
});
