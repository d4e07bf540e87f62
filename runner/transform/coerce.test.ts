import { describe, expect, it } from 'vitest';
import { toIsoTime, toJsonObject, toNumber } from './coerce.ts';

const TIME_FORMS =
  'use ISO 8601 (2025-01-02T03:04:05Z), YYYY-MM-DD HH:MM:SS (read as UTC), a date, or epoch seconds';

describe('toNumber', () => {
  it.each([
    ['$1,234.50', 1234.5],
    [' 28.00 ', 28],
    ['1e3', 1000],
    ['USD 12', 12],
    ['12.00 EUR', 12],
    ['-$5', -5],
    ['-4.5', -4.5],
    ['1,234', 1234],
    [19.99, 19.99],
  ])('reads %j as %d', (raw, expected) => {
    expect(toNumber(raw)).toEqual({ ok: true, value: expected });
  });

  it('refuses a decimal comma rather than guessing the locale', () => {
    expect(toNumber('12,50')).toEqual({
      ok: false,
      reason:
        '"12,50" has a comma that is not a thousands separator (a decimal comma?); only "." is read as the decimal point, so convert the value in the model',
    });
    expect(toNumber('1.234,56')).toMatchObject({ ok: false });
  });

  it.each(['N/A', 'NaN', 'Infinity'])('refuses the word %j, never 0 or NaN', (raw) => {
    expect(toNumber(raw)).toEqual({
      ok: false,
      reason: `"${raw}" is not a number; write NULL in the model where there is no value`,
    });
  });

  it('names percentages, accounting negatives, trailing junk and overflow', () => {
    expect(toNumber('12%')).toEqual({
      ok: false,
      reason: '"12%" is a percentage; write it as a plain number in the model',
    });
    expect(toNumber('(12.50)')).toEqual({
      ok: false,
      reason: '"(12.50)" is an accounting negative; write it as -12.50 in the model',
    });
    expect(toNumber('12abc')).toEqual({ ok: false, reason: '"12abc" is not a number' });
    expect(toNumber('1e400')).toEqual({ ok: false, reason: '"1e400" is not a finite number' });
  });

  it('treats empty as missing, and refuses non-finite numbers', () => {
    expect(toNumber('')).toBeNull();
    expect(toNumber('   ')).toBeNull();
    expect(toNumber(null)).toBeNull();
    expect(toNumber(undefined)).toBeNull();
    expect(toNumber(Number.NaN)).toEqual({ ok: false, reason: 'NaN is not a finite number' });
    expect(toNumber(Number.POSITIVE_INFINITY)).toEqual({
      ok: false,
      reason: 'Infinity is not a finite number',
    });
  });
});

describe('toIsoTime', () => {
  it('reads warehouse timestamps without a zone as UTC', () => {
    expect(toIsoTime('2025-01-02 03:04:05')).toEqual({ ok: true, value: '2025-01-02T03:04:05Z' });
    expect(toIsoTime('2025-01-02 03:04:05.250')).toEqual({ ok: true, value: '2025-01-02T03:04:05.250Z' });
  });

  it('applies an explicit offset', () => {
    expect(toIsoTime('2025-01-02T03:04:05+02:00')).toEqual({ ok: true, value: '2025-01-02T01:04:05Z' });
    expect(toIsoTime('2025-01-02 03:04:05-0530')).toEqual({ ok: true, value: '2025-01-02T08:34:05Z' });
    expect(toIsoTime('2025-01-02T03:04:05Z')).toEqual({ ok: true, value: '2025-01-02T03:04:05Z' });
  });

  it('reads a date alone as midnight UTC', () => {
    expect(toIsoTime('2025-01-02')).toEqual({ ok: true, value: '2025-01-02T00:00:00Z' });
  });

  it('reads epoch seconds and milliseconds, as numbers or digit text', () => {
    expect(toIsoTime(1735787045)).toEqual({ ok: true, value: '2025-01-02T03:04:05Z' });
    expect(toIsoTime('1735787045')).toEqual({ ok: true, value: '2025-01-02T03:04:05Z' });
    expect(toIsoTime(1735787045123)).toEqual({ ok: true, value: '2025-01-02T03:04:05.123Z' });
  });

  it('refuses what is not a timestamp, including impossible dates', () => {
    expect(toIsoTime('yesterday')).toEqual({
      ok: false,
      reason: `"yesterday" is not a timestamp; ${TIME_FORMS}`,
    });
    expect(toIsoTime('2025-02-30')).toEqual({
      ok: false,
      reason: `"2025-02-30" is not a timestamp; ${TIME_FORMS}`,
    });
  });

  it('treats empty as missing', () => {
    expect(toIsoTime('')).toBeNull();
    expect(toIsoTime(null)).toBeNull();
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
