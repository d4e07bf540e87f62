import { describe, expect, it } from 'vitest';
import { writtenExactly } from './number-text.ts';

const read = (json: string, path: (row: Record<string, unknown>) => unknown) =>
  writtenExactly(json, path(JSON.parse(json) as Record<string, unknown>) as number);

describe('writtenExactly: a number past 2^53 that the JSON text gave whole', () => {
  it('holds for a double written as its own digits, however the warehouse spells it', () => {
    for (const text of [
      '1e300',
      '1E+300',
      '100000000000000000000.0',
      '1.000000000000000e+20',
      '-1e300',
      '2e53',
    ])
      expect(writtenExactly(`{"a":${text}}`, Number(text)), text).toBe(true);
  });

  it('fails for an integer or decimal whose last digits the double dropped', () => {
    for (const text of [
      '9007199254740993',
      '12345678901234567890',
      '123456789012345678.0',
      '-9007199254740993',
    ])
      expect(writtenExactly(`{"a":${text}}`, Number(text)), text).toBe(false);
  });

  it('fails when any literal reading as the value lost digits, or none is there to see', () => {
    // The same double from a DOUBLE and from a BIGINT that lost its last digit.
    expect(read('{"a":9007199254740992.0,"b":9007199254740993}', (r) => r.a)).toBe(false);
    // A number inside a text column's JSON is escaped in the row's text: not seen, not known whole.
    expect(read('{"a":"{\\"n\\":1e300}","b":1}', () => 1e300)).toBe(false);
    expect(writtenExactly(undefined, 1e300)).toBe(false);
  });

  it('reads past strings that hold digits, quotes and backslashes', () => {
    const json = '{"s":"1e300 \\" 1e300 \\\\","n":[1,-2.5,1e300]}';
    expect(writtenExactly(json, 1e300)).toBe(true);
    expect(writtenExactly('{"s":"9007199254740993 \\"","n":9007199254740992}', 9007199254740992)).toBe(true);
  });
});

describe("writtenExactly on DuckDB's own JSON of a row", () => {
  it('holds for its DOUBLE and FLOAT columns and fails for BIGINT, HUGEINT and DECIMAL digits it lost', async () => {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    try {
      const reader = await conn.runAndReadAll(
        `select cast(json_object(
           'double_big', 1e300::double, 'double_whole', 1e20::double, 'float', 3.4e38::float,
           'bigint', 9007199254740993::bigint, 'hugeint', 12345678901234567890::hugeint,
           'decimal', 123456789012345678.0::decimal(38,1)) as varchar) as j`,
      );
      const json = String(reader.getRowObjectsJson()[0]!.j);
      const row = JSON.parse(json) as Record<string, number>;
      const whole = Object.fromEntries(Object.entries(row).map(([k, v]) => [k, writtenExactly(json, v)]));
      expect(whole).toEqual({
        double_big: true,
        double_whole: true,
        float: true,
        bigint: false,
        hugeint: false,
        decimal: false,
      });
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });
});
