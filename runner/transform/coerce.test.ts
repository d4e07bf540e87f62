import { describe, expect, it } from 'vitest';
import { toIsoTime, toJsonObject, toNumber } from './coerce.ts';

describe('toNumber', () => {
  it.each([
    ['$1,234.50', 1234.5],
    [' 28.00 ', 28],
    ['1e3', 1000],
    ['USD 12', 12],
    ['-4.5', -4.5],
    [19.99, 19.99],
  ])('reads %j as %d', (raw, expected) => {
    expect(toNumber(raw)).toEqual({ ok: true, value: expected });
  });

  it.each(['N/A', 'NaN', 'Infinity', '12,50', '1.234,56', '12abc'])(
    'refuses %j with the reason, never 0 or NaN',
    (raw) => {
      expect(toNumber(raw)).toEqual({ ok: false, reason: `"${raw}" is not a number` });
    },
  );

  it('treats empty as missing, and refuses non-finite numbers', () => {
    expect(toNumber('')).toBeNull();
    expect(toNumber(null)).toBeNull();
    expect(toNumber(Number.NaN)).toEqual({ ok: false, reason: 'NaN is not a finite number' });
  });
});

describe('toIsoTime', () => {
  it('reads warehouse timestamps without a zone as UTC', () => {
    expect(toIsoTime('2025-01-02 03:04:05')).toEqual({ ok: true, value: '2025-01-02T03:04:05Z' });
    expect(toIsoTime('2025-01-02 03:04:05.250')).toEqual({ ok: true, value: '2025-01-02T03:04:05.250Z' });
    expect(toIsoTime('2025-01-02T03:04:05+02:00')).toEqual({ ok: true, value: '2025-01-02T01:04:05Z' });
    expect(toIsoTime('2025-01-02')).toEqual({ ok: true, value: '2025-01-02T00:00:00Z' });
    expect(toIsoTime(1735787045)).toEqual({ ok: true, value: '2025-01-02T03:04:05Z' });
  });

  it('refuses what is not a timestamp', () => {
    expect(toIsoTime('yesterday')).toEqual({ ok: false, reason: '"yesterday" is not a timestamp' });
  });
});

describe('toJsonObject', () => {
  it('parses JSON text and accepts parsed objects', () => {
    expect(toJsonObject('{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(toJsonObject({ a: 1 })).toEqual({ ok: true, value: { a: 1 } });
    expect(toJsonObject('[1]')).toEqual({ ok: false, reason: 'is not a JSON object' });
    expect(toJsonObject('{oops')).toEqual({ ok: false, reason: 'is not valid JSON' });
  });
});
