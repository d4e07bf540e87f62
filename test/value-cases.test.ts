/**
 * The runner's value rules against the shared case table (test/helpers/value-cases.ts): each
 * row's input, read with its options, gives the expected value or is refused with the expected
 * reason code. The dbt consumer project checks the SQL macros against the same rows.
 */
import { describe, expect, it } from 'vitest';
import { normalizeCountry } from '../runner/identity/country.ts';
import { normalizeEmail } from '../runner/identity/email.ts';
import { normalizePhone } from '../runner/identity/phone.ts';
import { toBoolean } from '../runner/transform/boolean.ts';
import type { Coerced } from '../runner/transform/coerce.ts';
import { toInteger, toNumber, type DecimalMark } from '../runner/transform/number.ts';
import { toIsoTime, type DateOrder } from '../runner/transform/timestamp.ts';
import { readValueCases, type ValueCase } from './helpers/value-cases.ts';

type Outcome = { value: string | null; reason: string | null };

function outcome(read: Coerced<unknown> | null): Outcome {
  if (read === null) return { value: null, reason: null };
  if (!read.ok) return { value: null, reason: read.code ?? `(no code) ${read.reason}` };
  return { value: String(read.value), reason: null };
}

function apply(c: ValueCase): Outcome {
  const decimal = (c.decimal ?? undefined) as DecimalMark | undefined;
  switch (c.kind) {
    case 'money':
      return outcome(toNumber(c.input, { decimal, currency: c.currency ?? undefined }));
    case 'integer':
      return outcome(toInteger(c.input, { decimal }));
    case 'boolean':
      return outcome(toBoolean(c.input));
    case 'timestamp':
      return outcome(toIsoTime(c.input, { dateOrder: (c.date_order ?? undefined) as DateOrder | undefined }));
    case 'email':
      return outcome(normalizeEmail(c.input));
    case 'country':
      return outcome(normalizeCountry(c.input));
    case 'phone':
      return outcome(normalizePhone(c.input, c.country, 'US'));
    case 'url_segment':
      return { value: c.input === null ? null : urlSegment(c.input), reason: null };
    default:
      throw new Error(`line ${c.line}: unknown kind ${c.kind}`);
  }
}

/**
 * The URL path segment rule has no runner side (only the package's models build links); the
 * table's expectations are checked against RFC 3986 as JavaScript encodes it:
 * encodeURIComponent leaves only the unreserved characters and ! ' ( ) *, which the rule encodes
 * too (https://www.rfc-editor.org/rfc/rfc3986#section-2.3).
 */
function urlSegment(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Numbers compare by value ("12.50" and "12.5" are one amount). */
function expectedOf(c: ValueCase): Outcome {
  if (c.expected === null) return { value: null, reason: c.reason };
  const numeric = c.kind === 'money' || c.kind === 'integer';
  return { value: numeric ? String(Number(c.expected)) : c.expected, reason: null };
}

const cases = readValueCases();

describe('the shared value case table', () => {
  it('covers every kind of value with enough cases', () => {
    const kinds = new Set(cases.map((c) => c.kind));
    expect([...kinds].sort()).toEqual([
      'boolean',
      'country',
      'email',
      'integer',
      'money',
      'phone',
      'timestamp',
      'url_segment',
    ]);
    expect(cases.length).toBeGreaterThan(150);
  });

  it.each(cases.map((c) => [`${c.line} ${c.kind} ${JSON.stringify(c.input)} (${c.note})`, c] as const))(
    '%s',
    (_name, c) => {
      expect(apply(c)).toEqual(expectedOf(c));
    },
  );
});
