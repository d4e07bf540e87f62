/**
 * The diff read back: per sync, its counts (diff-statements.ts, `countsStatement`), then its changed rows,
 * one JSON text each (`rowsStatement`). `plan` and `sync` open it once, read the counts (the
 * mass-removal guard and the progress bar need them before anything is sent), then stream the
 * rows; unchanged rows never leave the warehouse.
 */
import { WarehouseError } from '../errors.ts';
import type { SyncSpec } from '../manifest/spec.ts';
import { modelColumn } from '../source/model-columns.ts';
import { rowKeySql } from '../source/row-key.ts';
import { outOfMemory, withMoreMemory } from '../source/duckdb-budget.ts';
import type { Row } from '../source/warehouse.ts';
import type { DiffCounts } from './changes.ts';
import { diffSql, scopeCondition, type DiffMode } from './diff-sql.ts';
import {
  CHANGED_KEYS_LIMIT,
  countsStatement,
  EXTRA_COUNTS,
  KEPT_KINDS,
  oneStatement,
  rowsStatement,
  type ChangedKeys,
  type PreviousRows,
  type RowOrder,
} from './diff-statements.ts';
import { isChangeLine, parseChangeLine, type StreamedChange } from './change-line.ts';
import type { State } from './schema.ts';

export { diffSql, type DiffKind, type DiffMode } from './diff-sql.ts';
export type { StreamedChange } from './change-line.ts';

export interface PlanCounts extends DiffCounts {
  /** Events changed after sending, those reported by an earlier run (`changedEventsReported`) included. */
  changedEvents: number;
  /** Of them, reported by an earlier run under the same hash: counted, never streamed (diff-sql.ts). */
  changedEventsReported: number;
  previouslyRejected: number;
  /** Rows whose key column is NULL or blank: rejected, never counted as removals. */
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
  const key = rowKeySql(`m.${modelColumn(spec, d, spec.config.key)}`);
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

/**
 * Whether the rows of a sync waiting for its `after` sync can never be sent: that sync has
 * confirmed rows, and not one of them has the key of a row of this model. Rows wait for their own
 * key only (diff-sql.ts), so keys of two kinds (an order's id, a customer's) never meet, and the
 * rows wait on every run. Returns how many rows that sync has confirmed, or null when some key
 * meets (or it has confirmed none yet: its first run has not happened, and every row waits for it).
 */
export async function afterNeverMet(state: State, spec: SyncSpec): Promise<number | null> {
  const after = spec.config.after;
  if (after === undefined) return null;
  const d = state.wh.dialect;
  const key = rowKeySql(`m.${modelColumn(spec, d, spec.config.key)}`);
  const [row] = await state.wh.query(
    `select
      (select count(*) from ${state.table('snapshot')} where sync = ${d.literal(after)}) as confirmed,
      (select count(*) from (
        select 1 as one from ${spec.model.relationName} as m
        inner join ${state.table('snapshot')} as a on a.sync = ${d.literal(after)} and a.key = ${key}
        limit 1) as met) as met`,
  );
  const confirmed = Number(row?.confirmed ?? 0);
  return confirmed > 0 && Number(row?.met ?? 0) === 0 ? confirmed : null;
}

/** What `sync` and `plan` say of rows that wait for an `after` sync they never meet (`afterNeverMet`). */
export function afterNeverMetMessage(spec: SyncSpec, waiting: number, confirmed: number): string {
  const after = spec.config.after!;
  return `${spec.name}: ${waiting} row${waiting === 1 ? '' : 's'} of model \`${spec.model.name}\` wait for \`${after}\`, which has confirmed ${confirmed} row${confirmed === 1 ? '' : 's'} in Klaviyo, none with a key of this model: they wait on every run. \`after\` holds a row back until \`${after}\` confirmed the same key, so the two syncs' \`key\` columns must hold the same values (one person's id in both, not an order's id and a customer's).`;
}

interface CountText {
  count: string;
  n: number | string;
  keys: number | string;
  /** Every key of the kind's rows, or null when they are more than listed (diff-statements.ts, `countsStatement`). */
  changed?: string[] | null;
}

function countsOf(by: Map<string, CountText>): PlanCounts {
  const n = (kind: string) => Number(by.get(kind)?.n ?? 0);
  return {
    create: n('create'),
    update: n('update'),
    unchanged: n('unchanged'),
    remove: n('remove'),
    duplicateKeys: Number(by.get('duplicate')?.keys ?? 0),
    changedEvents: n('changed_event') + n('changed_event_reported'),
    changedEventsReported: n('changed_event_reported'),
    previouslyRejected: n('rejected'),
    nullKeys: n('null_key'),
    retried: n('retry'),
    resent: n('resend'),
    synced: n('synced'),
    skippedByScope: n('out_of_scope'),
    waitingOnAfter: n('waiting'),
  };
}

/**
 * Changed rows per read: DuckDB's vector size, the rows it computes at a time
 * (https://duckdb.org/docs/stable/clients/c/data_chunk). Every row read and not yet shaped is
 * alive when V8 collects its young objects, and each collection copies what is alive: reads of
 * 5,000 rows made a first plan of 1,000,000 rows 1 to 2 s slower and 30 MB larger than of 2,048.
 */
export const ROWS_PER_READ = 2048;

/** The diff of one sync, opened: its counts, and its changed rows to stream once. */
export interface OpenDiff {
  counts: PlanCounts;
  /** The rows that need work (or a report), in no order; each key of a duplicate once. */
  changes: AsyncIterable<StreamedChange[]>;
  /** Stops reading when the rows are not wanted after all (a guard stopped the sync). */
  close(): Promise<void>;
}

const STREAMED = (kind: string) =>
  !(KEPT_KINDS as readonly string[]).includes(kind) && !(EXTRA_COUNTS as readonly string[]).includes(kind);

async function readCounts(
  state: State,
  spec: SyncSpec,
  mode: DiffMode,
  changedKeys?: number,
): Promise<Map<string, CountText>> {
  const rows = await state.wh.query(countsStatement(state, spec, mode, changedKeys));
  return new Map(rows.map((r) => JSON.parse(String(r.j)) as CountText).map((c) => [c.count, c]));
}

/** A changed row's text, and how many identical model rows it stands for. */
interface Line {
  n: number;
  text: string;
}

/** A diff opened: its counts, the rows already read with them, and the rest to read. */
interface Opened {
  by: Map<string, CountText>;
  first: Line[];
  rest: AsyncIterator<Row[]> | undefined;
  line: (row: Row) => Line;
  /** Gives the warehouse back what the rest's read was given (`Warehouse.smallReads`); once is enough. */
  done?: () => Promise<void>;
}

const announcedOf = (by: Map<string, CountText>) =>
  new Map([...by.values()].filter((c) => STREAMED(c.count)).map((c) => [c.count, Number(c.n)]));

/**
 * The keys of every row that needs work, when each kind listed them all; undefined when one kind
 * could not (the counts say so with a NULL list). Rows without a key are read whatever the keys
 * (diff-sql.ts).
 */
function keysOf(by: Map<string, CountText>): ChangedKeys | undefined {
  const keys: string[] = [];
  for (const c of by.values()) {
    if (!STREAMED(c.count) || c.count === 'null_key') continue;
    if (c.changed === undefined || c.changed === null) return undefined;
    keys.push(...c.changed);
  }
  return keys;
}

/**
 * Whether reading the rows by their keys saves work: it spares hashing the rows that need none
 * (unchanged, or rejected before and unchanged since) a second time, and costs the list of keys.
 * A change that is most of the model, such as a first sync where every row is new, spares nothing:
 * read by its 100,000 keys, the sync benchmark's first sync peaked 80 MB higher and cost 3 µs a
 * row more. So the keys are used when the rows they spare are at least twice as many.
 */
function worthReadingByKeys(keys: ChangedKeys, by: Map<string, CountText>): boolean {
  const spared = KEPT_KINDS.reduce((sum, kind) => sum + Number(by.get(kind)?.n ?? 0), 0);
  return keys.length * 2 <= spared;
}

/**
 * DuckDB: the counts, then the rows by a second statement (diff-statements.ts, `rowsStatement`);
 * a small change's rows by their keys alone.
 */
async function twoStatements(
  state: State,
  spec: SyncSpec,
  mode: DiffMode,
  chunkSize: number,
  order: RowOrder,
  changedKeys: number,
): Promise<Opened> {
  const by = await withMoreMemory(state.wh, () => readCounts(state, spec, mode, changedKeys));
  const synced = Number(by.get('synced')?.n ?? 0);
  const expected = [...announcedOf(by).values()].reduce((a, n) => a + n, 0);
  const listed = changedKeys > 0 ? keysOf(by) : undefined;
  const keys = listed !== undefined && worthReadingByKeys(listed, by) ? listed : undefined;
  // Read by their keys, the diff's snapshot side holds only those keys' rows, so their values ride
  // through its join; else they are joined by changed key when fewer than the snapshot's (diff-statements.ts).
  const previous: PreviousRows =
    synced === 0 ? 'none' : keys !== undefined ? 'carried' : expected < synced ? 'changed keys' : 'carried';
  const line = (r: Row): Line => ({ n: 1, text: String(r.j) });
  if (expected === 0) return { by, first: [], rest: undefined, line };
  const statement = rowsStatement(state, spec, mode, order, previous, keys);
  const read = () => state.wh.stream(statement, [], chunkSize)[Symbol.asyncIterator]();
  // Read by their keys, the rows need little memory where the counts needed much: on a plan's
  // read-only DuckDB they are read under a small budget (Warehouse.smallReads), so DuckDB lets go
  // of the blocks the counts cached rather than adding the snapshot's row texts to them. DuckDB
  // builds the statement's joins before its first rows: rows too wide for that budget fail there,
  // and are read again under the run's.
  const restore = keys === undefined ? undefined : await state.wh.smallReads?.();
  if (restore === undefined) return { by, first: [], rest: read(), line };
  const rest = read();
  try {
    const head = await rest.next();
    if (head.done === true) {
      await restore();
      return { by, first: [], rest: undefined, line };
    }
    return { by, first: head.value.map(line), rest, line, done: once(restore) };
  } catch (error) {
    await restore();
    if (!outOfMemory(error)) throw error;
    return { by, first: [], rest: read(), line };
  }
}

/** `work` the first time it is called; the same promise after. */
function once(work: () => Promise<void>): () => Promise<void> {
  let ran: Promise<void> | undefined;
  return () => (ran ??= work());
}

/** `<n> <text>`, as `oneStatement` writes each line. */
function countedLine(row: Row): Line {
  const line = String(row.j);
  const space = line.indexOf(' ');
  return { n: Number(line.slice(0, space)), text: line.slice(space + 1) };
}

/** Snowflake: counts and rows from one statement (diff-statements.ts, `oneStatement`), counts first. */
async function oneRead(state: State, spec: SyncSpec, mode: DiffMode, chunkSize: number): Promise<Opened> {
  const rest = state.wh.stream(oneStatement(state, spec, mode), [], chunkSize)[Symbol.asyncIterator]();
  const by = new Map<string, CountText>();
  for (;;) {
    const next = await rest.next();
    if (next.done === true) return { by, first: [], rest: undefined, line: countedLine };
    const lines = next.value.map(countedLine);
    const firstRow = lines.findIndex((l) => isChangeLine(l.text));
    for (const l of firstRow === -1 ? lines : lines.slice(0, firstRow)) {
      const c = JSON.parse(l.text) as CountText;
      by.set(c.count, c);
    }
    if (firstRow !== -1) return { by, first: lines.slice(firstRow), rest, line: countedLine };
  }
}

/**
 * Reads the sync's diff counts, then opens its changed rows through `changes`. Every row the
 * counts announce must arrive, and no more: a stream that ends short (a driver can end a result
 * early when the warehouse fails mid-way) is an error, never a shorter sync; and on DuckDB the
 * rows are read by a second statement, so a model rebuilt in between could bring more of a kind
 * than the mass-removal guard was shown. The stream stops at the first row past its kind's count,
 * before that row reaches a batch. When no kind that needs work has more than `changedKeys` rows,
 * the second statement reads those rows by their keys (diff-statements.ts, `ChangedKeys`): a row
 * of another key that appears in between is left for the next run. On Snowflake one statement
 * gives both, by kind and key (diff-statements.ts, `oneStatement`), and neither `order` nor
 * `changedKeys` changes anything.
 */
export async function openDiff(
  state: State,
  spec: SyncSpec,
  mode: DiffMode = {},
  chunkSize = ROWS_PER_READ,
  order: RowOrder = 'none',
  changedKeys = CHANGED_KEYS_LIMIT,
): Promise<OpenDiff> {
  const opened =
    state.wh.kind === 'snowflake'
      ? await oneRead(state, spec, mode, chunkSize)
      : await twoStatements(state, spec, mode, chunkSize, order, changedKeys);
  const { rest, line } = opened;
  const counts = countsOf(opened.by);
  const announced = announcedOf(opened.by);
  const expected = [...announced.values()].reduce((a, n) => a + n, 0);
  const where = `The diff of sync ${spec.name} (model ${spec.model.name})`;
  const seenDuplicates = new Set<string>();
  const received = new Map<string, number>();
  let total = 0;
  const convert = (lines: Line[]): StreamedChange[] => {
    const out: StreamedChange[] = [];
    for (const { n, text } of lines) {
      const change = parseChangeLine(text);
      const seen = (received.get(change.diffKind) ?? 0) + n;
      if (seen > (announced.get(change.diffKind) ?? 0))
        throw new WarehouseError(
          `${where} brought more ${change.diffKind} rows than its counts announced (${announced.get(change.diffKind) ?? 0}): the model or the state changed while the run read them (a dbt build at the same time?). Nothing past that row was sent; run again.`,
        );
      received.set(change.diffKind, seen);
      total += n;
      // A duplicate key is reported once, whichever of its rows comes first.
      if (change.diffKind === 'duplicate') {
        if (seenDuplicates.has(change.key)) continue;
        seenDuplicates.add(change.key);
        out.push(change);
        continue;
      }
      // Identical rows read as one line are each a change of their own.
      for (let i = 0; i < n; i++) out.push(change);
    }
    return out;
  };
  async function* changes(): AsyncGenerator<StreamedChange[]> {
    try {
      const first = convert(opened.first);
      opened.first = [];
      if (first.length > 0) yield first;
      if (rest !== undefined)
        for (;;) {
          const next = await rest.next();
          if (next.done === true) break;
          const out = convert(next.value.map(line));
          if (out.length > 0) yield out;
        }
    } finally {
      await opened.done?.();
    }
    if (total !== expected)
      throw new WarehouseError(
        `${where} ended after ${total} of its ${expected} changed rows: the warehouse stopped the result early (with DuckDB, most often for lack of memory: raise KLAVIYO_RUNNER_DUCKDB_MEMORY_LIMIT). Nothing past that row was read or sent; run again.`,
      );
  }
  return {
    counts,
    changes: changes(),
    close: async () => {
      await rest?.return?.();
      await opened.done?.();
    },
  };
}

/** The counts alone, from `countsStatement` on every warehouse: no row is read. */
export async function diffCounts(state: State, spec: SyncSpec, mode: DiffMode = {}): Promise<PlanCounts> {
  return countsOf(await readCounts(state, spec, mode));
}

/** Streams the rows that need work (or a report): everything but `unchanged` and `rejected`. */
export async function* streamChanges(
  state: State,
  spec: SyncSpec,
  mode: DiffMode = {},
  chunkSize = ROWS_PER_READ,
  order: RowOrder = 'none',
): AsyncIterable<StreamedChange[]> {
  yield* (await openDiff(state, spec, mode, chunkSize, order)).changes;
}
