/**
 * `npm run bench:startup`: how long `klaviyo-runner --version`, `--help` and `validate` (on the
 * demo project) take to start, against a bare `node -e ''` on the same machine in the same run.
 * Prints figures; it is not a timed test (a shared machine's load moves them).
 *
 * It builds dist/ and lays it out as npm installs it (bin/, dist/, schema/, package.json, with
 * this repository's node_modules linked beside), so the installed path is measured, not the
 * tsx path a checkout uses. `--before` (repeatable) adds the same commands of another version, measured the
 * same way: `--before <git ref>` builds that commit with its own scripts/build.ts (a commit
 * without one runs from its sources, the way it ran them), `--before <folder>` takes a folder
 * holding an installed klaviyo-runner (bin/klaviyo-runner.js) as it is. Runs are interleaved
 * (each round runs every command once) so a change in the machine's load falls on all of them
 * alike. Medians (and minimums) of wall-clock and CPU time are reported.
 *
 * Options: --runs N (default 15), --before <ref or folder> (one or more).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const runs = Number(option('--runs') ?? 15);
const befores = args.flatMap((a, i) => (a === '--before' && args[i + 1] !== undefined ? [args[i + 1]!] : []));

function say(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

/** A folder holding a package as npm installs it, resolving its dependencies from ours. */
function installedLayout(into: string, fill: (dir: string) => void): string {
  const dir = path.join(into, 'klaviyo-runner');
  mkdirSync(dir, { recursive: true });
  fill(dir);
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return path.join(dir, 'bin', 'klaviyo-runner.js');
}

/** The commit's package as npm would install it: built by its own build script when it has one. */
function builtAt(ref: string, tmp: string): string {
  const files = execFileSync('git', ['ls-tree', '--name-only', ref], { cwd: root, encoding: 'utf8' }).split(
    '\n',
  );
  const wanted = [
    'bin',
    'runner',
    'schema',
    'scripts',
    'package.json',
    'tsconfig.json',
    'tsconfig.build.json',
  ];
  const into = mkdtempSync(path.join(tmp, 'before-'));
  return installedLayout(into, (dir) => {
    const archive = execFileSync('git', ['archive', ref, ...wanted.filter((f) => files.includes(f))], {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
    });
    writeFileSync(path.join(into, 'before.tar'), archive);
    execFileSync('tar', ['-xf', path.join(into, 'before.tar'), '-C', dir]);
    if (!existsSync(path.join(dir, 'scripts', 'build.ts'))) return;
    say(`building ${ref} with its scripts/build.ts`);
    symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    execFileSync(process.execPath, ['--import', 'tsx', path.join(dir, 'scripts', 'build.ts')], {
      cwd: dir,
      stdio: 'ignore',
    });
    rmSync(path.join(dir, 'node_modules'));
    // Without runner/, bin/ runs dist/ as in an installed package.
    rmSync(path.join(dir, 'runner'), { recursive: true });
    rmSync(path.join(dir, 'scripts'), { recursive: true });
  });
}

function ensureDemoBuilt(): void {
  if (
    existsSync(path.join(root, 'target', 'manifest.json')) &&
    existsSync(path.join(root, 'target', 'demo.duckdb'))
  )
    return;
  say('building the demo project with dbt (validate reads it)');
  execFileSync(
    path.join(root, '.venv', 'bin', 'dbt'),
    ['build', '--project-dir', root, '--profiles-dir', root],
    {
      stdio: 'ignore',
      env: { ...process.env, DBT_SEND_ANONYMOUS_USAGE_STATS: 'false' },
    },
  );
}

interface Case {
  name: string;
  argv: string[];
}

/**
 * Preloaded into every run: at exit, the process's CPU time (user + system, all its threads,
 * since it started) written to file descriptor 3. CPU time moves far less than wall-clock time
 * when other processes share the machine.
 */
const CPU_HOOK = `import { writeSync } from 'node:fs';
process.on('exit', () => {
  const { user, system } = process.cpuUsage();
  writeSync(3, String((user + system) / 1000));
});
`;
let cpuHook = '';

interface Timing {
  wall: number;
  cpu: number;
}

function timeOnce(c: Case): Timing {
  const start = performance.now();
  const ran = spawnSync(process.execPath, ['--import', cpuHook, ...c.argv], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  const wall = performance.now() - start;
  if (ran.status !== 0) throw new Error(`${c.name} exited ${ran.status}: ${ran.stderr.toString()}`);
  return { wall, cpu: Number((ran.output[3] as Buffer).toString()) };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function main(): void {
  ensureDemoBuilt();
  say('npm run build');
  execFileSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts', 'build.ts')], {
    stdio: 'ignore',
  });
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'kr-bench-startup-'));
  cpuHook = path.join(tmp, 'cpu-hook.mjs');
  writeFileSync(cpuHook, CPU_HOOK);
  try {
    const after = installedLayout(path.join(tmp, 'after'), (dir) => {
      for (const entry of ['bin', 'dist', 'schema', 'package.json'])
        cpSync(path.join(root, entry), path.join(dir, entry), { recursive: true });
    });
    const commands = [['--version'], ['--help'], ['validate', '--project-dir', root]];
    const cases: Case[] = [{ name: "node -e ''", argv: ['-e', ''] }];
    for (const argv of commands) cases.push({ name: `installed ${argv[0]!}`, argv: [after, ...argv] });
    for (const before of befores) {
      const old = existsSync(path.join(before, 'bin', 'klaviyo-runner.js'))
        ? path.join(before, 'bin', 'klaviyo-runner.js')
        : builtAt(before, tmp);
      for (const argv of commands) cases.push({ name: `${before} ${argv[0]!}`, argv: [old, ...argv] });
    }
    for (const c of cases) timeOnce(c); // warm the file cache once
    const times = new Map(cases.map((c) => [c.name, [] as Timing[]]));
    for (let round = 0; round < runs; round++) {
      const order = cases.map((_, i) => cases[(i + round) % cases.length]!);
      for (const c of order) times.get(c.name)!.push(timeOnce(c));
    }
    const stat = (name: string, of: keyof Timing) => {
      const xs = times.get(name)!.map((t) => t[of]);
      return { median: median(xs), min: Math.min(...xs) };
    };
    const base = { wall: stat("node -e ''", 'wall').median, cpu: stat("node -e ''", 'cpu').median };
    const cpus = os.cpus();
    console.log(
      `Node ${process.versions.node}, ${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, load ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}; ${runs} interleaved runs each; ms, median (min); × = median / node -e ''`,
    );
    const cell = (x: { median: number; min: number }, of: keyof Timing) =>
      `${x.median.toFixed(0)} (${x.min.toFixed(0)}) ${(x.median / base[of]).toFixed(2)}×`.padStart(20);
    console.log(`${'command'.padEnd(32)} ${'wall clock'.padStart(20)} ${'CPU time'.padStart(20)}`);
    for (const c of cases)
      console.log(
        `${c.name.padEnd(32)} ${cell(stat(c.name, 'wall'), 'wall')} ${cell(stat(c.name, 'cpu'), 'cpu')}`,
      );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main();
