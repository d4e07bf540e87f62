/**
 * How far V8 lets the JavaScript heap grow past what its last full collection left alive. V8
 * picks that factor itself, up to 4× when collections are quick, and the runner's work is exactly
 * that case: rows are parsed, built into payloads, sent and written to the state, and almost all of
 * it is garbage a few seconds later. The first sync of 100,000 profiles and 100,000 events (`npm run
 * bench:sync`) had at most about 120 MB alive, yet its heap reached 330–390 MB and the process
 * 860–880 MB. Letting it grow at most to twice what was alive, the heap peaked at about 230 MB and
 * the process at 675–685 MB, for the same CPU (34 µs per row net of the warehouse, against 32–37
 * without the bound). Growing by half at most gave 610–625 MB but cost a fifth more CPU (41–44 µs
 * per row), in the collector's concurrent marking.
 *
 * The factor is read at each collection, so setting it once the process runs takes effect
 * (https://nodejs.org/api/v8.html#v8setflagsfromstringflags; V8's `--heap-growing-percent`, the
 * factor as 1 + percent/100, is listed by `node --v8-options`).
 */
import v8 from 'node:v8';

export const HEAP_GROWING_PERCENT = 100;

export function boundHeapGrowth(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
