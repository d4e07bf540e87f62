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

const DDL: Record<StateTable, string> = {
  snapshot:
    'sync varchar not null, key varchar not null, row_hash varchar not null, row_json varchar, klaviyo_profile_id varchar, confirmed_at timestamp not null, run_id varchar not null',
  runs: 'run_id varchar not null, command varchar not null, started_at timestamp not null, finished_at timestamp, status varchar not null, summary_json varchar',
  jobs: 'run_id varchar not null, sync varchar not null, job_id varchar not null, kind varchar not null, submitted_at timestamp not null, status varchar not null, finished_at timestamp',
  job_rows:
    'job_id varchar not null, sync varchar not null, key varchar not null, row_hash varchar not null, row_json varchar',
  rejected:
    'sync varchar not null, key varchar not null, row_hash varchar, column_name varchar, reason varchar not null, source varchar not null, run_id varchar not null, rejected_at timestamp not null',
  locks:
    'sync varchar not null, run_id varchar not null, holder varchar, acquired_at timestamp not null, heartbeat_at timestamp not null',
  syncs: 'sync varchar not null, first_load_done_at timestamp',
  withdrawals:
    'sync varchar not null, key varchar not null, channel varchar not null, withdrawn_at timestamp not null, run_id varchar not null',
  stage:
    'batch_id varchar not null, key varchar not null, row_hash varchar, row_json varchar, klaviyo_profile_id varchar',
};

export async function ensureStateSchema(state: State): Promise<void> {
  const { wh } = state;
  await wh.execute(`create schema if not exists ${wh.dialect.ident(state.schema)}`);
  for (const [name, columns] of Object.entries(DDL)) {
    await wh.execute(`create table if not exists ${state.table(name as StateTable)} (${columns})`);
  }
}

/** Whether the state schema exists yet (planning must not create it). */
export async function stateExists(state: State): Promise<boolean> {
  const rows = await state.wh.query(
    `select count(*) as n from information_schema.tables where lower(table_schema) = lower(${state.wh.dialect.literal(state.schema)}) and lower(table_name) = 'snapshot'`,
  );
  return Number(rows[0]?.n ?? 0) > 0;
}
