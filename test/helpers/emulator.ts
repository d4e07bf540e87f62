/**
 * The Snowflake emulator for tests: fakesnow's server (Snowflake SQL run on DuckDB) behind our
 * JSON-result adapter, test/emulator/fakesnow_json.py, started from the project's own .venv on a
 * free loopback port and stopped by the test that started it. Its database lives in memory and is
 * shared by every session, so dbt, the runner's processes and the test all see the same tables.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import path from 'node:path';
import { repoRoot } from './dbt.ts';

export interface Emulator {
  host: string;
  port: number;
  /** The base URL the Node driver is pointed at. */
  url: string;
  /** Everything the emulator printed (its errors name the statement fakesnow could not run). */
  log(): string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitUntilListening(child: ChildProcess, host: string, port: number, log: () => string) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`The Snowflake emulator exited (${child.exitCode}):\n${log()}`);
    if (await accepts(host, port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`The Snowflake emulator did not listen on ${host}:${port} within 60 s:\n${log()}`);
}

export async function startEmulator(): Promise<Emulator> {
  const host = '127.0.0.1';
  const port = await freePort();
  const child = spawn(
    path.join(repoRoot, '.venv', 'bin', 'python'),
    [path.join(repoRoot, 'test', 'emulator', 'fakesnow_json.py'), '--host', host, '--port', String(port)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const log = () => output;
  await waitUntilListening(child, host, port, log);
  return {
    host,
    port,
    url: `http://${host}:${port}`,
    log,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
