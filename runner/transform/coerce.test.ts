import { describe, expect, it } from 'vitest';
import { toJsonObject } from './coerce.ts';
import { toInteger, toNumber } from './number.ts';
import { toIsoTime } from './timestamp.ts';

describe('toNumber beyond the case table', () => {
  it('takes typed numbers as they are, if finite', () => {
    expect(toNumber(19.99)).toEqual({ ok: true, value: 19.99 });
    expect(toNumber(12n)).toEqual({ ok: true, value: 12 });
    expect(toNumber(Number.NaN)).toEqual({
      ok: false,
      code: 'not_a_number',
      reason: 'NaN is not a finite number',
    });
    expect(toNumber(2n ** 60n)).toMatchObject({ ok: false, code: 'out_of_range' });
  });

  it('refuses a typed amount of 10^14 or more, as it refuses the same amount written as text', () => {
    // A DECIMAL(38,2) of 12345678901234567890.50 or 9007199254740993 reaches the runner as a JSON
    // number, already rounded to a double: sent, it would be another amount.
    expect(toNumber('12345678901234567890.50')).toMatchObject({ ok: false, code: 'out_of_range' });
    expect(toNumber(JSON.parse('12345678901234567890.50'))).toMatchObject({
      ok: false,
      code: 'out_of_range',
    });
    expect(toNumber(JSON.parse('9007199254740993'))).toMatchObject({ ok: false, code: 'out_of_range' });
    expect(toNumber(-1e14)).toEqual({
      ok: false,
      code: 'out_of_range',
      reason: '-100000000000000 is too large: an amount is less than 10^14 (docs/value-rules.md)',
    });
    expect(toNumber(99_999_999_999_999.98)).toEqual({ ok: true, value: 99_999_999_999_999.98 });
  });

  it('says in words what is wrong and what to do', () => {
    expect(toNumber('1,234')).toEqual({
      ok: false,
      code: 'ambiguous_decimal_mark',
      reason:
        '"1,234" reads as two different numbers (is the comma or the dot the decimal mark?); set the source\'s number locale (docs/value-rules.md)',
    });
    expect(toNumber('N/A')).toEqual({
      ok: false,
      code: 'not_a_number',
      reason: '"N/A" is not a number by the rules of docs/value-rules.md',
    });
  });

  it('reads driver decimals through their text', () => {
    const decimal = { toString: () => '1234.5000' };
    expect(toNumber(decimal)).toEqual({ ok: true, value: 1234.5 });
    expect(toNumber({ a: 1 })).toMatchObject({ ok: false, code: 'not_a_number' });
  });
});

describe('toInteger beyond the case table', () => {
  it('refuses fractional and unsafe typed numbers', () => {
    expect(toInteger(3)).toEqual({ ok: true, value: 3 });
    expect(toInteger(3.5)).toMatchObject({ ok: false, code: 'not_whole' });
    expect(toInteger(2 ** 60)).toMatchObject({ ok: false, code: 'out_of_range' });
  });
});

describe('toIsoTime beyond the case table', () => {
  it('reads epoch numbers and Dates', () => {
    expect(toIsoTime(1735787045)).toEqual({ ok: true, value: '2025-01-02T03:04:05Z' });
    expect(toIsoTime(1735787045123)).toEqual({ ok: true, value: '2025-01-02T03:04:05.123Z' });
    expect(toIsoTime(new Date(Date.UTC(2025, 0, 2, 3, 4, 5)))).toEqual({
      ok: true,
      value: '2025-01-02T03:04:05Z',
    });
  });

  it('names the problem', () => {
    expect(toIsoTime('02/03/2025')).toEqual({
      ok: false,
      code: 'ambiguous_date_order',
      reason:
        '"02/03/2025" reads as two different days (day or month first?); set the source\'s date order (docs/value-rules.md)',
    });
    expect(toIsoTime('2025-02-30')).toEqual({
      ok: false,
      code: 'invalid_date',
      reason: '"2025-02-30" has a date or time that does not exist',
    });
  });
});

describe('toJsonObject', () => {
  it('parses JSON text and accepts parsed objects', () => {
    expect(toJsonObject('{"a":1,"b":[2]}')).toEqual({ ok: true, value: { a: 1, b: [2] } });
    expect(toJsonObject({ a: 1 })).toEqual({ ok: true, value: { a: 1 } });
  });

  it('refuses arrays, scalars and invalid JSON', () => {
    expect(toJsonObject('[1]')).toEqual({ ok: false, reason: 'is a JSON array, not a JSON object' });
    expect(toJsonObject([1])).toEqual({ ok: false, reason: 'is a JSON array, not a JSON object' });
    expect(toJsonObject('"x"')).toEqual({ ok: false, reason: 'is the JSON string, not a JSON object' });
    expect(toJsonObject(5)).toEqual({ ok: false, reason: 'is the JSON number, not a JSON object' });
    const bad = toJsonObject('{oops');
    expect(bad?.ok).toBe(false);
    expect(bad?.ok === false && bad.reason).toMatch(/^is not valid JSON \(.+\)$/);
  });

  it('treats empty text and JSON null as missing', () => {
    expect(toJsonObject('')).toBeNull();
    expect(toJsonObject('null')).toBeNull();
    expect(toJsonObject(null)).toBeNull();
  });
});

describe('toIsoTime on the warehouse form "YYYY-MM-DD HH:MM:SS"', () => {
  // The form is read by a path of its own (timestamp.ts, readPlain); the same text with a "Z"
  // goes the ISO expression's way, so each must read the same as the other.
  const days = [
    '1999-12-31',
    '2024-02-29',
    '2023-02-29',
    '2025-04-31',
    '2025-13-01',
    '0000-01-01',
    '9999-12-31',
  ];
  const times = ['00:00:00', '23:59:59', '24:00:00', '12:60:00', '12:00:60', '07:05:09'];
  const odd = [
    '2025-01-0a 10:00:00',
    '2025/01/01 10:00:00',
    '2025-01-01_10:00:00',
    '2025-01-01 10-00-00',
    '٢٠٢٥-01-01 10:00:00',
  ];

  it('reads as the same text in UTC with a Z', () => {
    for (const day of days)
      for (const time of times)
        for (const between of [' ', 'T']) {
          const text = `${day}${between}${time}`;
          // Both as { ok, value } or { ok, code }: the reasons quote each its own text.
          const read = (t: string) => {
            const r = toIsoTime(t)!;
            return r.ok ? r : { ok: false, code: r.code };
          };
          expect(read(text), text).toEqual(read(`${text}Z`));
        }
    expect(toIsoTime('2024-02-29 23:59:59')).toEqual({ ok: true, value: '2024-02-29T23:59:59Z' });
    expect(toIsoTime('2023-02-29 10:00:00')).toMatchObject({ ok: false, code: 'invalid_date' });
  });

  it('leaves what is not exactly that form to the general rules', () => {
    for (const text of odd)
      expect(toIsoTime(text), text).toMatchObject({ ok: false, code: 'not_a_timestamp' });
    expect(toIsoTime(' 2025-01-01 10:00:00 ')).toEqual({ ok: true, value: '2025-01-01T10:00:00Z' });
  });
});
