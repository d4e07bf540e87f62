/**
 * Real dbt on DuckDB for tests: a temp copy of the demo project (so a test can edit seeds and
 * build without touching the repository) and the project's own dbt from .venv.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');

export async function copyDemoProject(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'klaviyo-runner-demo-'));
  for (const entry of [
    'dbt_project.yml',
    'profiles.yml',
    'seeds',
    'models',
    'macros',
    'tests',
    'exposures',
    'schema',
  ]) {
    await cp(path.join(repoRoot, entry), path.join(dir, entry), { recursive: true });
  }
  return dir;
}

/**
 * A dbt project of its own on DuckDB in a scratch folder: `name`'s dbt_project.yml (models built as
 * tables) and profiles.yml (the file `runDbt` names), with `files` (models/…) beside them.
 */
export async function scratchProject(name: string, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `kr-${name}-`));
  const project = {
    'dbt_project.yml': `name: ${name}
version: "1.0.0"
config-version: 2
profile: ${name}
model-paths: ["models"]
models:
  ${name}:
    +materialized: table
`,
    'profiles.yml': `${name}:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{ env_var('KLAVIYO_RUNNER_DUCKDB') }}"
      threads: 2
`,
    ...files,
  };
  for (const [file, text] of Object.entries(project)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
  return dir;
}

/**
 * The demo's Winback list made to subscribe with consent: the model gains a consent column and, for
 * some members, the time consent was given; the exposure subscribes the email channel with them.
 */
export async function subscribeWinbackWithConsent(project: string): Promise<void> {
  const model = path.join(project, 'models', 'klaviyo', 'klaviyo__winback_list_members.sql');
  await writeFile(
    model,
    (await readFile(model, 'utf8')).replace(
      'profiles.rfm_segment\n',
      `profiles.rfm_segment,
        coalesce(suppressions.email_consent = 'SUBSCRIBED', false) as marketing_consent,
        case when suppressions.email_consent = 'SUBSCRIBED' and profiles.person_id < 'C00300'
            then timestamp '2025-06-01 00:00:00' end as consented_at\n`,
    ),
  );
  const exposures = path.join(project, 'exposures', 'klaviyo.yml');
  await writeFile(
    exposures,
    (await readFile(exposures, 'utf8')).replace(
      '          list: { name: Winback }\n',
      '          list: { name: Winback }\n          subscribe: { channels: [email], consent: marketing_consent, consented_at: consented_at }\n',
    ),
  );
}

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export function runDbt(projectDir: string, args: string[]): Promise<Ran> {
  return run(
    path.join(repoRoot, '.venv', 'bin', 'dbt'),
    [...args, '--project-dir', projectDir, '--profiles-dir', projectDir],
    {
      cwd: projectDir,
      env: {
        DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
        KLAVIYO_RUNNER_DUCKDB: path.join(projectDir, 'target', 'demo.duckdb'),
      },
    },
  );
}

/** The real CLI, as a user runs it. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd = repoRoot): Promise<Ran> {
  return run(process.execPath, [path.join(repoRoot, 'bin', 'klaviyo-runner.js'), ...args], {
    cwd,
    env: { NO_COLOR: '1', ...env },
  });
}
