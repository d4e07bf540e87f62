/**
 * Exposures → sync specs. An exposure is a sync when its merged meta has a `klaviyo` block; dbt
 * 1.10+ writes meta into both `meta` and `config.meta`, older versions only `meta`, so both are
 * read with config.meta winning (docs/dbt.md#exposure-config).
 */
import type { Manifest, ManifestExposure, ManifestNode } from './read.ts';
import type { RunResultsIndex } from './run-results.ts';
import { checkSyncConfig } from './config-schema.ts';
import { checkRelationName } from './relation.ts';
import { columnsNamed, type ModelRef, type SyncSpec } from './spec.ts';
import { NUMBERING_PLANS } from '../identity/numbering-plan.ts';

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
    originalFilePath: node.original_file_path,
  };
}

/**
 * The models that report to the syncs, marked by a meta flag: `klaviyo_rejected_rows: true` for
 * rows the dbt models left out (the package's klaviyo__rejected_rows), `klaviyo_withheld_fields:
 * true` for fields they left out of rows they ship (klaviyo__withheld_fields). One that did not
 * build in the last dbt run is a problem: the syncs could not say what their models left out.
 */
function reportingModels(
  manifest: Manifest,
  runResults: RunResultsIndex | null,
  flag: 'klaviyo_rejected_rows' | 'klaviyo_withheld_fields',
): { relations: string[]; problems: string[] } {
  const relations: string[] = [];
  const problems: string[] = [];
  const nodes = Object.values(manifest.nodes)
    .filter((n) => n.resource_type === 'model' && n.config?.meta?.[flag] === true)
    .sort((a, b) => a.unique_id.localeCompare(b.unique_id));
  for (const node of nodes) {
    const at = `model \`${node.name}\` (${node.original_file_path}, meta ${flag})`;
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

/**
 * The node `ref(name)` reads: of a versioned model, the latest version, the one its
 * `latest_version` names or else the largest, numerically when every version is a number and
 * alphabetically otherwise (https://docs.getdbt.com/reference/resource-properties/latest_version).
 */
function findByName(manifest: Manifest, name: string): ManifestNode | undefined {
  const named = Object.values(manifest.nodes).filter(
    (n) => SHIPPABLE.has(n.resource_type) && n.name === name,
  );
  if (named.length <= 1) return named[0];
  const latest = named.find(
    (n) => n.version != null && n.latest_version != null && String(n.version) === String(n.latest_version),
  );
  if (latest !== undefined) return latest;
  const numeric = named.every((n) => n.version != null && Number.isFinite(Number(n.version)));
  const larger = (a: ManifestNode, b: ManifestNode) =>
    numeric ? Number(b.version) > Number(a.version) : String(b.version ?? '') > String(a.version ?? '');
  return named.reduce((a, b) => (larger(a, b) ? b : a));
}

/**
 * What `validate` checks against the warehouse for one exposure whose model could be found, even
 * when its block has other problems: the columns the block names, and its scope's suppressions.
 */
export interface ColumnCheck {
  name: string;
  where: string;
  model: ModelRef;
  columns: string[];
  suppressions?: { name: string; relationName: string };
}

const field = (block: unknown, key: string): unknown =>
  typeof block === 'object' && block !== null ? (block as Record<string, unknown>)[key] : undefined;
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * What to say of an exposure that depends on no model. A dbt source is a table dbt did not build
 * and holds no manifest relation the runner reads, so one named alone gets its own sentence
 * (https://docs.getdbt.com/reference/exposure-properties, `depends_on`; a source's unique_id is
 * `source.<package>.<source>.<table>`).
 */
function noModel(at: string, exposure: ManifestExposure): string {
  const sources = (exposure.depends_on?.nodes ?? [])
    .filter((id) => id.startsWith('source.'))
    .map((id) => `\`${id.split('.').slice(2).join('.')}\``);
  const only =
    sources.length === 0
      ? ''
      : `, only the source${sources.length === 1 ? '' : 's'} ${sources.join(', ')}; the runner syncs a model, seed or snapshot: select from the source in a model and`;
  return `${at}: depends_on no model${only}${only === '' ? ';' : ''} add \`depends_on: [ref('your_model')]\`.`;
}

/** The node an exposure ships, or the problem that keeps it from being read. */
function shippedNode(
  manifest: Manifest,
  exposure: ManifestExposure,
  modelName: string | undefined,
  runResults: RunResultsIndex | null,
): { node: ManifestNode; relationSql: string } | { problem: string } {
  const at = where(exposure);
  const dependencies = (exposure.depends_on?.nodes ?? [])
    .map((id) => manifest.nodes[id])
    .filter((n): n is ManifestNode => n !== undefined && SHIPPABLE.has(n.resource_type));
  let node: ManifestNode | undefined;
  if (modelName !== undefined) {
    node = dependencies.find((n) => n.name === modelName);
    if (node === undefined)
      return {
        problem: `${at}: config.meta.klaviyo.model names \`${modelName}\`, which the exposure does not depend_on.`,
      };
  } else if (dependencies.length === 1) {
    node = dependencies[0]!;
  } else {
    return {
      problem:
        dependencies.length === 0
          ? noModel(at, exposure)
          : `${at}: depends_on ${dependencies.length} models (${dependencies.map((n) => n.name).join(', ')}); name the synced one in config.meta.klaviyo.model.`,
    };
  }
  if (
    node.relation_name === null ||
    node.relation_name === undefined ||
    node.config?.materialized === 'ephemeral'
  )
    return {
      problem: `${at}: model \`${node.name}\` is ephemeral, so there is no table to read; materialize it as a table or view.`,
    };
  const relation = checkRelationName(node.relation_name);
  if (!relation.ok)
    return {
      problem: `${at}: model \`${node.name}\` has relation_name ${relation.problem}. Run \`dbt parse\` again.`,
    };
  const status = runResults?.status.get(node.unique_id);
  if (status !== undefined && status !== 'success')
    return {
      problem: `${at}: model \`${node.name}\` did not build in the last dbt run (status ${status}); fix it and run \`dbt build\` again.`,
    };
  return { node, relationSql: relation.sql };
}

/**
 * Every sync the manifest declares, and every problem with them: each exposure is checked as far
 * as it can be (block, model, scope, `after`) instead of stopping at its first problem, so one run
 * names them all. Only exposures without any problem become specs.
 */
export function buildSpecs(
  manifest: Manifest,
  runResults: RunResultsIndex | null,
): { specs: SyncSpec[]; problems: string[]; checks: ColumnCheck[] } {
  const specs: SyncSpec[] = [];
  const rejectedRows = reportingModels(manifest, runResults, 'klaviyo_rejected_rows');
  const withheldFields = reportingModels(manifest, runResults, 'klaviyo_withheld_fields');
  const problems: string[] = [...rejectedRows.problems, ...withheldFields.problems];
  const checks: ColumnCheck[] = [];
  const exposures = Object.values(manifest.exposures)
    .filter((e) => mergedMeta(e).klaviyo !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));
  const syncNames = new Set(exposures.map((e) => e.name));
  for (const exposure of exposures) {
    const block = mergedMeta(exposure).klaviyo;
    const at = where(exposure);
    const own: string[] = [];
    if (!EXPOSURE_NAME.test(exposure.name))
      own.push(
        `${at}: the exposure name may hold only letters, digits, underscores and hyphens, as dbt requires; rename it.`,
      );
    const checked = checkSyncConfig(block, at);
    if (!checked.ok) own.push(...checked.problems);

    const shipped = shippedNode(manifest, exposure, text(field(block, 'model')), runResults);
    if ('problem' in shipped) own.push(shipped.problem);

    let suppressions: ColumnCheck['suppressions'];
    const suppressionsName = text(field(field(block, 'scope'), 'suppressions'));
    if (suppressionsName !== undefined) {
      const relationName = findByName(manifest, suppressionsName)?.relation_name;
      const relation = relationName == null ? null : checkRelationName(relationName);
      if (relation === null)
        own.push(
          `${at}: config.meta.klaviyo.scope.suppressions names \`${suppressionsName}\`, which is not a built model in this project.`,
        );
      else if (!relation.ok)
        own.push(
          `${at}: the suppressions model \`${suppressionsName}\` has relation_name ${relation.problem}. Run \`dbt parse\` again.`,
        );
      else suppressions = { name: suppressionsName, relationName: relation.sql };
    }

    // A region without a numbering plan passes the schema's two letters, and then drops every
    // national-format phone of the sync at run time (identity/phone.ts).
    const region = text(field(block, 'phone_region'));
    if (region !== undefined && /^[A-Z]{2}$/.test(region) && !NUMBERING_PLANS.has(region))
      own.push(
        `${at}: config.meta.klaviyo.phone_region "${region}" is not a region with a telephone numbering plan; use the ISO 3166-1 alpha-2 code of one, such as US, GB or DE.`,
      );

    const after = text(field(block, 'after'));
    if (after === exposure.name) own.push(`${at}: config.meta.klaviyo.after names the sync itself.`);
    else if (after !== undefined && !syncNames.has(after))
      own.push(`${at}: config.meta.klaviyo.after names \`${after}\`, which is not a sync exposure.`);

    problems.push(...own);
    if (!('node' in shipped)) continue;
    const model = modelRef(shipped.node, shipped.relationSql);
    checks.push({ name: exposure.name, where: at, model, columns: columnsNamed(block), suppressions });
    if (own.length > 0 || !checked.ok) continue;
    specs.push({
      name: exposure.name,
      exposureId: exposure.unique_id,
      yamlPath: exposure.original_file_path,
      tags: [...new Set([...(exposure.tags ?? []), ...(exposure.config?.tags ?? [])])],
      config: checked.config,
      model,
      rejectedRowsRelations: rejectedRows.relations,
      withheldFieldsRelations: withheldFields.relations,
      ...(suppressions !== undefined ? { suppressionsRelation: suppressions.relationName } : {}),
    });
  }
  return { specs, problems, checks };
}
