/**
 * What the phone rule needs to know about a region's numbering plan, from libphonenumber's
 * metadata (https://github.com/google/libphonenumber, through libphonenumber-js): the country
 * calling code, the national (trunk) prefix dialled before national numbers ("0" in GB, "1" in
 * NANP, none in IT, whose leading 0 is part of the number), and the international (IDD) prefix
 * ("00", "011" in NANP, "0011" in AU). Only prefixes that are plain digits are used; the SQL
 * macros read the same values from models/intermediate/int_klaviyo__country_keys.sql.
 */
import {
  getCountries,
  getCountryCallingCode,
  Metadata,
  type CountryCode,
  type NumberingPlan,
} from 'libphonenumber-js/max';

export interface NumberingPlanFacts {
  region: string;
  callingCode: string;
  nationalPrefix: string | null;
  iddPrefix: string | null;
}

const DIGITS = /^[0-9]+$/;

function plain(prefix: unknown): string | null {
  return typeof prefix === 'string' && DIGITS.test(prefix) ? prefix : null;
}

function factsOf(metadata: Metadata, region: CountryCode): NumberingPlanFacts {
  metadata.selectNumberingPlan(region);
  // nationalPrefix() exists on libphonenumber-js's numbering plans but is missing from its types.
  const numberingPlan: (NumberingPlan & { nationalPrefix?: () => unknown }) | undefined =
    metadata.numberingPlan;
  return {
    region,
    callingCode: getCountryCallingCode(region),
    nationalPrefix: plain(numberingPlan?.nationalPrefix?.()),
    iddPrefix: plain(numberingPlan?.IDDPrefix()) ?? plain(numberingPlan?.defaultIDDPrefix()),
  };
}

function buildPlans(): Map<string, NumberingPlanFacts> {
  const metadata = new Metadata();
  return new Map(getCountries().map((region) => [region, factsOf(metadata, region)]));
}

/** Every region libphonenumber knows, by ISO 3166-1 alpha-2 code. */
export const NUMBERING_PLANS: ReadonlyMap<string, NumberingPlanFacts> = buildPlans();
