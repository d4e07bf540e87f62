/**
 * `validate`: every problem with every sync, not only the first. The manifest and the exposure
 * blocks are checked first; then each model's real columns in the warehouse (or the manifest's
 * declared ones when the warehouse cannot be opened) against the columns the sync reads.
 */
import type { ProjectOptions } from '../commands/options.ts';
import { ConfigError, WarehouseError } from '../errors.ts';
import { readConnection } from '../config/profiles.ts';
import { openWarehouse } from '../source/open.ts';
import type { Warehouse } from '../source/warehouse.ts';
import { readSyncSpecs } from './load.ts';
import { selectSpecs } from './select.ts';
import { syncColumns, type SyncSpec } from './spec.ts';

export interface ValidateResult {
  syncs: { name: string; object: string; model: string }[];
  problems: string[];
  /** Where column names came from: the warehouse, or (when it could not be opened) the manifest. */
  columnsFrom: 'warehouse' | 'manifest';
  /** Said, but not problems: the dbt package that built the manifest is another version. */
  warnings: string[];
}

async function columnProblems(spec: SyncSpec, wh: Warehouse | null): Promise<string[]> {
  const where = `exposure \`${spec.name}\` (${spec.yamlPath})`;
  let available: string[];
  if (wh !== null) {
    try {
      available = (await wh.columns(spec.model.relationName)).map((c) => c.name);
    } catch (error) {
      return [
        `${where}: cannot read model \`${spec.model.name}\` (${spec.model.relationName}): ${(error as Error).message}`,
      ];
    }
  } else {
    available = spec.model.declaredColumns;
    if (available.length === 0) return [];
  }
  const have = new Set(available.map((c) => c.toLowerCase()));
  const problems = syncColumns(spec.config)
    .filter((c) => !have.has(c.toLowerCase()))
    .map(
      (c) => `${where}: model \`${spec.model.name}\` has no column \`${c}\` (named in config.meta.klaviyo).`,
    );
  if (spec.suppressionsRelation !== undefined && wh !== null) {
    try {
      const cols = new Set((await wh.columns(spec.suppressionsRelation)).map((c) => c.name));
      for (const c of ['email', 'is_suppressed', 'email_consent']) {
        if (!cols.has(c))
          problems.push(
            `${where}: scope.suppressions model \`${spec.config.scope!.suppressions}\` has no column \`${c}\`.`,
          );
      }
    } catch (error) {
      problems.push(`${where}: cannot read scope.suppressions model: ${(error as Error).message}`);
    }
  }
  return problems;
}

export async function validate(
  options: ProjectOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ValidateResult> {
  const { projectDir, specs: all, problems, warnings } = await readSyncSpecs(options, env);
  const specs = selectSpecs(all, options.select, options.exclude);
  let wh: Warehouse | null = null;
  let columnsFrom: ValidateResult['columnsFrom'] = 'warehouse';
  try {
    const { connection } = await readConnection({
      projectDir,
      profilesDir: options.profilesDir,
      target: options.target,
      env,
    });
    wh = await openWarehouse(connection);
  } catch (error) {
    if (!(error instanceof ConfigError || error instanceof WarehouseError)) throw error;
    problems.push(
      `The warehouse could not be opened, so columns were checked against the manifest only: ${error.message}`,
    );
    columnsFrom = 'manifest';
  }
  try {
    for (const spec of specs) problems.push(...(await columnProblems(spec, wh)));
  } finally {
    await wh?.close();
  }
  return {
    syncs: specs.map((s) => ({ name: s.name, object: s.config.object, model: s.model.name })),
    problems,
    columnsFrom,
    warnings,
  };
}
