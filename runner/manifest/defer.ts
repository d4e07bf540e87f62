/**
 * dbt's `--defer --state` for the relations a sync reads. In slim CI a pull request builds only
 * `state:modified+` in its CI schema and defers everything else to production
 * (https://docs.getdbt.com/reference/node-selection/defer). The manifest that build writes still
 * names the CI schema for every model, built or not, so a sync whose model (or scope model) was not
 * built by that invocation reads the relation production's manifest names instead, as dbt's own
 * ref() does for unbuilt parents. "Built" is what the invocation's run_results.json says.
 */
import { ConfigError } from '../errors.ts';
import type { Manifest } from './read.ts';
import type { RunResultsIndex } from './run-results.ts';
import type { SyncSpec } from './spec.ts';

export interface Deferral {
  /** Synced relations read from production. */
  deferred: string[];
}

function nodeIdOf(manifest: Manifest, relation: string): string | undefined {
  return Object.values(manifest.nodes).find((n) => n.relation_name === relation)?.unique_id;
}

/**
 * Points every relation of `specs` (model, scope model, rejected-rows models) that the last dbt
 * invocation did not build at the state
 * manifest's relation for the same node, in place.
 */
export function deferSpecs(
  specs: SyncSpec[],
  manifest: Manifest,
  state: Manifest,
  runResults: RunResultsIndex | null,
  stateFile: string,
): Deferral {
  if (runResults === null)
    throw new ConfigError(
      `--defer needs the dbt invocation's run_results.json beside manifest.json, to tell the models it built from those it deferred. Run \`dbt build --defer --state …\` first.`,
    );
  const deferred: string[] = [];
  const problems: string[] = [];
  const resolve = (spec: SyncSpec, relation: string): string => {
    const id = nodeIdOf(manifest, relation);
    if (id === undefined || runResults.status.get(id) === 'success') return relation;
    const production = state.nodes[id]?.relation_name;
    if (production === undefined || production === null) {
      problems.push(
        `exposure \`${spec.name}\` (${spec.yamlPath}): \`${id}\` was not built by the last dbt invocation and is not in ${stateFile}; build it (e.g. \`--select state:modified+ ${id.split('.').pop() ?? ''}\`).`,
      );
      return relation;
    }
    if (production !== relation) deferred.push(production);
    return production;
  };
  for (const spec of specs) {
    spec.model.relationName = resolve(spec, spec.model.relationName);
    if (spec.suppressionsRelation !== undefined)
      spec.suppressionsRelation = resolve(spec, spec.suppressionsRelation);
    spec.rejectedRowsRelations = spec.rejectedRowsRelations.map((r) => resolve(spec, r));
    spec.withheldFieldsRelations = spec.withheldFieldsRelations.map((r) => resolve(spec, r));
  }
  if (problems.length > 0) throw new ConfigError('Cannot defer to production for every sync:', problems);
  return { deferred: [...new Set(deferred)].sort() };
}
