/**
 * Events whose model row changed after Klaviyo stored them, remembered with the hash they were
 * reported under. Klaviyo keeps an event as first stored and drops a resent `unique_id` as a
 * repeat (docs/events.md), so such a row can never be sent; the diff counts it on every run, and
 * reads it out of the warehouse only while this table does not hold its hash (diff-sql.ts,
 * `changed_event_reported`). An order that changes after sending (a refund, a new status) is
 * thus read, built and compared once per change, not on every run for as long as it exists.
 *
 * The snapshot keeps the row as sent: it says what Klaviyo holds.
 */
import type { SyncSpec } from '../manifest/spec.ts';
import { utcTimestampText } from '../source/warehouse.ts';
import { inTransaction, type State } from './schema.ts';

/** A changed event as reported: its key, and the hash of the model row reported. */
export interface ReportedEvent {
  key: string;
  hash: string;
}

/** Remembers events reported as changed after sending; a key keeps only its latest hash. */
export async function recordChangedEvents(
  state: State,
  spec: SyncSpec,
  runId: string,
  events: ReportedEvent[],
): Promise<void> {
  if (events.length === 0) return;
  const d = state.wh.dialect;
  const sync = d.literal(spec.name);
  const now = utcTimestampText(new Date());
  const table = state.table('changed_events');
  await inTransaction(state, async (tx) => {
    for (let i = 0; i < events.length; i += KEYS_PER_DELETE) {
      const keys = events.slice(i, i + KEYS_PER_DELETE).map((e) => d.literal(e.key));
      await tx.wh.execute(`delete from ${table} where sync = ${sync} and key in (${keys.join(', ')})`);
    }
    await tx.wh.insertRows(
      table,
      ['sync', 'key', 'row_hash', 'run_id', 'reported_at'],
      events.map((e) => [spec.name, e.key, e.hash, runId, now]),
    );
  });
}

/** Keys named in one `in (…)` list: a chunk of the diff's rows holds at most 2,048 (state/diff.ts). */
const KEYS_PER_DELETE = 1000;
