/**
 * How far V8 lets the JavaScript heap grow past what its last full collection left alive. V8
 * picks that factor itself, up to 4× when collections are quick, and the runner's work is exactly
 * that case: rows are parsed, built into payloads, sent and written to the state, and almost all of
 * it is garbage a few seconds later. The first sync of 100,000 profiles and 100,000 events (`npm run
 * bench:sync`) had at most about 120 MB alive, yet its heap reached 330–390 MB and the process
 * 860–880 MB. Letting it grow at most to twice what was alive, the heap peaked at about 230 MB and
 * the process at 675–685 MB, for the same CPU. Since then less is alive (about 60 MB in a heap
 * snapshot at that sync's peak, 50–95 MB after forced collections) and less is made per row:
 * growing by half at most now gave a peak of 485–526 MB against 512–569 MB at twice (five paired
 * runs of that sync), user CPU 15.9–18.1 s against 16.8–19.7 s, and the first plan of 1,000,000
 * profiles (`npm run bench`) 280 MB against 290 MB in 20.8 s against 19.8 s (one run each). When
 * more was alive per row, growing by half had cost a fifth more CPU, in the collector's marking.
 *
 * The sandbox (`klaviyo-runner sandbox`) is the opposite case and keeps V8's own factor: it holds
 * every profile, event and request it is sent, so most of what it makes stays alive, and bounded
 * growth made it collect over and over. Beside that sync it used 5.5–6.0 s of CPU with V8's factor
 * against 5.8–7.4 s bounded (four paired runs), on the cores the sync shares.
 *
 * The factor is read at each collection, so setting it once the process runs takes effect
 * (https://nodejs.org/api/v8.html#v8setflagsfromstringflags; V8's `--heap-growing-percent`, the
 * factor as 1 + percent/100, is listed by `node --v8-options`).
 */
import v8 from 'node:v8';

export const HEAP_GROWING_PERCENT = 50;

export function boundHeapGrowth(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
