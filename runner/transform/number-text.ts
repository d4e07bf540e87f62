/**
 * Whether a whole number beyond ±2^53 read from a row's JSON text is the warehouse's number
 * itself. A row's numbers are read as doubles: a BIGINT or DECIMAL of more digits than a double
 * holds (9007199254740993, 123456789012345678.0) arrives with other last digits, and is refused
 * (properties.ts). A FLOAT or DOUBLE column's value is a double already, and its text is one
 * that reads back to it (DuckDB writes 1e300 as `1e300`, 1e20 as `100000000000000000000.0`;
 * Snowflake's TO_JSON as `1.000000000000000e+20`): sending it loses nothing, and refusing it, as
 * a whole number past 2^53, refused a value the model holds exactly.
 *
 * Looked up in the row's text only for such a number, which few rows hold: the text is scanned
 * for the number literals that read as the value, each compared digit for digit with the value's
 * own shortest text (ECMAScript's Number::toString,
 * https://tc39.es/ecma262/#sec-numeric-types-number-tostring). No text, or no such literal (a
 * number inside a JSON document held as a text column, which the row's text escapes): not known
 * to be whole, so refused as before.
 */

/** Whether every literal in `json` that reads as `value` has exactly `value`'s decimal digits. */
export function writtenExactly(json: string | undefined, value: number): boolean {
  if (json === undefined) return false;
  const exact = decimalOf(String(value));
  let found = false;
  for (const literal of numberLiterals(json)) {
    if (Number(literal) !== value) continue;
    found = true;
    const digits = decimalOf(literal);
    if (digits === null || exact === null || digits.sign !== exact.sign) return false;
    if (digits.digits !== exact.digits || digits.exponent !== exact.exponent) return false;
  }
  return found;
}

/** The number literals of a JSON text, outside its strings. */
function* numberLiterals(json: string): Generator<string> {
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < json.length && json.charCodeAt(i) !== 0x22; i++) if (json.charCodeAt(i) === 0x5c) i++;
      continue;
    }
    if (c !== 0x2d /* - */ && (c < 0x30 || c > 0x39)) continue;
    let end = i + 1;
    while (end < json.length && /[0-9.eE+-]/.test(json[end]!)) end++;
    yield json.slice(i, end);
    i = end - 1;
  }
}

/**
 * A decimal number's value as its significant digits (no leading or trailing zeros) and the
 * power of ten before the first of them: 0.d1d2… × 10^exponent. Null for a text that is not a
 * decimal number.
 */
function decimalOf(text: string): { sign: string; digits: string; exponent: number } | null {
  const m = /^(-?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/.exec(text);
  if (m === null) return null;
  const whole = m[2] ?? '';
  const all = whole + (m[3] ?? '');
  const lead = all.length - all.replace(/^0+/, '').length;
  const digits = all.slice(lead).replace(/0+$/, '');
  if (digits === '') return { sign: '', digits: '', exponent: 0 };
  return { sign: m[1]!, digits, exponent: whole.length - lead + Number(m[4] ?? 0) };
}
