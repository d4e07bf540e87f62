/**
 * The shared table of value cases, test/dbt/seeds/klaviyo_value_cases.csv: one row per input with
 * its options and the expected value or reason code. The dbt consumer project loads the same file
 * as a seed and checks the SQL macros against it (test/dbt/tests/value_cases_match.sql).
 * Characters a reader cannot see are written as \uXXXX escapes in the input column, decoded here
 * and, identically, by the dbt model test/dbt/models/value_case_inputs.sql.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './dbt.ts';

export interface ValueCase {
  line: number;
  kind: string;
  input: string | null;
  decimal: string | null;
  date_order: string | null;
  currency: string | null;
  country: string | null;
  expected: string | null;
  reason: string | null;
  checked_in: 'both' | 'runner';
  note: string;
}

export const VALUE_CASES_FILE = path.join(repoRoot, 'test', 'dbt', 'seeds', 'klaviyo_value_cases.csv');

/** RFC 4180 fields: quoted fields may hold commas and doubled quotes. */
function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields;
}

/** The escapes the table uses for characters one cannot see or tell apart. */
export const ESCAPES: Record<string, string> = {
  '\\u00a0': '\u00a0',
  '\\u202f': '\u202f',
  '\\u2009': '\u2009',
  '\\u2212': '\u2212',
  '\\u2019': '\u2019',
  '\\u0009': '\u0009',
  '\\u000a': '\u000a',
  '\\u000d': '\u000d',
  '\\u3000': '\u3000',
};

function decode(text: string): string {
  let out = text;
  for (const [escape, char] of Object.entries(ESCAPES)) out = out.replaceAll(escape, char);
  return out;
}

/** Blank cells are null, as a dbt seed loads them; the input keeps its spaces. */
export function readValueCases(): ValueCase[] {
  const lines = readFileSync(VALUE_CASES_FILE, 'utf8').split('\n');
  const header = splitCsvLine(lines[0] ?? '');
  const cases: ValueCase[] = [];
  lines.slice(1).forEach((line, i) => {
    if (line === '') return;
    const fields = splitCsvLine(line);
    if (fields.length !== header.length)
      throw new Error(`${VALUE_CASES_FILE}:${i + 2} has ${fields.length} fields, not ${header.length}`);
    const cell = (name: string) => {
      const value = fields[header.indexOf(name)] ?? '';
      return value.trim() === '' ? null : value;
    };
    cases.push({
      line: i + 2,
      kind: cell('kind') ?? '',
      input: cell('input') === null ? null : decode(cell('input') ?? ''),
      decimal: cell('decimal'),
      date_order: cell('date_order'),
      currency: cell('currency'),
      country: cell('country'),
      expected: cell('expected'),
      reason: cell('reason'),
      checked_in: cell('checked_in') === 'runner' ? 'runner' : 'both',
      note: cell('note') ?? '',
    });
  });
  return cases;
}
