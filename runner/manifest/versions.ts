/**
 * The dbt artifacts this runner reads, by schema version. dbt-core 1.8 to 1.12 write manifest v12
 * (https://docs.getdbt.com/reference/artifacts/manifest-json, https://schemas.getdbt.com/).
 * Kept apart from read.ts so `--version` can name them without loading the manifest validator.
 */
export const MANIFEST_SCHEMAS = ['https://schemas.getdbt.com/dbt/manifest/v12.json'] as const;

/** `v12` from `https://schemas.getdbt.com/dbt/manifest/v12.json`. */
export function schemaName(url: string): string {
  return /\/(v\d+)\.json$/.exec(url)?.[1] ?? url;
}
