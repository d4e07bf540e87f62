/** CPU time as the sync benchmark reads it (scripts/bench-sync.ts), from Node and Linux's /proc. */
import { readFileSync } from 'node:fs';

/** CPU seconds: every thread of the process, and its main thread alone. */
export interface Cpu {
  total: number;
  main: number;
  /** The sync's other threads, told apart by when they began (scripts/bench-probe.js). */
  earlyThreads?: number;
  later?: number;
}

/** The other threads' CPU by kind, as far as the probe tells them apart. */
export function otherThreads(cpu: Cpu): string {
  if (cpu.earlyThreads === undefined || cpu.later === undefined) return 'DuckDB workers, GC helpers, libuv';
  return `${cpu.earlyThreads.toFixed(2)} s on threads begun before the CLI loaded (V8's workers: GC and compilers; libuv's pool, where DuckDB's client calls run), ${cpu.later.toFixed(2)} s on threads begun later (DuckDB's workers)`;
}

/** Seconds of CPU per clock tick in /proc's stat files (USER_HZ, 100 on Linux). */
const TICK = 1 / 100;

/**
 * CPU seconds of this process: all threads (process.cpuUsage) and the main thread alone, from
 * /proc/self/task/<pid>/stat, fields 14 and 15 (utime, stime: https://man7.org/linux/man-pages/man5/proc_pid_stat.5.html).
 */
export function cpuNow(): Cpu {
  const used = process.cpuUsage();
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { total: (used.user + used.system) / 1e6, main: (Number(fields[11]) + Number(fields[12])) * TICK };
}

/** CPU seconds of another process, all its threads (/proc/<pid>/stat, fields 14 and 15). */
export function processCpu(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK;
}

export function cpuSince(start: Cpu): Cpu {
  const now = cpuNow();
  return { total: now.total - start.total, main: now.main - start.main };
}
