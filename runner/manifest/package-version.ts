/**
 * The runner and the dbt package are released as one version. The package stamps its version on
 * its models (`+meta: { klaviyo_runner_version: … }` in its dbt_project.yml, which dbt copies
 * into each node's `config.meta` in manifest.json:
 * https://docs.getdbt.com/reference/resource-configs/meta), so the runner can tell which
 * package version built the manifest it reads.
 */
import type { Manifest } from './read.ts';

export const VERSION_META_KEY = 'klaviyo_runner_version';

/**
 * A warning naming both versions when the manifest's models come from another version of the dbt
 * package than this runner's; null when they agree or the project does not use the package's models.
 */
export function packageVersionWarning(
  manifest: Manifest,
  packageName: string,
  runnerVersion: string,
): string | null {
  const found = new Set<string>();
  for (const node of Object.values(manifest.nodes)) {
    if (node.package_name !== packageName || node.resource_type !== 'model') continue;
    const stamped = node.config?.meta?.[VERSION_META_KEY];
    found.add(typeof stamped === 'string' ? stamped : 'unknown (no version stamp)');
  }
  const others = [...found].filter((v) => v !== runnerVersion).sort();
  if (others.length === 0) return null;
  return (
    `the manifest was built with dbt package ${packageName} ${others.join(', ')}, ` +
    `but this klaviyo-runner is ${runnerVersion}. Install matching versions ` +
    `(packages.yml \`revision: v${runnerVersion}\`, then \`dbt deps\` and \`dbt build\`; ` +
    `or \`npm install klaviyo-runner@<the package's version>\`).`
  );
}
