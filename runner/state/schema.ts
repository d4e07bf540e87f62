/**
 * The runner's state, kept in the warehouse beside the data (docs/architecture.md#where-state-lives), created
 * on first use. Every table is keyed by sync (the exposure name), so syncs never share rows.
 *
 *   snapshot   what Klaviyo last confirmed per row: key, row hash, the row's synced values (for
 *              field-level diffs and clearing properties), the Klaviyo profile id when known
 *   runs       one row per runner invocation, with its status and counts
 *   jobs       profile import jobs as soon as Klaviyo accepts them, so a crashed run resumes them
 *   job_rows   the rows of each job (key, hash, values), confirmed when the job completes
 *   rejected   rows refused (by the runner or by Klaviyo) with the reason; not resent until changed
 *   locks      one holder per sync, so two runs never send the same sync at once
 *   syncs      per sync, when its first full load finished (until then events go as backfill)
 *   withdrawals  per sync, key and channel, when the runner sent Klaviyo a withdrawal of consent;
 *              a later subscription needs consent dated after it
 *   stage      scratch rows for bulk upserts
 */
import type { Warehouse } from '../source/warehouse.ts';

export type StateTable =
  'snapshot' | 'runs' | 'jobs' | 'job_rows' | 'rejected' | 'locks' | 'syncs' | 'withdrawals' | 'stage';

export interface State {
  wh: Warehouse;
  schema: string;
  table(name: StateTable): string;
}

export function stateOf(wh: Warehouse, schema: string): State {
  return { wh, schema, table: (name) => wh.dialect.stateTable(schema, name) };
}

const TEXT = 'varchar';
const TIME = 'timestamp';
const REQUIRED = ' not null';

/** Column name → type of each state table; the DDL is written from it by the warehouse's dialect. */
const COLUMNS: Record<StateTable, [string, string][]> = {
  snapshot: [
    ['sync', TEXT + REQUIRED],
    ['key', TEXT + REQUIRED],
    ['row_hash', TEXT + REQUIRED],
    ['row_json', TEXT],
    ['klaviyo_profile_id', TEXT],
    ['confirmed_at', TIME + REQUIRED],
    ['run_id', TEXT + REQUIRED],
  ],
  runs: [
    ['run_id', TEXT + REQUIRED],
    ['command', TEXT + REQUIRED],
    ['started_at', TIME + REQUIRED],
    ['finished_at', TIME],
    ['status', TEXT + REQUIRED],
    ['summary_json', TEXT],
  ],
  jobs: [
    ['run_id', TEXT + REQUIRED],
    ['sync', TEXT + REQUIRED],
    ['job_id', TEXT + REQUIRED],
    ['kind', TEXT + REQUIRED],
    ['submitted_at', TIME + REQUIRED],
    ['status', TEXT + REQUIRED],
    ['finished_at', TIME],
  ],
  job_rows: [
    ['job_id', TEXT + REQUIRED],
    ['sync', TEXT + REQUIRED],
    ['key', TEXT + REQUIRED],
    ['row_hash', TEXT + REQUIRED],
    ['row_json', TEXT],
  ],
  rejected: [
    ['sync', TEXT + REQUIRED],
    ['key', TEXT + REQUIRED],
    ['row_hash', TEXT],
    ['column_name', TEXT],
    ['reason', TEXT + REQUIRED],
    ['source', TEXT + REQUIRED],
    ['run_id', TEXT + REQUIRED],
    ['rejected_at', TIME + REQUIRED],
  ],
  locks: [
    ['sync', TEXT + REQUIRED],
    ['run_id', TEXT + REQUIRED],
    ['holder', TEXT],
    ['acquired_at', TIME + REQUIRED],
    ['heartbeat_at', TIME + REQUIRED],
  ],
  syncs: [
    ['sync', TEXT + REQUIRED],
    ['first_load_done_at', TIME],
  ],
  withdrawals: [
    ['sync', TEXT + REQUIRED],
    ['key', TEXT + REQUIRED],
    ['channel', TEXT + REQUIRED],
    ['withdrawn_at', TIME + REQUIRED],
    ['run_id', TEXT + REQUIRED],
  ],
  stage: [
    ['batch_id', TEXT + REQUIRED],
    ['key', TEXT + REQUIRED],
    ['row_hash', TEXT],
    ['row_json', TEXT],
    ['klaviyo_profile_id', TEXT],
  ],
};

/** `create table if not exists` for a table of the runner's, every name quoted by the dialect. */
export function createTableSql(wh: Warehouse, table: string, columns: [string, string][]): string {
  return `create table if not exists ${table} (${columns.map(([name, type]) => `${wh.dialect.ident(name)} ${type}`).join(', ')})`;
}

export async function ensureStateSchema(state: State): Promise<void> {
  const { wh } = state;
  await wh.execute(`create schema if not exists ${wh.dialect.ident(state.schema)}`);
  for (const [name, columns] of Object.entries(COLUMNS)) {
    await wh.execute(createTableSql(wh, state.table(name as StateTable), columns));
  }
}

/** Whether the state schema exists yet (planning must not create it). */
export async function stateExists(state: State): Promise<boolean> {
  const rows = await state.wh.query(
    `select count(*) as n from information_schema.tables where lower(table_schema) = lower(${state.wh.dialect.literal(state.schema)}) and lower(table_name) = 'snapshot'`,
  );
  return Number(rows[0]?.n ?? 0) > 0;
}
