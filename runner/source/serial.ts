/**
 * One statement at a time on a warehouse session, and a transaction held whole. Syncs of a run go
 * side by side and share the run's session: without this, two of them could send statements on
 * one DuckDB connection at once (which it does not allow), or one sync's statement could land
 * inside another's `begin transaction … commit`. Statements wait in one queue; a transaction takes
 * the queue for its whole length, and its work is handed the session itself, whose statements go
 * straight through (a handle rather than an async context, which would put a hook on every
 * promise of the process). A stream starts, and its first rows arrive, holding the queue,
 * then reads on beside the session's statements (DuckDB on a connection of its own, Snowflake as
 * its own statement): on one Snowflake session the emulator typed a result by a statement started
 * beside it, and a DuckDB diff does its grouping (the heavy part, before its first row) one at a
 * time within the runner's memory cap.
 */
import type { Warehouse } from './warehouse.ts';

/** The unqueued operations an adapter provides; `serialized` adds the queue and `transaction`. */
export type Session = Omit<Warehouse, 'transaction'>;

export function serialized(session: Session): Warehouse {
  let tail: Promise<unknown> = Promise.resolve();

  const queued = <T>(work: () => Promise<T>): Promise<T> => {
    const done = tail.then(work);
    tail = done.catch(() => {});
    return done;
  };
  /** What a transaction's work runs its statements on: the session, past the queue it holds. */
  const inside: Warehouse = {
    ...session,
    transaction: () => Promise.reject(new Error('a transaction cannot begin inside another')),
  };

  return {
    ...session,
    query: (sql, params) => queued(() => session.query(sql, params)),
    execute: (sql, params) => queued(() => session.execute(sql, params)),
    insertRows: (table, columns, rows) => queued(() => session.insertRows(table, columns, rows)),
    columns: (relation) => queued(() => session.columns(relation)),
    async *stream(sql, params, chunkSize) {
      const rows = session.stream(sql, params, chunkSize)[Symbol.asyncIterator]();
      try {
        const first = await queued(() => rows.next());
        if (first.done === true) return;
        yield first.value;
        for (let next = await rows.next(); next.done !== true; next = await rows.next()) yield next.value;
      } finally {
        await rows.return?.();
      }
    },
    // `begin transaction`, `commit` and `rollback` read the same on DuckDB and Snowflake.
    transaction: <T>(work: (tx: Warehouse) => Promise<T>) =>
      queued(async () => {
        await session.execute('begin transaction');
        let result: T;
        try {
          result = await work(inside);
        } catch (error) {
          await session.execute('rollback');
          throw error;
        }
        await session.execute('commit');
        return result;
      }),
    ...(session.smallReads === undefined
      ? {}
      : {
          smallReads: () =>
            queued(async () => {
              const restore = await session.smallReads!();
              return () => queued(restore);
            }),
        }),
    close: () => queued(() => session.close()),
  };
}
