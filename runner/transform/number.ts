/**
 * The number rule (money and integers), written out in docs/value-rules.md and pinned by the case
 * table test/dbt/seeds/klaviyo_value_cases.csv, which the dbt macros in
 * macros/klaviyo__number.sql follow too. In short: a currency marker before or after the amount,
 * a sign or accounting parentheses, thousands grouped by comma, dot, space or apostrophe, and one
 * decimal mark. A text that reads as two different numbers (`1,234` is 1234 or 1.234) is refused
 * as ambiguous unless the source's decimal mark is known; a value is never guessed.
 */
import type { Coerced } from './coerced.ts';

/** Which mark a source writes decimals with; undefined when not known. */
export type DecimalMark = 'point' | 'comma';

export interface NumberOptions {
  decimal?: DecimalMark | undefined;
  /** The ISO 4217 code the amount is in (an order's currency); a marker must agree with it. */
  currency?: string | undefined;
}

/** Why a value was refused: the same codes the SQL macros return (docs/value-rules.md). */
export type NumberProblem =
  | 'not_a_number'
  | 'exponent_notation'
  | 'ambiguous_decimal_mark'
  | 'wrong_decimal_mark'
  | 'currency_mismatch'
  | 'too_many_decimals'
  | 'not_whole'
  | 'out_of_range';

/** Money keeps 4 decimals and 14 integer digits: the warehouse type is decimal(18, 4). */
export const MONEY_DECIMALS = 4;
export const MONEY_LIMIT = 1e14;

const SPACES = /[\u00a0\u202f\u2009]/g;
const MARK = '[$£€¥₹]|US[$]|C[$]|A[$]|NZ[$]|HK[$]|[A-Z]{3}';
const SHAPE = new RegExp(`^([+-]?)(${MARK})? ?([+-]?)([0-9]([0-9.,' ]*[0-9])?) ?(${MARK})?$`);
const EXPONENT = /^[+-]?[0-9.,]*[0-9][eE][+-]?[0-9]+$/;
const POINT = [
  /^[0-9]+([.][0-9]+)?$/,
  /^[1-9][0-9]{0,2}(,[0-9]{3})+([.][0-9]+)?$/,
  /^[1-9][0-9]{0,2}( [0-9]{3})+([.][0-9]+)?$/,
  /^[1-9][0-9]{0,2}('[0-9]{3})+([.][0-9]+)?$/,
];
const COMMA = [
  /^[0-9]+(,[0-9]+)?$/,
  /^[1-9][0-9]{0,2}([.][0-9]{3})+(,[0-9]+)?$/,
  /^[1-9][0-9]{0,2}( [0-9]{3})+(,[0-9]+)?$/,
  /^[1-9][0-9]{0,2}('[0-9]{3})+(,[0-9]+)?$/,
];
/** Symbols that name one currency; "$" and "¥" name several and are not checked. */
const SYMBOL_CURRENCY: Record<string, string> = { '€': 'EUR', '£': 'GBP', '₹': 'INR' };

const MESSAGES: Record<NumberProblem, (text: string) => string> = {
  not_a_number: (t) => `"${t}" is not a number by the rules of docs/value-rules.md`,
  exponent_notation: (t) =>
    `"${t}" is in exponent notation, which spreadsheets write after rounding; export the full number`,
  ambiguous_decimal_mark: (t) =>
    `"${t}" reads as two different numbers (is the comma or the dot the decimal mark?); set the source's number locale (docs/value-rules.md)`,
  wrong_decimal_mark: (t) => `"${t}" uses the other decimal mark than its source's number locale`,
  currency_mismatch: (t) => `"${t}" names a different currency than the row's`,
  too_many_decimals: (t) => `"${t}" has more than ${MONEY_DECIMALS} decimals`,
  not_whole: (t) => `"${t}" is not a whole number`,
  out_of_range: (t) => `"${t}" is too large`,
};

function refuse(code: NumberProblem, text: string): Coerced<number> {
  return { ok: false, code, reason: MESSAGES[code](text) };
}

function canonical(body: string, decimal: DecimalMark): string | undefined {
  if (decimal === 'point') return POINT.some((p) => p.test(body)) ? body.replace(/[, ']/g, '') : undefined;
  return COMMA.some((p) => p.test(body)) ? body.replace(/[. ']/g, '').replace(',', '.') : undefined;
}

/** The canonical decimal text ("-1234.5") of a number written as text, or why there is none. */
function readText(raw: string, options: NumberOptions, currencyAllowed: boolean): Coerced<string> | null {
  let text = raw.replace(SPACES, ' ').replaceAll('\u2212', '-').replaceAll('\u2019', "'").trim();
  if (text === '') return null;
  const shown = raw.trim();
  const bad = (code: NumberProblem) => refuse(code, shown) as Coerced<never>;
  const parenthesised = text.startsWith('(') && text.endsWith(')');
  if (parenthesised) text = text.slice(1, -1).trim();
  const m = SHAPE.exec(text);
  if (m === null) return bad(EXPONENT.test(text) ? 'exponent_notation' : 'not_a_number');
  const [, sign1 = '', mark1, sign2 = '', body = '', , mark2] = m;
  if (mark1 !== undefined && mark2 !== undefined) return bad('not_a_number');
  if ((sign1 !== '' && sign2 !== '') || (parenthesised && sign1 + sign2 !== '')) return bad('not_a_number');
  const mark = mark1 ?? mark2;
  if (mark !== undefined && !currencyAllowed) return bad('not_a_number');
  const point = canonical(body, 'point');
  const comma = canonical(body, 'comma');
  let digits: string | undefined;
  if (options.decimal !== undefined) {
    digits = options.decimal === 'point' ? point : comma;
    if (digits === undefined)
      return bad(
        (options.decimal === 'point' ? comma : point) !== undefined ? 'wrong_decimal_mark' : 'not_a_number',
      );
  } else {
    if (point !== undefined && comma !== undefined && Number(point) !== Number(comma))
      return bad('ambiguous_decimal_mark');
    digits = point ?? comma;
    if (digits === undefined) return bad('not_a_number');
  }
  const currency = options.currency?.trim().toUpperCase();
  if (mark !== undefined && currency !== undefined && currency !== '') {
    const named = /^[A-Z]{3}$/.test(mark) ? mark : SYMBOL_CURRENCY[mark];
    if (named !== undefined && named !== currency) return bad('currency_mismatch');
  }
  const negative = parenthesised || sign1 === '-' || sign2 === '-';
  return { ok: true, value: negative ? `-${digits}` : digits };
}

function decimalsOf(canonicalText: string): number {
  const dot = canonicalText.indexOf('.');
  return dot < 0 ? 0 : canonicalText.slice(dot + 1).replace(/0+$/, '').length;
}

function fromDriver(raw: unknown): string | Coerced<number> {
  if (typeof raw === 'string') return raw;
  if (
    typeof raw === 'object' &&
    raw !== null &&
    raw.toString !== Object.prototype.toString &&
    !Array.isArray(raw)
  )
    return String(raw);
  return { ok: false, code: 'not_a_number', reason: `${JSON.stringify(raw)} is not a number` };
}

/** A typed amount of 10^14 or more, refused as the same amount written as text is. */
function typedOutOfRange(shown: string): Coerced<number> {
  return {
    ok: false,
    code: 'out_of_range',
    reason: `${shown} is too large: an amount is less than 10^14 (docs/value-rules.md)`,
  };
}

/**
 * An amount of money (or any decimal) by the number rule; null when missing. JS numbers and
 * bigints from typed columns are taken as they are, if finite and below 10^14 like any amount:
 * a DECIMAL(38,2) of 9007199254740993 or 12345678901234567890.50 reaches the runner as a JSON
 * number already rounded to a double (https://www.rfc-editor.org/rfc/rfc8259#section-6), so
 * sending it would send another amount.
 */
export function toNumber(raw: unknown, options: NumberOptions = {}): Coerced<number> | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw))
      return { ok: false, code: 'not_a_number', reason: `${raw} is not a finite number` };
    if (Math.abs(raw) >= MONEY_LIMIT) return typedOutOfRange(String(raw));
    return { ok: true, value: raw === 0 ? 0 : raw };
  }
  if (typeof raw === 'bigint') {
    const n = Number(raw);
    return Math.abs(n) < MONEY_LIMIT ? { ok: true, value: n } : typedOutOfRange(raw.toString());
  }
  const text = fromDriver(raw);
  if (typeof text !== 'string') return text;
  const read = readText(text, options, true);
  if (read === null || !read.ok) return read;
  if (decimalsOf(read.value) > MONEY_DECIMALS) return refuse('too_many_decimals', text.trim());
  const value = Number(read.value);
  if (Math.abs(value) >= MONEY_LIMIT) return refuse('out_of_range', text.trim());
  return { ok: true, value: value === 0 ? 0 : value };
}

/** A whole number by the number rule, without currency markers, within ±(2^53 − 1); null when missing. */
export function toInteger(
  raw: unknown,
  options: Pick<NumberOptions, 'decimal'> = {},
): Coerced<number> | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'number' || typeof raw === 'bigint') {
    const n = Number(raw);
    if (!Number.isFinite(n))
      return { ok: false, code: 'not_a_number', reason: `${n} is not a finite number` };
    if (!Number.isInteger(n)) return refuse('not_whole', String(raw));
    return Number.isSafeInteger(n)
      ? { ok: true, value: n === 0 ? 0 : n }
      : refuse('out_of_range', String(raw));
  }
  const text = fromDriver(raw);
  if (typeof text !== 'string') return text;
  const read = readText(text, options, false);
  if (read === null || !read.ok) return read;
  if (decimalsOf(read.value) > 0) return refuse('not_whole', text.trim());
  const whole = read.value.replace(/[.]0*$/, '');
  const value = Number(whole);
  if (!Number.isSafeInteger(value)) return refuse('out_of_range', text.trim());
  return { ok: true, value: value === 0 ? 0 : value };
}
