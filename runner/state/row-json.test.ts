/**
 * The snapshot keeps a model row's JSON as the warehouse wrote it: the text its hash was computed
 * from, with nothing lost to a JavaScript round trip, and nothing kept for a row set aside.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spec } from '../../test/fixtures/specs.ts';
import { emptyState } from '../../test/helpers/duckdb.ts';
import type { Warehouse } from '../source/warehouse.ts';
import { streamChanges, type StreamedChange } from './diff.ts';
import { jobRows, recordJob } from './jobs.ts';
import { parseRowJson } from './row-json.ts';
import type { State } from './schema.ts';
import { confirmRows } from './snapshot.ts';

let wh: Warehouse;
let state: State;
const profiles = spec({ object: 'profile', properties: ['amount', 'big', 'note'] }, 'profiles');
profiles.model.relationName = 'main.people';

beforeEach(async () => {
  ({ wh, state } = await emptyState('row-json'));
  await wh.execute(
    `create table people (id varchar, email varchar, amount decimal(12, 2), big bigint, note varchar)`,
  );
  await wh.execute(
    `insert into people values
       ('1', 'a@x.com', 1.50, 9007199254740993, 'record' || chr(30) || 'separator, quote " and 😀'),
       ('2', 'b@x.com', null, null, null)`,
  );
});
afterEach(async () => {
  await wh?.close();
});

async function changes(): Promise<StreamedChange[]> {
  const out: StreamedChange[] = [];
  for await (const chunk of streamChanges(state, profiles)) out.push(...chunk);
  return out;
}

const stored = async (table: 'snapshot' | 'job_rows') =>
  Object.fromEntries(
    (
      await wh.query(
        `select key, row_json, md5(row_json) as md5, row_hash from klaviyo_runner.${table} order by key`,
      )
    ).map((r) => [String(r.key), r]),
  );

describe("a model row's JSON in the state", () => {
  it("is the warehouse's text, the one its hash was computed from", async () => {
    const [first, second] = await changes();
    expect(first!.row).toMatchObject({ note: 'record\u001eseparator, quote " and 😀', amount: 1.5 });
    await recordJob(state, profiles, 'run-1', 'JOB1', 'profiles', [
      { key: first!.key, hash: first!.hash!, row: first!.row, rowText: first!.rowText },
    ]);
    await confirmRows(state, profiles, 'run-1', [
      {
        key: first!.key,
        hash: first!.hash!,
        row: first!.row,
        rowText: first!.rowText,
        profileId: null,
        isNew: true,
      },
      // A row set aside (an erased person's) stores no values, whatever text it was parsed from.
      {
        key: second!.key,
        hash: second!.hash!,
        row: null,
        rowText: second!.rowText,
        profileId: null,
        isNew: true,
      },
    ]);
    const snapshot = await stored('snapshot');
    for (const row of [snapshot['1']!, (await stored('job_rows'))['1']!]) {
      expect(row.md5).toBe(row.row_hash);
      // The warehouse's own text: a JavaScript round trip would give 9007199254740992.
      expect(row.row_json).toContain('"big":9007199254740993');
    }
    expect(snapshot['2']!.row_json).toBeNull();
    // Read back, the job's row is that text again.
    const [resumed] = await jobRows(state, 'JOB1');
    expect(resumed!.row).toEqual(first!.row);
  });

  it('is serialised when a row did not come from the warehouse, or is not the row the text was read into', async () => {
    const [first] = await changes();
    await confirmRows(state, profiles, 'run-1', [
      { key: '9', hash: 'h', row: { id: '9', note: 'made here' }, profileId: null, isNew: true },
      // Another row beside the first row's text: the text is not this row's.
      { key: '8', hash: 'h', row: { id: '8' }, rowText: first!.rowText, profileId: null, isNew: true },
    ]);
    const snapshot = await stored('snapshot');
    expect(snapshot['9']!.row_json).toBe('{"id":"9","note":"made here"}');
    expect(snapshot['8']!.row_json).toBe('{"id":"8"}');
  });
});

describe("a row's JSON text that JSON cannot read", () => {
  it('reads the NaN and infinities DuckDB writes for a DOUBLE as those numbers', async () => {
    await wh.execute(`create table readings (id varchar, email varchar, level double)`);
    await wh.execute(
      `insert into readings values ('1', 'a@x.com', 'nan'), ('2', 'b@x.com', 'inf'), ('3', 'c@x.com', '-inf'), ('4', 'd@x.com', 2.5)`,
    );
    const readings = spec({ object: 'profile', properties: ['level'] }, 'readings');
    readings.model.relationName = 'main.readings';
    const rows: StreamedChange[] = [];
    for await (const chunk of streamChanges(state, readings)) rows.push(...chunk);
    const levels = Object.fromEntries(rows.map((r) => [r.key, r.row?.level]));
    expect(levels).toEqual({ '1': NaN, '2': Infinity, '3': -Infinity, '4': 2.5 });
    // The text kept is DuckDB's own, whose hash the diff computed.
    expect(rows.find((r) => r.key === '1')!.rowText!.json).toContain('"level":NaN');
  });

  it('leaves strings alone, nested values included, and still refuses text that is not a row', () => {
    expect(
      parseRowJson(
        '{"a":NaN,"b":"NaN","c":"say \\"Infinity\\"","d":[-Infinity,1,{"e":Infinity}],"f":"\\\\"}',
      ),
    ).toEqual({ a: NaN, b: 'NaN', c: 'say "Infinity"', d: [-Infinity, 1, { e: Infinity }], f: '\\' });
    expect(() => parseRowJson('{"a":NaN,')).toThrow(SyntaxError);
    expect(() => parseRowJson('{"a":nan}')).toThrow(SyntaxError);
    // A string that holds the marker the second read uses is not taken for a number.
    expect(() => parseRowJson('{"a":NaN,"b":"\\u0000klaviyo-runner:NaN"}')).toThrow(SyntaxError);
  });
});
