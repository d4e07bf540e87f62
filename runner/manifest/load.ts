/**
 * Everything `plan`, `sync` and `validate` need before touching data: the project, its manifest's
 * syncs (selected and ordered), and the warehouse connection from profiles.yml.
 */
import path from 'node:path';
import { ConfigError } from '../errors.ts';
import { readConnection, type Connection } from '../config/profiles.ts';
import { DBT_PACKAGE_NAME, RUNNER_VERSION } from '../version.ts';
import { packageVersionWarning } from './package-version.ts';
import { sharedMetricWarnings } from './shared-metric.ts';
import { readManifest } from './read.ts';
import { readRunResults } from './run-results.ts';
import { buildSpecs } from './specs.ts';
import { deferSpecs } from './defer.ts';
import { selectSpecs } from './select.ts';
import type { SyncSpec } from './spec.ts';

/**
 * The dbt-style options of the commands that read a dbt project (`validate`, `plan`, `sync`,
 * `extract`), spelled as dbt spells them; the commands declare the flags, this stage reads them.
 */
export interface ProjectOptions {
  projectDir: string;
  profilesDir?: string;
  target?: string;
  targetPath?: string;
  select: string[];
  exclude: string[];
  stateSchema?: string;
  stateDatabase?: string;
  /** dbt's --defer / --state: read models the last dbt invocation did not build from production's manifest. */
  defer?: boolean;
  state?: string;
}

export interface LoadedProject {
  projectDir: string;
  targetPath: string;
  specs: SyncSpec[];
  /** Every sync the project declares, selected or not (a sync missing here left the project). */
  allSyncs: string[];
  connection: Connection;
  stateSchema: string;
  /** The state schema's database, when not the connection's. */
  stateDatabase: string | null;
  /** Relations read from production's manifest under `--defer` (models this CI run did not build). */
  deferred: string[];
  dbtInvocationId: string | null;
  /** Worth saying, not worth stopping for (`ProjectWarning`). */
  warnings: ProjectWarning[];
}

/**
 * Worth saying, not worth stopping for: the dbt package and the runner are other versions
 * (`project.version_mismatch`), event syncs send one metric (`project.shared_metric`).
 */
export interface ProjectWarning {
  event: 'project.version_mismatch' | 'project.shared_metric';
  message: string;
}

export const DEFAULT_STATE_SCHEMA = 'klaviyo_runner';

/** The project's dbt artifacts read into sync specs, with every problem found (validate reports them all). */
export async function readSyncSpecs(options: ProjectOptions, env: NodeJS.ProcessEnv) {
  const projectDir = path.resolve(options.projectDir);
  const targetPath = path.resolve(projectDir, options.targetPath ?? env.DBT_TARGET_PATH ?? 'target');
  const manifest = await readManifest(path.join(targetPath, 'manifest.json'));
  const runResults = await readRunResults(path.join(targetPath, 'run_results.json'));
  const mismatch = packageVersionWarning(manifest, DBT_PACKAGE_NAME, RUNNER_VERSION);
  const built = buildSpecs(manifest, runResults);
  const warnings: ProjectWarning[] = [
    ...(mismatch === null ? [] : [{ event: 'project.version_mismatch' as const, message: mismatch }]),
    ...sharedMetricWarnings(built.specs).map((message) => ({
      event: 'project.shared_metric' as const,
      message,
    })),
  ];
  return { projectDir, targetPath, manifest, runResults, warnings, ...built };
}

export async function loadSyncs(
  options: ProjectOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadedProject> {
  const { projectDir, targetPath, manifest, runResults, specs, problems, warnings } = await readSyncSpecs(
    options,
    env,
  );
  if (problems.length > 0)
    throw new ConfigError(`The project's Klaviyo syncs have ${problems.length} problem(s):`, problems);
  const selected = selectSpecs(specs, options.select, options.exclude);
  let deferred: string[] = [];
  if (options.defer === true) {
    if (options.state === undefined)
      throw new ConfigError(
        "--defer needs --state <dir>, as dbt does: the directory of production's manifest.json.",
      );
    const stateFile = path.join(path.resolve(projectDir, options.state), 'manifest.json');
    deferred = deferSpecs(selected, manifest, await readManifest(stateFile), runResults, stateFile).deferred;
  }
  const { connection } = await readConnection({
    projectDir,
    profilesDir: options.profilesDir,
    target: options.target,
    env,
  });
  const stateSchema = options.stateSchema ?? DEFAULT_STATE_SCHEMA;
  for (const [flag, value] of [
    ['--state-schema', stateSchema],
    ['--state-database', options.stateDatabase],
  ] as const) {
    if (value !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(value))
      throw new ConfigError(
        `${flag} \`${value}\` must be a plain identifier (letters, digits, underscores).`,
      );
  }
  return {
    projectDir,
    targetPath,
    specs: selected,
    allSyncs: specs.map((s) => s.name),
    connection,
    stateSchema,
    stateDatabase: options.stateDatabase ?? null,
    deferred,
    dbtInvocationId: manifest.metadata.invocation_id ?? null,
    warnings,
  };
}
