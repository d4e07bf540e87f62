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
 *   configs    per sync, the `config.meta.klaviyo` block the snapshot was confirmed under, so a
 *              plan can explain what an exposure change does before it ships
 *   stage      scratch rows for bulk upserts
 */
import type { Warehouse } from '../source/warehouse.ts';

export type StateTable =
  'snapshot' | 'runs' | 'jobs' | 'job_rows' | 'rejected' | 'locks' | 'syncs' | 'configs' | 'stage';

export interface State {
  wh: Warehouse;
  schema: string;
  table(name: StateTable): string;
}

/**
 * The state in `schema`, in the connection's database, or in `database` when the snapshot lives in
 * another one (production's state read from a pull request's CI database).
 */
export function stateOf(wh: Warehouse, schema: string, database: string | null = null): State {
  return { wh, schema, table: (name) => stateTableName(wh, schema, database, name) };
}

function stateTableName(wh: Warehouse, schema: string, database: string | null, name: string): string {
  const d = wh.dialect;
  return database === null
    ? d.stateTable(schema, name)
    : `${d.ident(database)}.${d.ident(schema)}.${d.ident(name)}`;
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
  configs:
    'sync varchar not null, model varchar not null, config_json varchar not null, run_id varchar not null, recorded_at timestamp not null',
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

/** A relation with a state table's columns and no rows, for a table that does not exist yet. */
export function emptyStateTable(name: StateTable): string {
  const columns = DDL[name].split(', ').map((c) => {
    const [column, type] = c.split(' ');
    return `cast(null as ${type}) as ${column}`;
  });
  return `(select ${columns.join(', ')} where 1 = 0)`;
}

/** Errors a warehouse gives for a relation that is not there (or that this role cannot see). */
const MISSING = /does not exist|not authorized|not found|Catalog Error/i;

/**
 * The state for a run that must write nothing (`plan` in a pull request, with a read-only role):
 * tables are probed with a select, never created; one that is missing (a state schema no sync has
 * created yet) reads as empty. `missing` lists them, so the plan can say it planned against an
 * empty snapshot.
 */
export async function readOnlyStateOf(
  wh: Warehouse,
  schema: string,
  database: string | null = null,
): Promise<{ state: State; missing: StateTable[] }> {
  const missing: StateTable[] = [];
  for (const name of Object.keys(DDL) as StateTable[]) {
    try {
      await wh.query(`select 1 as n from ${stateTableName(wh, schema, database, name)} where 1 = 0`);
    } catch (error) {
      if (!MISSING.test(error instanceof Error ? error.message : String(error))) throw error;
      missing.push(name);
    }
  }
  const state: State = {
    wh,
    schema,
    table: (name) =>
      missing.includes(name) ? emptyStateTable(name) : stateTableName(wh, schema, database, name),
  };
  return { state, missing };
}

/**
 * The same state without one sync's snapshot rows: that sync plans as if it started over, while
 * an `after` join still sees what the other syncs confirmed.
 */
export function withoutSnapshotOf(state: State, sync: string): State {
  return {
    ...state,
    table: (name) =>
      name === 'snapshot'
        ? `(select * from ${state.table('snapshot')} where sync <> ${state.wh.dialect.literal(sync)})`
        : state.table(name),
  };
}
