/**
 * `validate`: every problem with every sync, not only the first. The manifest and the exposure
 * blocks are checked first, each exposure as far as it goes; then each model's real columns in the
 * warehouse against the columns its block names, also for a block with other problems.
 */
import { ConfigError, WarehouseError } from '../errors.ts';
import { readConnection } from '../config/profiles.ts';
import { openWarehouse } from '../source/open.ts';
import type { Warehouse } from '../source/warehouse.ts';
import { sharedIdentifiers } from '../source/shared-identifiers.ts';
import { readSyncSpecs, type ProjectOptions } from '../manifest/load.ts';
import { selectSpecs } from '../manifest/select.ts';
import type { ColumnCheck } from '../manifest/specs.ts';

export interface ValidateResult {
  syncs: { name: string; object: string; model: string }[];
  problems: string[];
  /** Whether the models' columns were checked: not when the warehouse could not be opened. */
  columnsChecked: boolean;
  /** Said, but not problems (manifest/load.ts, `ProjectWarning`). */
  warnings: string[];
}

async function columnProblems(check: ColumnCheck, wh: Warehouse): Promise<string[]> {
  let available: string[];
  try {
    available = (await wh.columns(check.model.relationName)).map((c) => c.name);
  } catch (error) {
    return [
      `${check.where}: cannot read model \`${check.model.name}\` (${check.model.relationName}): ${(error as Error).message}`,
    ];
  }
  const have = new Set(available.map((c) => c.toLowerCase()));
  const problems = check.columns
    .filter((c) => !have.has(c.toLowerCase()))
    .map(
      (c) =>
        `${check.where}: model \`${check.model.name}\` has no column \`${c}\` (named in config.meta.klaviyo).`,
    );
  if (check.suppressions !== undefined) {
    try {
      const cols = new Set((await wh.columns(check.suppressions.relationName)).map((c) => c.name));
      for (const c of ['email', 'is_suppressed', 'email_consent']) {
        if (!cols.has(c))
          problems.push(
            `${check.where}: scope.suppressions model \`${check.suppressions.name}\` has no column \`${c}\`.`,
          );
      }
    } catch (error) {
      problems.push(`${check.where}: cannot read scope.suppressions model: ${(error as Error).message}`);
    }
  }
  return problems;
}

export async function validate(
  options: ProjectOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ValidateResult> {
  const { projectDir, specs: all, problems, checks, warnings } = await readSyncSpecs(options, env);
  const specs = selectSpecs(all, options.select, options.exclude);
  // Selection narrows the valid syncs; an exposure with problems is checked whatever the selection.
  const valid = new Set(all.map((s) => s.name));
  const selected = new Set(specs.map((s) => s.name));
  const toCheck = checks.filter((c) => selected.has(c.name) || !valid.has(c.name));
  let wh: Warehouse | null = null;
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
    // Said once: without the warehouse no model's columns can be known (a model's YAML may list
    // only some of them), so none is reported missing.
    problems.push(
      `The warehouse could not be opened, so the columns of ${toCheck.length} synced model(s) were not checked: ${error.message}`,
    );
  }
  const said = warnings.map((w) => w.message);
  try {
    if (wh !== null) {
      for (const check of toCheck) problems.push(...(await columnProblems(check, wh)));
      // Keys that are one person to Klaviyo: said, not a problem (the run goes on with both).
      if (problems.length === 0)
        for (const spec of specs)
          said.push(...(await sharedIdentifiers(wh, spec)).map((warning) => warning.message));
    }
  } finally {
    await wh?.close();
  }
  return {
    syncs: specs.map((s) => ({ name: s.name, object: s.config.object, model: s.model.name })),
    problems,
    columnsChecked: wh !== null,
    warnings: said,
  };
}
