// Loaded with `node --import` into the process scripts/bench-sync.ts runs the shipped CLI in, so
// the CLI runs as a user runs it, and this reports what it cost. At exit it writes one JSON line
// to the file named by BENCH_PROBE_OUT: CPU seconds since the process began, every thread and the
// main thread alone (/proc/self/task/<pid>/stat, fields 14 and 15, in clock ticks of 1/100 s:
// https://man7.org/linux/man-pages/man5/proc_pid_stat.5.html), the peak RSS, and the JavaScript
// heap's peak sampled every 50 ms (live objects and garbage not yet collected: the runner's part of
// the RSS, beside DuckDB's own memory).
import { readFileSync, writeFileSync } from 'node:fs';
import v8 from 'node:v8';

const out = process.env.BENCH_PROBE_OUT;
if (out === undefined) throw new Error('bench-probe.js needs BENCH_PROBE_OUT, the file to write to');

let heapPeak = 0;
const sample = () => {
  heapPeak = Math.max(heapPeak, v8.getHeapStatistics().used_heap_size);
};
setInterval(sample, 50).unref();

process.on('exit', () => {
  sample();
  const used = process.cpuUsage();
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  writeFileSync(
    out,
    JSON.stringify({
      cpu: { total: (used.user + used.system) / 1e6, main: (Number(fields[11]) + Number(fields[12])) / 100 },
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      heapPeakMb: heapPeak / 2 ** 20,
    }),
  );
});
