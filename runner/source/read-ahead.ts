/**
 * Reading a result ahead of its reader. A driver that computes the next chunk of a streamed
 * result only when asked for it leaves the warehouse idle while the runner shapes the current
 * chunk, and the runner idle while the warehouse computes the next: the two take turns. Here the
 * next fetch starts as soon as the last one ends, while the reader works, until `aheadRows` rows
 * wait unread; so on a machine with a core to spare the two work side by side, and memory stays
 * bounded by what waits.
 */

/** One fetch of a result: a chunk, or null at the end. */
export type FetchChunk<T> = () => Promise<T | null>;

/**
 * The chunks `fetch` gives, in order, fetched up to `aheadRows` rows ahead of the reader (`rows`
 * counts a chunk's rows). Only one fetch is in flight at a time, as a result allows. When the
 * reader stops early, the fetch in flight is awaited before this returns, so the caller can then
 * close what the result belongs to. A failed fetch is thrown to the reader, after the chunks
 * fetched before it.
 */
export async function* readAhead<T>(
  fetch: FetchChunk<T>,
  rows: (chunk: T) => number,
  aheadRows: number,
): AsyncGenerator<T> {
  const ready: T[] = [];
  let readyRows = 0;
  let ended = false;
  let stopped = false;
  let failure: { error: unknown } | undefined;
  // Whoever waits (the reader for a chunk, the pump for room) is woken by the other side.
  let readerWaits: (() => void) | undefined;
  let pumpWaits: (() => void) | undefined;
  const wakeReader = () => {
    const wake = readerWaits;
    readerWaits = undefined;
    wake?.();
  };
  const wakePump = () => {
    const wake = pumpWaits;
    pumpWaits = undefined;
    wake?.();
  };
  const pump = (async () => {
    try {
      for (;;) {
        while (readyRows >= aheadRows && !stopped) await new Promise<void>((r) => (pumpWaits = r));
        if (stopped) return;
        const chunk = await fetch();
        if (chunk === null) return;
        ready.push(chunk);
        readyRows += rows(chunk);
        wakeReader();
      }
    } catch (error) {
      failure = { error };
    } finally {
      ended = true;
      wakeReader();
    }
  })();
  try {
    for (;;) {
      const chunk = ready.shift();
      if (chunk !== undefined) {
        readyRows -= rows(chunk);
        wakePump();
        yield chunk;
      } else if (ended) {
        if (failure !== undefined) throw failure.error;
        return;
      } else await new Promise<void>((r) => (readerWaits = r));
    }
  } finally {
    stopped = true;
    wakePump();
    await pump;
  }
}
