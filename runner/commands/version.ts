/** `--version`: the numbers a bug report needs, gathered from the stages that own them. */
import { KLAVIYO_REVISION } from '../klaviyo/revision.ts';
import { MANIFEST_SCHEMAS, schemaName } from '../manifest/versions.ts';
import { DBT_PACKAGE_NAME, RUNNER_VERSION } from '../version.ts';

/** What `klaviyo-runner --version` prints: everything a bug report needs to place a run. */
export function versionText(): string {
  return [
    `klaviyo-runner ${RUNNER_VERSION}`,
    `Klaviyo API revision: ${KLAVIYO_REVISION}`,
    `dbt manifest: ${MANIFEST_SCHEMAS.map(schemaName).join(', ')}`,
    `dbt package: ${DBT_PACKAGE_NAME} ${RUNNER_VERSION}`,
  ].join('\n');
}
