/**
 * The warehouse connection, read from the user's dbt profiles.yml the way dbt finds it:
 * --profiles-dir, then $DBT_PROFILES_DIR, then the project directory, then ~/.dbt
 * (https://docs.getdbt.com/docs/core/connect-data-platform/connection-profiles). The profile is the
 * one dbt_project.yml names; the target is --target, else the profile's default.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from '../errors.ts';
import { duckdbTarget, type DuckDbConnection } from './duckdb-target.ts';
import { snowflakeTarget, type SnowflakeConnection } from './snowflake-target.ts';

export type Connection = DuckDbConnection | SnowflakeConnection;

const ENV_VAR = /\{\{\s*env_var\(\s*(['"])([^'"]+)\1\s*(?:,\s*(['"])([^'"]*)\3\s*)?\)\s*\}\}/g;

/** Renders dbt's `{{ env_var('X') }}` and `{{ env_var('X', 'default') }}`; other Jinja is refused. */
export function renderEnvVars(text: string, env: NodeJS.ProcessEnv, file: string): string {
  const missing: string[] = [];
  const rendered = text.replace(ENV_VAR, (_m, _q, name: string, _q2, fallback: string | undefined) => {
    const value = env[name] ?? fallback;
    if (value === undefined) {
      missing.push(name);
      return '';
    }
    return value;
  });
  if (missing.length > 0) {
    throw new ConfigError(
      `${file} uses environment variables that are not set and have no default: ${missing.join(', ')}.`,
    );
  }
  return rendered;
}

/**
 * Where profiles.yml is. A directory the user named (--profiles-dir, or $DBT_PROFILES_DIR, which
 * dbt reads as the same flag) is the only place looked in, and refused when it holds none, as dbt
 * does: silently reading another profiles.yml could connect to another warehouse.
 */
export function findProfilesDir(
  projectDir: string,
  profilesDir: string | undefined,
  env: NodeJS.ProcessEnv,
): string {
  for (const [named, by] of [
    [profilesDir, '--profiles-dir'],
    [env.DBT_PROFILES_DIR, '$DBT_PROFILES_DIR'],
  ] as const) {
    if (named === undefined || named === '') continue;
    if (existsSync(path.join(named, 'profiles.yml'))) return named;
    throw new ConfigError(
      `${by} ${named} holds no profiles.yml${existsSync(named) ? '' : ' (the directory does not exist)'}. Point it at the directory of your profiles.yml.`,
    );
  }
  const candidates = [profilesDir, env.DBT_PROFILES_DIR, projectDir, path.join(os.homedir(), '.dbt')];
  for (const dir of candidates) {
    if (dir !== undefined && dir !== '' && existsSync(path.join(dir, 'profiles.yml'))) return dir;
  }
  throw new ConfigError(
    `No profiles.yml found (looked in ${candidates.filter((c) => c !== undefined && c !== '').join(', ')}). Pass --profiles-dir.`,
  );
}

export async function projectProfileName(projectDir: string): Promise<string> {
  const file = path.join(projectDir, 'dbt_project.yml');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ConfigError(`No dbt_project.yml in ${projectDir}. Pass --project-dir.`);
  }
  const project = parseYaml(text, file) as { profile?: unknown } | null;
  if (typeof project?.profile !== 'string') throw new ConfigError(`${file} names no \`profile\`.`);
  return project.profile;
}

/** YAML parsed, or a ConfigError naming the file, the line and what is wrong. */
function parseYaml(text: string, file: string): unknown {
  try {
    return parse(text);
  } catch (error) {
    const message = (error as Error).message.split('\n')[0];
    throw new ConfigError(`${file} is not valid YAML: ${message}`);
  }
}

function renderOutput(
  output: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  file: string,
): Record<string, unknown> {
  const render = (v: unknown): unknown =>
    typeof v === 'string'
      ? renderEnvVars(v, env, file)
      : Array.isArray(v)
        ? v.map(render)
        : typeof v === 'object' && v !== null
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, render(x)]))
          : v;
  return render(output) as Record<string, unknown>;
}

function str(output: Record<string, unknown>, key: string): string | undefined {
  const v = output[key];
  return v === undefined || v === null ? undefined : String(v);
}

export async function readConnection(options: {
  projectDir: string;
  profilesDir?: string;
  target?: string;
  env?: NodeJS.ProcessEnv;
}): Promise<{ connection: Connection; profile: string; target: string }> {
  const env = options.env ?? process.env;
  const profile = await projectProfileName(options.projectDir);
  const dir = findProfilesDir(options.projectDir, options.profilesDir, env);
  const file = path.join(dir, 'profiles.yml');
  // Like dbt, render only what is used: the chosen target's output, so an env_var of another
  // target (prod credentials on a laptop) need not be set.
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read ${file}: ${(error as Error).message}`);
  }
  const parsed = parseYaml(text, file);
  if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed)))
    throw new ConfigError(`${file} must map profile names to profiles.`);
  const profiles = parsed as Record<string, unknown> | null;
  const entry = profiles?.[profile] as
    { target?: string; outputs?: Record<string, Record<string, unknown>> } | undefined;
  if (entry?.outputs === undefined)
    throw new ConfigError(`${file} has no profile \`${profile}\` (named in dbt_project.yml).`);
  const target =
    options.target ??
    env.DBT_TARGET ??
    (entry.target === undefined ? undefined : renderEnvVars(String(entry.target), env, file));
  if (target === undefined)
    throw new ConfigError(`${file}: profile \`${profile}\` sets no default target; pass --target.`);
  const raw = entry.outputs[target];
  const output = raw === undefined ? undefined : renderOutput(raw, env, file);
  if (output === undefined) {
    throw new ConfigError(
      `${file}: profile \`${profile}\` has no target \`${target}\` (it has ${Object.keys(entry.outputs).join(', ')}).`,
    );
  }
  const type = str(output, 'type');
  if (type === 'duckdb') {
    // Relative paths, the target's and its attachments', are read from the project directory;
    // dbt-duckdb opens them from the directory dbt runs in, the same place when dbt is run in the
    // project (docs/dbt.md, "profiles.yml"; DECISIONLOG, "Attached DuckDB databases are read only").
    const connection = duckdbTarget(output, `${file}: target \`${target}\``, (p) =>
      path.resolve(options.projectDir, p),
    );
    return { connection, profile, target };
  }
  if (type === 'snowflake') {
    // A relative private_key_path is read from where the command runs, as dbt reads it.
    const connection = await snowflakeTarget(output, `${file}: target \`${target}\``, process.cwd());
    return { connection, profile, target };
  }
  throw new ConfigError(
    `${file}: target \`${target}\` is of type \`${type ?? 'unknown'}\`; klaviyo-runner supports duckdb and snowflake.`,
  );
}
