import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { duckdbDialect } from '../source/duckdb.ts';
import { normalizeEmail, normalizedEmailSql, TRIMMED_CODE_POINTS } from './email.ts';

/** Every code point `String.prototype.trim` removes, found by asking it. */
function codePointsJsTrims(): number[] {
  const found: number[] = [];
  for (let c = 0; c <= 0x10ffff; c++) if (String.fromCodePoint(c).trim() === '') found.push(c);
  return found;
}

/** The SQL expression evaluated by DuckDB over each input, in order. */
async function inDuckDb(inputs: (string | null)[]): Promise<(string | null)[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const values = inputs
      .map((v, i) => `(${i}, ${v === null ? 'cast(null as varchar)' : duckdbDialect.literal(v)})`)
      .join(', ');
    const sql = `select ${normalizedEmailSql('e')} as email from (values ${values}) t(i, e) order by i`;
    const rows = (await conn.runAndReadAll(sql)).getRowObjectsJson();
    return rows.map((r) => (r.email === null ? null : String(r.email)));
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

describe('normalizedEmailSql', () => {
  it('trims the characters String.prototype.trim trims, and no others', () => {
    expect(TRIMMED_CODE_POINTS).toEqual(codePointsJsTrims());
  });

  it('gives on DuckDB the email normalizeEmail gives, or NULL where it gives none', async () => {
    const around = (c: number) => `${String.fromCodePoint(c)}Ann@Example.com${String.fromCodePoint(c)}`;
    const inputs = [
      ...TRIMMED_CODE_POINTS.map(around),
      // Look like space, but trim keeps them, and so does the address: refused, not matched.
      ...[0x85, 0x180e, 0x200b].map(around),
      'mailto:ann@example.com',
      ' MAILTO:Ann@Example.com\t',
      'mailto:mailto:ann@example.com',
      'ann@example.com\u00a0\n\t',
      'mailto:',
      ' \t\n',
      '',
      null,
      // Trimmed at one end only, or at neither (printable ASCII at both ends skips the trim).
      ' ann@example.com',
      'ann@example.com\u3000',
      'ann@example.com\t',
      'MAILTO:ann@example.com',
      'Ann@Example.com',
      '!ann@example.com~',
      '\u00c5NN@example.com',
      'ann@example.co\u0301',
      'a',
      '\u00a0',
    ];
    const sql = await inDuckDb(inputs);
    const expected = inputs.map((input) => {
      const js = normalizeEmail(input);
      return js === null ? null : js.ok ? js.value : 'refused';
    });
    // Where the runner refuses the address, the SQL may give any text: no valid email equals it.
    const compared = sql.map((value, i) => (expected[i] === 'refused' ? 'refused' : value));
    expect(compared).toEqual(expected);
    expect(expected.filter((e) => e === 'ann@example.com')).toHaveLength(TRIMMED_CODE_POINTS.length + 8);
  });
});
