/**
 * The diff read back: one statement per sync (diff-sql.ts, `diffStatement`) whose first rows are
 * the counts and whose other rows are the changed rows, one JSON text each. `plan` and `sync`
 * open it once, read the counts (the mass-removal guard and the progress bar need them before
 * anything is sent), then stream the rows; unchanged rows never leave the warehouse.
 */
import { WarehouseError } from '../errors.ts';
import type { SyncSpec } from '../manifest/spec.ts';
import type { Row } from '../source/warehouse.ts';
import type { ChangeKind, DiffCounts, RowChange } from './changes.ts';
import {
  diffSql,
  diffStatement,
  EXTRA_COUNTS,
  KEPT_KINDS,
  scopeCondition,
  type DiffKind,
  type DiffMode,
} from './diff-sql.ts';
import { parseRow, type RowText } from './row-json.ts';
import type { State } from './schema.ts';

export { diffSql, type DiffKind, type DiffMode } from './diff-sql.ts';

export interface PlanCounts extends DiffCounts {
  changedEvents: number;
  previouslyRejected: number;
  /** Rows whose key column is NULL: rejected, never counted as removals. */
  nullKeys: number;
  /** Held-back rows sent again by --retry-rejected (or --full-refresh). */
  retried: number;
  /** Unchanged rows sent again by --full-refresh. */
  resent: number;
  /** Rows of this sync the snapshot holds: what Klaviyo last confirmed, the base of the mass-removal guard. */
  synced: number;
}

const num = (rows: Row[]) => Number(rows[0]?.n ?? 0);

/**
 * Of a sync's rows waiting for its `after` sync, how many that sync is about to confirm in the same
 * run: keys it creates or updates now (by its own diff), less `rejectedKeys`, the keys its plan
 * rejects. The others keep waiting (held back there, or not in its model), so they cost no request.
 */
export async function waitingToSend(
  state: State,
  spec: SyncSpec,
  upstream: SyncSpec,
  rejectedKeys: string[],
): Promise<number> {
  const d = state.wh.dialect;
  const key = `cast(m.${d.column(spec.config.key)} as varchar)`;
  const inScope = scopeCondition(spec, state, 'm');
  const conditions = [
    `not exists (select 1 from ${state.table('snapshot')} as a where a.sync = ${d.literal(upstream.name)} and a.key = ${key})`,
    inScope === null ? null : `not ${inScope}`,
    `${key} in (select key from (${diffSql(state, upstream).sql}) as u where u.kind in ('create', 'update'))`,
    rejectedKeys.length === 0 ? null : `${key} not in (${rejectedKeys.map((k) => d.literal(k)).join(', ')})`,
  ].filter((c): c is string => c !== null);
  return num(
    await state.wh.query(
      `select count(*) as n from ${spec.model.relationName} as m where ${conditions.join(' and ')}`,
    ),
  );
}

export interface StreamedChange extends RowChange {
  diffKind: DiffKind;
}

/** One changed row as the statement writes it (diff-sql.ts, `diffStatement`), its model row parsed. */
interface ChangeText {
  row: Row | null;
  rowText?: RowText;
  prev: Row | null;
  m: {
    kind: DiffKind;
    change: ChangeKind;
    key: string | null;
    hash: string | null;
    pid: string | null;
    ew: string | null;
    sw: string | null;
    lu: number | string | null;
  };
}

interface CountText {
  count: string;
  n: number | string;
  keys: number | string;
}

/** Between a changed row's other fields and its model row's JSON text (diff-sql.ts). */
const ROW_SEPARATOR = '\u001e';

/**
 * One line of the statement: `<n> <json>`, n the rows it stands for; a changed row's line ends
 * with its model row's text after ROW_SEPARATOR, parsed on its own so the text is kept (row-json.ts).
 */
function parseLine(text: unknown): { n: number; value: CountText | ChangeText } {
  const line = String(text);
  const space = line.indexOf(' ');
  const n = Number(line.slice(0, space));
  const separator = line.indexOf(ROW_SEPARATOR, space);
  if (separator === -1) return { n, value: JSON.parse(line.slice(space + 1)) as CountText };
  const value = JSON.parse(line.slice(space + 1, separator)) as ChangeText;
  const parsed = parseRow(line.slice(separator + 1));
  value.row = parsed.row;
  value.rowText = parsed.text;
  return { n, value };
}

function withdrawals(m: ChangeText['m']): Partial<Record<'email' | 'sms', string>> {
  const out: Partial<Record<'email' | 'sms', string>> = {};
  if (m.ew !== null) out.email = String(m.ew);
  if (m.sw !== null) out.sms = String(m.sw);
  return out;
}

function toChange({ row, rowText, prev, m }: ChangeText): StreamedChange {
  return {
    diffKind: m.kind,
    kind: m.change,
    // A NULL key has no text to stand for it; the rejection names the row by its identity instead.
    key: m.key === null ? '' : String(m.key),
    hash: m.hash,
    row,
    rowText,
    previous: prev,
    profileId: m.pid === null ? null : String(m.pid),
    withdrawnAt: withdrawals(m),
    leftUnsubscribed: Number(m.lu) === 1,
  };
}

function countsOf(by: Map<string, CountText>): PlanCounts {
  const n = (kind: string) => Number(by.get(kind)?.n ?? 0);
  return {
    create: n('create'),
    update: n('update'),
    unchanged: n('unchanged'),
    remove: n('remove'),
    duplicateKeys: Number(by.get('duplicate')?.keys ?? 0),
    changedEvents: n('changed_event'),
    previouslyRejected: n('rejected'),
    nullKeys: n('null_key'),
    retried: n('retry'),
    resent: n('resend'),
    synced: n('synced'),
    skippedByScope: n('out_of_scope'),
    waitingOnAfter: n('waiting'),
  };
}

/** The diff of one sync, opened: its counts, and its changed rows to stream once. */
export interface OpenDiff {
  counts: PlanCounts;
  /** The rows that need work (or a report), by kind and key; each key of a duplicate once. */
  changes: AsyncIterable<StreamedChange[]>;
  /** Stops reading when the rows are not wanted after all (a guard stopped the sync). */
  close(): Promise<void>;
}

const STREAMED = (kind: string) =>
  !(KEPT_KINDS as readonly string[]).includes(kind) && !(EXTRA_COUNTS as readonly string[]).includes(kind);

/**
 * Runs the sync's diff once and reads its counts; the changed rows follow through `changes`.
 * Every row the counts announce must arrive: a stream that ends short (a driver can end a result
 * early when the warehouse fails mid-way) is an error, never a shorter sync.
 */
export async function openDiff(
  state: State,
  spec: SyncSpec,
  mode: DiffMode = {},
  chunkSize = 5000,
): Promise<OpenDiff> {
  const rows = state.wh.stream(diffStatement(state, spec, mode, true), [], chunkSize);
  const stream = rows[Symbol.asyncIterator]();
  const by = new Map<string, CountText>();
  let pending: { n: number; value: ChangeText }[] = [];
  // The counts come first: read them, keeping the rows after them for the stream below.
  for (;;) {
    const next = await stream.next();
    if (next.done === true) break;
    const parsed = next.value.map((r) => parseLine(r.j));
    const first = parsed.findIndex((p) => !('count' in p.value));
    for (const p of first === -1 ? parsed : parsed.slice(0, first)) {
      const c = p.value as CountText;
      by.set(c.count, c);
    }
    if (first !== -1) {
      pending = parsed.slice(first) as { n: number; value: ChangeText }[];
      break;
    }
  }
  const counts = countsOf(by);
  const expected = [...by.values()].filter((c) => STREAMED(c.count)).reduce((a, c) => a + Number(c.n), 0);
  async function* changes(): AsyncGenerator<StreamedChange[]> {
    const seenDuplicates = new Set<string>();
    let received = 0;
    const convert = (lines: { n: number; value: ChangeText }[]) => {
      const out: StreamedChange[] = [];
      for (const { n, value } of lines) {
        received += n;
        const change = toChange(value);
        if (change.diffKind === 'duplicate') {
          if (seenDuplicates.has(change.key)) continue;
          seenDuplicates.add(change.key);
        }
        // Identical rows are one line; each is its own change (a duplicate key is reported once).
        for (let i = change.diffKind === 'duplicate' ? n - 1 : 0; i < n; i++) out.push(change);
      }
      return out;
    };
    const first = convert(pending);
    pending = [];
    if (first.length > 0) yield first;
    for (;;) {
      const next = await stream.next();
      if (next.done === true) break;
      const out = convert(next.value.map((r) => parseLine(r.j) as { n: number; value: ChangeText }));
      if (out.length > 0) yield out;
    }
    if (received !== expected)
      throw new WarehouseError(
        `The diff of sync ${spec.name} (model ${spec.model.name}) ended after ${received} of its ${expected} changed rows: the warehouse stopped the result early (with DuckDB, most often for lack of memory: raise KLAVIYO_RUNNER_DUCKDB_MEMORY_LIMIT). Nothing past that row was read or sent; run again.`,
      );
  }
  return {
    counts,
    changes: changes(),
    close: async () => {
      await stream.return?.();
    },
  };
}

/** The counts alone, from the same statement without its rows. */
export async function diffCounts(state: State, spec: SyncSpec, mode: DiffMode = {}): Promise<PlanCounts> {
  const rows = await state.wh.query(diffStatement(state, spec, mode, false));
  return countsOf(new Map(rows.map((r) => parseLine(r.j).value as CountText).map((c) => [c.count, c])));
}

/** Streams the rows that need work (or a report): everything but `unchanged` and `rejected`. */
export async function* streamChanges(
  state: State,
  spec: SyncSpec,
  mode: DiffMode = {},
  chunkSize = 5000,
): AsyncIterable<StreamedChange[]> {
  yield* (await openDiff(state, spec, mode, chunkSize)).changes;
}
