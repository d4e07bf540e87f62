/**
 * One changed row as one text: what the diff's statements write for each row that needs work
 * (diff-statements.ts) and what `openDiff` reads back (diff.ts), so the warehouse hands over one
 * string per row, which a driver reads far faster than a row of columns.
 *
 * The text is eight fields in a fixed order, separated by unit separators (U+001F), then the
 * snapshot's row and the model row as JSON texts, each after a record separator (U+001E):
 *
 *   kind ␟ change ␟ hash ␟ left_unsubscribed ␟ email_withdrawn_at ␟ sms_withdrawn_at ␟ {"p":profile id} ␟ {"k":key} ␞ snapshot row ␞ model row
 *
 * Why not one JSON object per row, as before: parsing the fields' object was about a third of the
 * time the runner spent reading a row, and every row needs only its model row parsed. The first
 * six fields are words, an md5 hex digest, a digit and timestamps, which never hold a separator.
 * The profile id and the key can be any text, so each is written as a one-member JSON object,
 * whose text never holds a control character unescaped (RFC 8259, section 7); so are the two row
 * texts. A NULL in one of the first six fields is the empty text.
 *
 * The model row's text is kept as the warehouse wrote it, for the state to store (row-json.ts).
 */
import { WarehouseError } from '../errors.ts';
import type { ChangeKind, RowChange } from './changes.ts';
import type { DiffKind } from './diff-sql.ts';
import { parseRow, parseRowJson } from './row-json.ts';
import type { State } from './schema.ts';

const UNIT = '\u001f';
const RECORD = '\u001e';

/**
 * The SQL expression of a changed row's text over the diff's columns (diff-sql.ts); `prev` is the
 * expression of the snapshot's row text.
 */
export function changeLineSql(state: State, prev: string): string {
  const d = state.wh.dialect;
  const unit = `|| chr(31) ||`;
  const text = (column: string) => `coalesce(cast(${column} as varchar), '')`;
  return [
    text('kind'),
    text('change_kind'),
    text('hash'),
    text('left_unsubscribed'),
    text('email_withdrawn_at'),
    text('sms_withdrawn_at'),
    d.jsonObject([['p', 'profile_id']]),
    `${d.jsonObject([['k', 'key']])} || chr(30) || coalesce(${prev}, 'null') || chr(30) || coalesce(row_json, 'null')`,
  ].join(` ${unit} `);
}

/** A changed row as the diff reads it back: the row's change, and its kind in the diff (diff-sql.ts). */
export interface StreamedChange extends RowChange {
  diffKind: DiffKind;
}

/** The one member's value of a one-member JSON object's text, without parsing the common cases. */
function memberOf(text: string, name: 'k' | 'p'): string | null {
  const plain = `{"${name}":"`;
  if (text.startsWith(plain) && text.endsWith('"}') && !text.includes('\\'))
    return text.slice(plain.length, -2);
  if (text === `{"${name}":null}`) return null;
  const value = (JSON.parse(text) as Record<string, unknown>)[name];
  return value === null || value === undefined ? null : String(value);
}

/** Where the field after the one at `from` begins; the line is broken if none comes before `end`. */
function nextField(line: string, from: number, end: number, n: number): number {
  const at = line.indexOf(UNIT, from);
  if (at === -1 || at > end)
    throw new WarehouseError(`A diff row's text has ${n} fields where 8 are written: ${line.slice(0, 200)}`);
  return at + 1;
}

const orNull = (text: string) => (text === '' ? null : text);

/** Reads one changed row's text (`changeLineSql`). */
export function parseChangeLine(line: string): StreamedChange {
  try {
    return readLine(line);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw new WarehouseError(
      `A diff row's text holds JSON that does not parse (${error.message}): ${line.slice(0, 200)}`,
    );
  }
}

function readLine(line: string): StreamedChange {
  const rowAt = line.lastIndexOf(RECORD);
  const prevAt = rowAt <= 0 ? -1 : line.lastIndexOf(RECORD, rowAt - 1);
  if (prevAt === -1) throw new WarehouseError(`A diff row's text has no model row: ${line.slice(0, 200)}`);
  // Each field ends one before the next begins (nextField), the key one before the snapshot's row.
  const change = nextField(line, 0, prevAt, 1);
  const hash = nextField(line, change, prevAt, 2);
  const lu = nextField(line, hash, prevAt, 3);
  const ew = nextField(line, lu, prevAt, 4);
  const sw = nextField(line, ew, prevAt, 5);
  const pid = nextField(line, sw, prevAt, 6);
  const key = nextField(line, pid, prevAt, 7);
  const email = orNull(line.slice(ew, sw - 1));
  const sms = orNull(line.slice(sw, pid - 1));
  const prevText = line.slice(prevAt + 1, rowAt);
  const parsed = parseRow(line.slice(rowAt + 1));
  return {
    diffKind: line.slice(0, change - 1) as DiffKind,
    kind: line.slice(change, hash - 1) as ChangeKind,
    // A NULL key has no text to stand for it; the rejection names the row by its identity instead.
    key: memberOf(line.slice(key, prevAt), 'k') ?? '',
    hash: orNull(line.slice(hash, lu - 1)),
    row: parsed.row,
    rowText: parsed.text,
    previous: prevText === 'null' ? null : parseRowJson(prevText),
    profileId: memberOf(line.slice(pid, key - 1), 'p'),
    // Most rows withdrew nothing: no object for them.
    withdrawnAt:
      email === null && sms === null
        ? undefined
        : { ...(email === null ? {} : { email }), ...(sms === null ? {} : { sms }) },
    leftUnsubscribed: line.slice(lu, ew - 1) === '1',
  };
}

/** Whether a line of `oneStatement` (diff-statements.ts) is a changed row rather than a count, which is a JSON object. */
export function isChangeLine(text: string): boolean {
  return !text.startsWith('{');
}
