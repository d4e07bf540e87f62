/**
 * A changed row's text (change-line.ts): whatever a key, a profile id or a value holds, the text
 * DuckDB writes reads back as the same change, and a text that is not one is an error that says so.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spec } from '../../test/fixtures/specs.ts';
import { confirmChanges } from '../../test/helpers/confirm.ts';
import { emptyState } from '../../test/helpers/duckdb.ts';
import { WarehouseError } from '../errors.ts';
import type { Warehouse } from '../source/warehouse.ts';
import { isChangeLine, parseChangeLine } from './change-line.ts';
import { streamChanges, type StreamedChange } from './diff.ts';
import type { State } from './schema.ts';

let wh: Warehouse;
let state: State;
const people = spec({ object: 'profile', properties: ['note'] }, 'people');
people.model.relationName = 'main.people';

/** Keys that hold what the text is cut by, or look like its parts. */
const KEYS = [
  'unit\u001fseparator',
  'record\u001eseparator',
  'quote " and back\\slash',
  '{"k":"not me"}',
  'null',
  '😀 and é',
  ' padded ',
];

beforeEach(async () => {
  ({ wh, state } = await emptyState('change-line'));
  await wh.execute(`create table people (id varchar, email varchar, note varchar)`);
  for (const [i, key] of KEYS.entries())
    await wh.execute(`insert into people values (?, ?, ?)`, [key, `p${i}@x.com`, `note\u001f${i}\u001e`]);
  await wh.execute(`insert into people values (null, 'nokey@x.com', 'a row without a key')`);
  // An empty key is no key either (source/row-key.ts): its line reads back as the NULL key's.
  await wh.execute(`insert into people values ('', 'blank@x.com', 'a row with an empty key')`);
});
afterEach(async () => {
  await wh?.close();
});

async function changes(): Promise<StreamedChange[]> {
  const out: StreamedChange[] = [];
  for await (const chunk of streamChanges(state, people)) out.push(...chunk);
  return out.sort((a, b) => (a.diffKind + a.key < b.diffKind + b.key ? -1 : 1));
}

describe("a changed row's text", () => {
  it('reads back every key, value and kind as the model has them', async () => {
    const read = await changes();
    const created = read.filter((c) => c.diffKind === 'create');
    expect(created.map((c) => c.key).sort()).toEqual([...KEYS].sort());
    for (const c of created) {
      const i = KEYS.indexOf(c.key);
      expect(c).toMatchObject({ kind: 'create', previous: null, profileId: null, leftUnsubscribed: false });
      expect(c.withdrawnAt).toBeUndefined();
      expect(c.hash).toMatch(/^[0-9a-f]{32}$/);
      expect(c.row).toEqual({ id: c.key, email: `p${i}@x.com`, note: `note\u001f${i}\u001e` });
      expect(c.rowText?.row).toBe(c.row);
    }
    const noKey = read.filter((c) => c.diffKind === 'null_key');
    expect(noKey.map((c) => c.row)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: null, email: 'nokey@x.com' }),
        expect.objectContaining({ id: '', email: 'blank@x.com' }),
      ]),
    );
    expect(noKey).toHaveLength(2);
    for (const c of noKey) expect(c.key).toBe('');
  });

  it('carries the snapshot row and the profile id of an update and a removal', async () => {
    const first = (await changes()).filter((c) => c.diffKind === 'create');
    // A profile id is Klaviyo's text; the line must survive any.
    await confirmChanges(state, people, first, (key) => `01ID\u001f\u001e"${key}`);
    await wh.execute(`update people set note = 'changed' where id = ?`, [KEYS[0]]);
    await wh.execute(`delete from people where id = ?`, [KEYS[1]]);
    const second = (await changes()).filter((c) => c.diffKind !== 'null_key');
    expect(second).toHaveLength(2);
    const [update, remove] = [
      second.find((c) => c.kind === 'update'),
      second.find((c) => c.kind === 'remove'),
    ];
    expect(update).toMatchObject({
      key: KEYS[0],
      profileId: `01ID\u001f\u001e"${KEYS[0]}`,
      previous: { id: KEYS[0], note: 'note\u001f0\u001e' },
      row: { id: KEYS[0], note: 'changed' },
    });
    expect(remove).toMatchObject({
      key: KEYS[1],
      hash: null,
      row: null,
      profileId: `01ID\u001f\u001e"${KEYS[1]}`,
      previous: { id: KEYS[1], note: 'note\u001f1\u001e' },
    });
    expect(remove!.rowText).toBeUndefined();
  });

  it('reads withdrawals and a row that left unsubscribed', () => {
    const line = [
      'remove',
      'remove',
      '',
      '1',
      '2026-03-01 12:00:00',
      '',
      '{"p":"01ABC"}',
      '{"k":"k1"}\u001e{"id":"k1"}\u001enull',
    ].join('\u001f');
    expect(parseChangeLine(line)).toMatchObject({
      key: 'k1',
      kind: 'remove',
      hash: null,
      leftUnsubscribed: true,
      withdrawnAt: { email: '2026-03-01 12:00:00' },
      profileId: '01ABC',
      previous: { id: 'k1' },
      row: null,
    });
  });

  it('refuses a text that is not a changed row, naming what is missing', () => {
    expect(() => parseChangeLine('{"count":"create","n":1}')).toThrow(WarehouseError);
    expect(() => parseChangeLine('{"count":"create","n":1}')).toThrow(/no model row/);
    expect(() => parseChangeLine('create\u001fcreate\u001e{"k":"a"}\u001enull')).toThrow(
      /has 2 fields where 8 are written/,
    );
    const badRow = ['create', 'create', '', '0', '', '', '{"p":null}', '{"k":"a"}\u001enull\u001e{"id":'];
    expect(() => parseChangeLine(badRow.join('\u001f'))).toThrow(WarehouseError);
    expect(() => parseChangeLine(badRow.join('\u001f'))).toThrow(/JSON that does not parse/);
    expect(isChangeLine('{"count":"create","n":1,"keys":1}')).toBe(false);
    expect(isChangeLine('create\u001fcreate')).toBe(true);
  });
});
