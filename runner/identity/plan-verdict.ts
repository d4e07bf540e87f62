/**
 * Step 2 of the phone rule (phone.ts): whether a number in E.164 form is one a numbering plan
 * assigns, and to a person rather than a premium-rate service.
 *
 * libphonenumber-js decides it, by parsing the number and reading its type. For most numbers the
 * same answer comes from a short path over the library's own metadata with every pattern compiled
 * once: the library builds a RegExp from pattern text of up to a few kilobytes on every match
 * (helpers/matchesEntirely.js), and for a calling code shared by several regions (+1, +7, +44, …)
 * it does so for region after region to find the number's own, which made parsing most of a
 * profile row's cost. The short path takes only numbers the library would read unchanged (no
 * national prefix to strip after the calling code) in a plan that lists number types; every other
 * number goes to the library. plan-verdict.test.ts pins the two paths to the same verdicts over
 * numbers of every region.
 */
import { Metadata, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { numberType } from './number-type.ts';

/** A number's verdict: the number libphonenumber writes, or why it is refused. */
export type PlanVerdict = { number: string } | { code: string; detail: string };

/** The parts of libphonenumber-js's metadata read here; present at run time, missing from its types. */
interface PlanInternals {
  nationalPrefixForParsing(): string | undefined;
  leadingDigits(): string | undefined;
  hasTypes(): boolean;
}
interface MetadataInternals {
  hasCallingCode(code: string): boolean;
  /** The regions of a calling code, its main region first. */
  getCountryCodesForCallingCode(code: string): string[] | undefined;
  selectNumberingPlan(regionOrCallingCode: string): void;
  numberingPlan: PlanInternals;
}

/** What the short path needs of one calling code, compiled once. */
interface CallingCode {
  /** Its regions, the main one first, each with its leading-digits pattern if it has one. */
  regions: { region: string; leading: RegExp | null }[];
  /** The main region's national prefix as the library looks for it right after the calling code. */
  nationalPrefix: RegExp | null;
  /** Whether every region's plan lists number types (else validity is the library's other test). */
  typed: boolean;
}

const metadata = new Metadata() as unknown as MetadataInternals;
const callingCodes = new Map<string, CallingCode | null>();

function internals(regionOrCallingCode: string): PlanInternals {
  metadata.selectNumberingPlan(regionOrCallingCode);
  return metadata.numberingPlan;
}

function compile(code: string): CallingCode | null {
  if (!metadata.hasCallingCode(code)) return null;
  const prefix = internals(code).nationalPrefixForParsing();
  const regions = (metadata.getCountryCodesForCallingCode(code) ?? []).map((region) => {
    const leading = internals(region).leadingDigits();
    // The library's test is `nationalNumber.search(leadingDigits) === 0`: a match at the start.
    return { region, leading: leading ? new RegExp(leading) : null };
  });
  return {
    regions,
    nationalPrefix: prefix ? new RegExp(`^(?:${prefix})`) : null,
    typed: internals(code).hasTypes() && regions.every((r) => internals(r.region).hasTypes()),
  };
}

function callingCodeOf(code: string): CallingCode | null {
  let compiled = callingCodes.get(code);
  if (compiled === undefined) {
    compiled = compile(code);
    callingCodes.set(code, compiled);
  }
  return compiled;
}

/** The region of a national number under a shared calling code, as the library picks it. */
function regionOf(code: CallingCode, national: string): string | undefined {
  if (code.regions.length === 1) return code.regions[0]!.region;
  for (const { region, leading } of code.regions) {
    if (leading !== null) {
      if (national.search(leading) === 0) return region;
    } else if (numberType(region, national) !== undefined) return region;
  }
  return undefined;
}

function verdictOf(e164: string, region: string | undefined, callingCode: string, national: string) {
  const type = numberType(region ?? callingCode, national);
  if (type === 'PREMIUM_RATE')
    return { code: 'premium_rate', detail: `${e164} is a premium-rate number, not a person's phone` };
  return type;
}

function refused(e164: string, region: string | undefined, callingCode: string | undefined): PlanVerdict {
  return {
    code: 'not_in_numbering_plan',
    detail: `no number ${e164} exists in the numbering plan of ${region ?? `+${callingCode ?? '?'}`}`,
  };
}

/** The short path's verdict, or undefined when the number is one only the library reads right. */
function shortVerdict(e164: string): PlanVerdict | undefined {
  // The library takes the shortest prefix of one to three digits that is a calling code.
  for (let length = 1; length <= 3; length++) {
    const callingCode = e164.slice(1, 1 + length);
    const code = callingCodeOf(callingCode);
    if (code === null) continue;
    const national = e164.slice(1 + length);
    if (!code.typed || (code.nationalPrefix !== null && code.nationalPrefix.test(national))) return undefined;
    const region = regionOf(code, national);
    const type = verdictOf(e164, region, callingCode, national);
    if (typeof type === 'object') return type;
    return type === undefined ? refused(e164, region, callingCode) : { number: e164 };
  }
  return undefined;
}

/** The library's verdict: the number parsed, then its type read. */
function libraryVerdict(e164: string): PlanVerdict {
  const parsed = parsePhoneNumberFromString(e164);
  if (parsed !== undefined) {
    // With the full metadata isValid() is "getType() finds a type" wherever the region's plan lists
    // types, and the type is what the premium-rate check needs.
    const type = verdictOf(e164, parsed.country, parsed.countryCallingCode, parsed.nationalNumber);
    if (typeof type === 'object') return type;
    if (type !== undefined || parsed.isValid()) return { number: parsed.number };
  }
  return refused(e164, parsed?.country, parsed?.countryCallingCode);
}

/** The verdict on a number in E.164 form (a "+" and digits only, as phone.ts's step 1 writes it). */
export function planVerdict(e164: string): PlanVerdict {
  return shortVerdict(e164) ?? libraryVerdict(e164);
}

/** Each path alone, for plan-verdict.test.ts to hold the short one to the library's. */
export const paths = { short: shortVerdict, library: libraryVerdict };
