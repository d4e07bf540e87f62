/**
 * Bad input to the CLI gets a clear message and exit 2 ("could not run"), never a stack trace
 * (exit 3) or exit 1 (which means rows were rejected). The real CLI, on a parsed demo project.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyDemoProject, repoRoot, runCli, runDbt } from './helpers/dbt.ts';

let project: string;
beforeAll(async () => {
  project = await copyDemoProject();
  const parsed = await runDbt(project, ['parse']);
  if (parsed.code !== 0) throw new Error(`dbt parse failed:\n${parsed.stdout}`);
});

const env = { KLAVIYO_API_KEY: 'pk_inputs', KLAVIYO_BASE_URL: 'http://127.0.0.1:9' };

/** Runs the CLI expecting a refusal: exit 2 and no stack trace; returns what it printed on stderr. */
async function refused(args: string[]): Promise<string> {
  const ran = await runCli(args, env);
  expect(ran.stderr).not.toContain('    at ');
  expect(ran.code, ran.stderr).toBe(2);
  return ran.stderr;
}

describe('usage errors exit 2, the code for "could not run"', () => {
  it.each([
    [['sync', '--bogus'], "error: unknown option '--bogus'"],
    [['plan', '--format', 'xml'], "error: option '--format <format>' argument 'xml' is invalid."],
    [['bogus'], "error: unknown command 'bogus'"],
    [['sync', '--log-format', 'yaml'], "argument 'yaml' is invalid"],
    [
      ['sync', '--job-timeout', 'soon'],
      'error: --job-timeout must be a positive number of seconds, got soon.',
    ],
    [
      ['sync', '--request-timeout', '0'],
      'error: --request-timeout must be a positive number of seconds, got 0.',
    ],
    [['sandbox', '--port', '99999'], 'error: --port must be 0 to 65535, got 99999.'],
    [
      ['sandbox', '--port', '0', '--job-delay', 'fast'],
      'error: --job-delay must be a whole number of milliseconds, got fast.',
    ],
  ])('%j', async (args, message) => {
    expect(await refused(args)).toContain(message);
  });
});

describe('files and folders', () => {
  it('refuses plan --output into a missing folder or onto a folder', async () => {
    const missing = path.join(project, 'no', 'such', 'plan.md');
    expect(await refused(['plan', '--project-dir', project, '--output', missing])).toContain(
      `error: --output ${missing}: the folder ${path.dirname(missing)} does not exist; create it first.`,
    );
    const folder = path.join(project, 'target');
    expect(await refused(['plan', '--project-dir', project, '--output', folder])).toContain(
      `error: --output ${folder} is a folder; name a file, e.g. ${path.join(folder, 'plan.md')}.`,
    );
  });

  it('refuses a --profiles-dir without profiles.yml, as dbt does', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'kr-no-profiles-'));
    expect(await refused(['plan', '--project-dir', project, '--profiles-dir', empty])).toContain(
      `error: --profiles-dir ${empty} holds no profiles.yml. Point it at the directory of your profiles.yml.`,
    );
  });

  it('names broken YAML in profiles.yml', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kr-bad-profiles-'));
    await writeFile(path.join(dir, 'profiles.yml'), 'klaviyo_runner:\n  target: dev\n  outputs: {dev: [\n');
    expect(await refused(['plan', '--project-dir', project, '--profiles-dir', dir])).toContain(
      `error: ${path.join(dir, 'profiles.yml')} is not valid YAML:`,
    );
  });

  it('refuses a manifest whose relation_name is not a relation, in validate and plan', async () => {
    const copy = await copyDemoProject();
    expect((await runDbt(copy, ['parse'])).code).toBe(0);
    const file = path.join(copy, 'target', 'manifest.json');
    const manifest = JSON.parse(await readFile(file, 'utf8')) as {
      nodes: Record<string, { name: string; relation_name: string | null }>;
    };
    const node = Object.values(manifest.nodes).find((n) => n.name === 'klaviyo__profiles')!;
    node.relation_name = "(select 'C1' as person_id, read_text('/etc/hostname') as email)";
    await writeFile(file, JSON.stringify(manifest));
    for (const command of ['validate', 'plan'])
      expect(await refused([command, '--project-dir', copy])).toContain(
        "model `klaviyo__profiles` has relation_name \"(select 'C1' as person_id, read_text('/etc/hostname') as email)\" is not a relation name",
      );
  });

  it('refuses a run_results.json cut short or of another shape, naming the file, in validate and plan', async () => {
    const copy = await copyDemoProject();
    expect((await runDbt(copy, ['parse'])).code).toBe(0);
    const file = path.join(copy, 'target', 'run_results.json');
    await writeFile(file, '{"metadata": {"invocation_id": "x"}, "results": [{"unique_id": "model.a');
    for (const command of ['validate', 'plan'])
      expect(await refused([command, '--project-dir', copy])).toContain(`${file} is not valid JSON`);
    await writeFile(file, JSON.stringify({ results: [{ unique_id: 'model.a', status: 7 }] }));
    const said = await refused(['plan', '--project-dir', copy]);
    expect(said).toContain(`${file} is not a dbt run_results.json klaviyo-runner can read.`);
    expect(said).toContain('at /results/0/status: must be string');
  });
});

describe('the sandbox command', () => {
  it('refuses a port in use with a sentence, not a stack trace', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      expect(await refused(['sandbox', '--port', String(port)])).toContain(
        `error: --port ${port}: the port is in use on 127.0.0.1; pick another, or --port 0 for a free one.`,
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('refuses a --persist file that is not sandbox state', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kr-persist-'));
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, 'state.json');
    await writeFile(file, '{not json');
    expect(await refused(['sandbox', '--port', '0', '--persist', file])).toContain(
      `error: --persist ${file} is not a sandbox state file:`,
    );
  });

  it('warns loudly when listening beyond loopback', async () => {
    const child = spawn(
      process.execPath,
      [path.join(repoRoot, 'bin', 'klaviyo-runner.js'), 'sandbox', '--port', '0', '--host', '0.0.0.0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const listening = new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('listening on')) resolve();
      }),
    );
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await listening;
    child.kill('SIGTERM');
    await exited;
    expect(stderr).toContain(
      "WARNING: the sandbox listens on 0.0.0.0, beyond this machine's loopback: anyone who can reach it can read every profile and request it holds",
    );
  });
});
