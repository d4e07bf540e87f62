// Loaded with `node --import` into the process scripts/bench-sync.ts runs the shipped CLI in, so
// the CLI runs as a user runs it, and this reports what it cost. At exit it writes one JSON line
// to the file named by BENCH_PROBE_OUT: CPU seconds since the process began, every thread and the
// main thread alone (/proc/self/task/<pid>/stat, fields 14 and 15, in clock ticks of 1/100 s:
// https://man7.org/linux/man-pages/man5/proc_pid_stat.5.html), the peak RSS, and the JavaScript
// heap's peak sampled every 50 ms (live objects and garbage not yet collected: the runner's part of
// the RSS, beside DuckDB's own memory).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import v8 from 'node:v8';

const out = process.env.BENCH_PROBE_OUT;
if (out === undefined) throw new Error('bench-probe.js needs BENCH_PROBE_OUT, the file to write to');

/** A thread's CPU seconds so far (user + system), or null once it has ended. */
function threadCpu(tid) {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

// Every thread names itself "node", so threads are told apart by when they began: those running
// before the CLI is loaded are Node's own: V8's platform workers (the GC's parallel and concurrent
// work, optimising compilers) and libuv's pool, which the loader has started by then and where
// DuckDB's client runs its calls (napi async work); those begun later are DuckDB's own workers.
const early = new Set(readdirSync('/proc/self/task'));
/** The last CPU seen of each thread, kept after it ends (sampled, so a thread's last 50 ms may be missed). */
const seen = new Map();
const sampleThreads = () => {
  for (const tid of readdirSync('/proc/self/task')) {
    const cpu = threadCpu(tid);
    if (cpu !== null) seen.set(tid, cpu);
  }
};

let heapPeak = 0;
/** At the highest RSS sampled: what V8's heap had reserved, and Node's memory outside it (Buffers). */
let atRssPeak = { rss: 0, heapTotal: 0, external: 0 };
const sample = () => {
  heapPeak = Math.max(heapPeak, v8.getHeapStatistics().used_heap_size);
  const memory = process.memoryUsage();
  if (memory.rss > atRssPeak.rss) atRssPeak = memory;
  sampleThreads();
};
setInterval(sample, 50).unref();

process.on('exit', () => {
  sample();
  const used = process.cpuUsage();
  let earlyThreads = 0;
  let later = 0;
  for (const [tid, cpu] of seen) {
    if (tid === String(process.pid)) continue;
    if (early.has(tid)) earlyThreads += cpu;
    else later += cpu;
  }
  writeFileSync(
    out,
    JSON.stringify({
      cpu: {
        total: (used.user + used.system) / 1e6,
        main: threadCpu(process.pid),
        earlyThreads,
        later,
      },
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      heapPeakMb: heapPeak / 2 ** 20,
      // The rest of the RSS at that moment is DuckDB's (its buffer pool, bounded by memory_limit),
      // code, and the allocators' free lists.
      atRssPeakMb: {
        rss: atRssPeak.rss / 2 ** 20,
        heapTotal: atRssPeak.heapTotal / 2 ** 20,
        external: atRssPeak.external / 2 ** 20,
      },
    }),
  );
});
