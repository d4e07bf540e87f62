/**
 * Exposures → sync specs. An exposure is a sync when its merged meta has a `klaviyo` block; dbt
 * 1.10+ writes meta into both `meta` and `config.meta`, older versions only `meta`, so both are
 * read with config.meta winning (docs/dbt.md#exposure-config).
 */
import type { Manifest, ManifestExposure, ManifestNode } from './read.ts';
import type { RunResultsIndex } from './run-results.ts';
import { checkSyncConfig } from './config-schema.ts';
import { checkRelationName } from './relation.ts';
import type { ModelRef, SyncSpec } from './spec.ts';

const SHIPPABLE = new Set(['model', 'seed', 'snapshot']);

export function mergedMeta(exposure: ManifestExposure): Record<string, unknown> {
  return { ...(exposure.meta ?? {}), ...(exposure.config?.meta ?? {}) };
}

function where(exposure: ManifestExposure): string {
  return `exposure \`${exposure.name}\` (${exposure.original_file_path})`;
}

/**
 * Exposure names as dbt accepts them: letters, digits, underscores and hyphens
 * (https://docs.getdbt.com/reference/exposure-properties). The name is the sync's identity in
 * state tables, reports and `--select`.
 */
const EXPOSURE_NAME = /^[\p{L}\p{N}_-]+$/u;

function modelRef(node: ManifestNode, relationName: string): ModelRef {
  return {
    uniqueId: node.unique_id,
    name: node.name,
    relationName,
    materialized: node.config?.materialized ?? 'view',
    declaredColumns: Object.values(node.columns ?? {}).map((c) => c.name.toLowerCase()),
    originalFilePath: node.original_file_path,
  };
}

/**
 * The models that list rows the dbt models left out, marked by `meta: { klaviyo_rejected_rows: true }`
 * (the package's klaviyo__rejected_rows is one). One that did not build in the last dbt run is a
 * problem: the syncs could not say what their models left out.
 */
function rejectedRowsModels(
  manifest: Manifest,
  runResults: RunResultsIndex | null,
): { relations: string[]; problems: string[] } {
  const relations: string[] = [];
  const problems: string[] = [];
  const nodes = Object.values(manifest.nodes)
    .filter((n) => n.resource_type === 'model' && n.config?.meta?.klaviyo_rejected_rows === true)
    .sort((a, b) => a.unique_id.localeCompare(b.unique_id));
  for (const node of nodes) {
    const at = `model \`${node.name}\` (${node.original_file_path}, meta klaviyo_rejected_rows)`;
    const status = runResults?.status.get(node.unique_id);
    if (node.relation_name == null || node.config?.materialized === 'ephemeral')
      problems.push(
        `${at}: is ephemeral, so the rows it lists cannot be read; materialize it as a table or view.`,
      );
    else if (status !== undefined && status !== 'success')
      problems.push(
        `${at}: did not build in the last dbt run (status ${status}); fix it and run \`dbt build\` again.`,
      );
    else {
      const checked = checkRelationName(node.relation_name);
      if (checked.ok) relations.push(checked.sql);
      else problems.push(`${at}: has relation_name ${checked.problem}. Run \`dbt parse\` again.`);
    }
  }
  return { relations, problems };
}

function findByName(manifest: Manifest, name: string): ManifestNode | undefined {
  return Object.values(manifest.nodes).find((n) => SHIPPABLE.has(n.resource_type) && n.name === name);
}

/** Every sync the manifest declares, and every problem with them (all of them, not the first). */
export function buildSpecs(
  manifest: Manifest,
  runResults: RunResultsIndex | null,
): { specs: SyncSpec[]; problems: string[] } {
  const specs: SyncSpec[] = [];
  const rejectedRows = rejectedRowsModels(manifest, runResults);
  const problems: string[] = [...rejectedRows.problems];
  const exposures = Object.values(manifest.exposures).sort((a, b) => a.name.localeCompare(b.name));
  for (const exposure of exposures) {
    const block = mergedMeta(exposure).klaviyo;
    if (block === undefined) continue;
    const at = where(exposure);
    if (!EXPOSURE_NAME.test(exposure.name)) {
      problems.push(
        `${at}: the exposure name may hold only letters, digits, underscores and hyphens, as dbt requires; rename it.`,
      );
      continue;
    }
    const checked = checkSyncConfig(block, at);
    if (!checked.ok) {
      problems.push(...checked.problems);
      continue;
    }
    const config = checked.config;
    const dependencies = (exposure.depends_on?.nodes ?? [])
      .map((id) => manifest.nodes[id])
      .filter((n): n is ManifestNode => n !== undefined && SHIPPABLE.has(n.resource_type));
    let node: ManifestNode | undefined;
    if (config.model !== undefined) {
      node = dependencies.find((n) => n.name === config.model);
      if (node === undefined) {
        problems.push(
          `${at}: config.meta.klaviyo.model names \`${config.model}\`, which the exposure does not depend_on.`,
        );
        continue;
      }
    } else if (dependencies.length === 1) {
      node = dependencies[0];
    } else {
      problems.push(
        dependencies.length === 0
          ? `${at}: depends_on no model; add \`depends_on: [ref('your_model')]\`.`
          : `${at}: depends_on ${dependencies.length} models (${dependencies.map((n) => n.name).join(', ')}); name the synced one in config.meta.klaviyo.model.`,
      );
      continue;
    }
    if (node === undefined) continue;
    if (
      node.relation_name === null ||
      node.relation_name === undefined ||
      node.config?.materialized === 'ephemeral'
    ) {
      problems.push(
        `${at}: model \`${node.name}\` is ephemeral, so there is no table to read; materialize it as a table or view.`,
      );
      continue;
    }
    const relation = checkRelationName(node.relation_name);
    if (!relation.ok) {
      problems.push(
        `${at}: model \`${node.name}\` has relation_name ${relation.problem}. Run \`dbt parse\` again.`,
      );
      continue;
    }
    const status = runResults?.status.get(node.unique_id);
    if (status !== undefined && status !== 'success') {
      problems.push(
        `${at}: model \`${node.name}\` did not build in the last dbt run (status ${status}); fix it and run \`dbt build\` again.`,
      );
      continue;
    }
    const spec: SyncSpec = {
      name: exposure.name,
      exposureId: exposure.unique_id,
      yamlPath: exposure.original_file_path,
      tags: [...new Set([...(exposure.tags ?? []), ...(exposure.config?.tags ?? [])])],
      config,
      model: modelRef(node, relation.sql),
      rejectedRowsRelations: rejectedRows.relations,
    };
    if (config.scope !== undefined) {
      const suppressions = findByName(manifest, config.scope.suppressions);
      if (suppressions?.relation_name == null) {
        problems.push(
          `${at}: config.meta.klaviyo.scope.suppressions names \`${config.scope.suppressions}\`, which is not a built model in this project.`,
        );
        continue;
      }
      const checkedSuppressions = checkRelationName(suppressions.relation_name);
      if (!checkedSuppressions.ok) {
        problems.push(
          `${at}: the suppressions model \`${suppressions.name}\` has relation_name ${checkedSuppressions.problem}. Run \`dbt parse\` again.`,
        );
        continue;
      }
      spec.suppressionsRelation = checkedSuppressions.sql;
    }
    specs.push(spec);
  }
  const names = new Set(specs.map((s) => s.name));
  for (const spec of specs) {
    const after = spec.config.after;
    if (after === undefined) continue;
    if (after === spec.name)
      problems.push(`${where2(spec)}: config.meta.klaviyo.after names the sync itself.`);
    else if (!names.has(after))
      problems.push(
        `${where2(spec)}: config.meta.klaviyo.after names \`${after}\`, which is not a valid sync exposure.`,
      );
  }
  return { specs, problems };
}

function where2(spec: SyncSpec): string {
  return `exposure \`${spec.name}\` (${spec.yamlPath})`;
}
