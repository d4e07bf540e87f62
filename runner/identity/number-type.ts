/**
 * A parsed number's type (fixed line, mobile, premium rate, …) by its region's numbering plan:
 * libphonenumber-js's getNumberType (helpers/getNumberType.js), step for step, with each plan's
 * patterns compiled once. The library builds a RegExp from the metadata's pattern text on every
 * match (helpers/matchesEntirely.js), patterns of up to a few kilobytes, which made the type check
 * most of the phone rule's cost. number-type.test.ts pins the result to the library's own
 * `PhoneNumber.getType()` over numbers of every region.
 */
import { Metadata, type CountryCode, type NumberType } from 'libphonenumber-js/max';

/** The parts of libphonenumber-js's metadata read here; present at run time, missing from its types. */
interface TypeDefinition {
  pattern(): string;
  possibleLengths(): number[] | undefined;
}
interface PlanInternals {
  nationalNumberPattern(): string;
  type(name: string): TypeDefinition | undefined;
}

const NON_FIXED_LINE_TYPES = [
  'MOBILE',
  'PREMIUM_RATE',
  'TOLL_FREE',
  'SHARED_COST',
  'VOIP',
  'PERSONAL_NUMBER',
  'PAGER',
  'UAN',
  'VOICEMAIL',
] as const;

interface CompiledType {
  pattern: RegExp;
  lengths: number[] | undefined;
}

interface CompiledPlan {
  national: RegExp;
  types: Map<string, CompiledType | null>;
  /** MOBILE has no pattern of its own: the library reads fixed-line numbers as FIXED_LINE_OR_MOBILE. */
  mobileShared: boolean;
}

const whole = (pattern: string) => new RegExp(`^(?:${pattern})$`);

const metadata = new Metadata();
const plans = new Map<string, CompiledPlan>();

function compile(plan: PlanInternals): CompiledPlan {
  const types = new Map<string, CompiledType | null>();
  for (const name of ['FIXED_LINE', ...NON_FIXED_LINE_TYPES]) {
    const definition = plan.type(name);
    const pattern = definition?.pattern();
    types.set(
      name,
      definition === undefined || !pattern
        ? null
        : { pattern: whole(pattern), lengths: definition.possibleLengths() },
    );
  }
  const mobile = plan.type('MOBILE');
  return {
    national: whole(plan.nationalNumberPattern()),
    types,
    mobileShared: mobile === undefined || mobile.pattern() === '',
  };
}

/** The plan of a region, or of a calling code's main region (as the library selects it). */
function planOf(regionOrCallingCode: string): CompiledPlan {
  let plan = plans.get(regionOrCallingCode);
  if (plan === undefined) {
    metadata.selectNumberingPlan(regionOrCallingCode as CountryCode);
    plan = compile(metadata.numberingPlan as unknown as PlanInternals);
    plans.set(regionOrCallingCode, plan);
  }
  return plan;
}

function isType(plan: CompiledPlan, name: string, national: string): boolean {
  const type = plan.types.get(name);
  if (type === null || type === undefined) return false;
  if (type.lengths !== undefined && !type.lengths.includes(national.length)) return false;
  return type.pattern.test(national);
}

/**
 * The type of `nationalNumber` in `regionOrCallingCode`'s plan (a parsed number's `country`, else
 * its calling code), or undefined when the plan assigns it none.
 */
export function numberType(regionOrCallingCode: string, nationalNumber: string): NumberType {
  const plan = planOf(regionOrCallingCode);
  if (!plan.national.test(nationalNumber)) return undefined;
  if (isType(plan, 'FIXED_LINE', nationalNumber)) {
    if (plan.mobileShared || isType(plan, 'MOBILE', nationalNumber)) return 'FIXED_LINE_OR_MOBILE';
    return 'FIXED_LINE';
  }
  for (const name of NON_FIXED_LINE_TYPES) if (isType(plan, name, nationalNumber)) return name;
  return undefined;
}
