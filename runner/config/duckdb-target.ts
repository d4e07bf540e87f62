/**
 * A dbt-duckdb target: the DuckDB file (`path`) and the databases its `attach:` list adds, read
 * the way dbt-duckdb reads them (https://github.com/duckdb/dbt-duckdb#attaching-additional-databases),
 * so a model built into an attached database (`database: mart` on the model or the target) is read
 * under the catalog name dbt gave its relation (`"mart"."main"."customers"`).
 *
 * Each entry takes `path`, `alias` (default: the file's name without its extension, as dbt-duckdb
 * names it), `type`, `read_only`, `secret`, `is_ducklake` and `options` (further ATTACH options,
 * which may also hold `type`, `read_only` and `secret`). The runner attaches local DuckDB files. A
 * database of another type (sqlite, postgres, ducklake) or at a URL (`md:`, `s3://`) needs a
 * DuckDB extension, and often network access or credentials, that the runner does not load: such
 * an entry is kept aside with its reason, and reading a model that lives there is refused naming
 * the entry (`runner/source/duckdb-attach.ts`), while models elsewhere sync as before.
 */
import path from 'node:path';
import { ConfigError } from '../errors.ts';

export interface DuckDbAttachment {
  /** The catalog name models refer to, as dbt-duckdb attaches it. */
  alias: string;
  /** The file, resolved like the target's `path`; the entry's own text when it is not a file. */
  path: string;
  /** Further ATTACH options from `options`, other than `type`, `read_only` and `secret`. */
  options: Record<string, string | number | boolean>;
  /** Says which entry this is, for messages: `profiles.yml: target \`dev\`, attach entry 2 (mart.duckdb)`. */
  where: string;
  /** Why the runner cannot attach it; undefined when it can. */
  unsupported?: string;
}

export interface DuckDbConnection {
  type: 'duckdb';
  path: string;
  attach: DuckDbAttachment[];
}

/** A URL scheme (`md:`, `s3://`, `ducklake:`), not a Windows drive letter (`C:\`). */
const URL_SCHEME = /^([a-z][a-z0-9+.-]+):/i;
const OPTION_KEY = /^[a-z_][a-z0-9_]*$/i;

function record(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * dbt-duckdb names an attachment without `alias` by its file: the last part of the path without
 * its extension (`./data/mart.duckdb` → `mart`), the name DuckDB gives it too
 * (https://duckdb.org/docs/stable/sql/statements/attach).
 */
function derivedAlias(file: string): string {
  const withoutQuery = file.split('?')[0] ?? file;
  return path.parse(withoutQuery.replace(URL_SCHEME, '')).name;
}

function attachment(
  raw: unknown,
  index: number,
  where: string,
  resolve: (p: string) => string,
): DuckDbAttachment {
  const entryWhere = `${where}, attach entry ${index + 1}`;
  if (!record(raw) || typeof raw.path !== 'string' || raw.path === '')
    throw new ConfigError(`${entryWhere}: give each attached database a \`path\`.`);
  const file = raw.path;
  const options = raw.options === undefined || raw.options === null ? {} : raw.options;
  if (!record(options)) throw new ConfigError(`${entryWhere} (${file}): \`options\` must be a mapping.`);
  for (const key of ['type', 'read_only', 'secret'])
    if (raw[key] !== undefined && raw[key] !== null && options[key] !== undefined)
      // dbt-duckdb refuses the same setting given twice, so the profile could not have built.
      throw new ConfigError(`${entryWhere} (${file}): \`${key}\` is given both directly and in \`options\`.`);
  const alias = raw.alias === undefined || raw.alias === null ? derivedAlias(file) : String(raw.alias);
  if (alias === '') throw new ConfigError(`${entryWhere} (${file}): give it an \`alias\`.`);
  const type = String(raw.type ?? options.type ?? 'duckdb').toLowerCase();
  const scheme = URL_SCHEME.exec(file)?.[1]?.toLowerCase();
  const extra: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(options)) {
    if (['type', 'read_only', 'secret'].includes(key) || value === null) continue;
    if (!OPTION_KEY.test(key) || !['string', 'number', 'boolean'].includes(typeof value))
      throw new ConfigError(
        `${entryWhere} (${file}): option \`${key}\` must be a name with a text, number or true/false value.`,
      );
    extra[key] = value as string | number | boolean;
  }
  const unsupported =
    type !== 'duckdb'
      ? `a database of type \`${type}\` needs DuckDB's ${type} extension, which klaviyo-runner does not load`
      : raw.is_ducklake === true || scheme === 'ducklake'
        ? "a DuckLake needs DuckDB's ducklake extension, which klaviyo-runner does not load"
        : scheme !== undefined && scheme !== 'file'
          ? `a database at a \`${scheme}:\` address needs a DuckDB extension and its credentials, which klaviyo-runner does not load`
          : undefined;
  return {
    alias,
    path: unsupported === undefined ? resolve(file.replace(/^file:(\/\/)?/i, '')) : file,
    options: extra,
    where: `${entryWhere} (${file}, as \`${alias}\`)`,
    ...(unsupported === undefined ? {} : { unsupported }),
  };
}

/**
 * The target's DuckDB file and attachments. Relative paths are resolved by `resolve` (the project
 * directory; docs/dbt.md, "profiles.yml").
 */
export function duckdbTarget(
  output: Record<string, unknown>,
  where: string,
  resolve: (p: string) => string,
): DuckDbConnection {
  const file = output.path === undefined || output.path === null ? ':memory:' : String(output.path);
  if (file === ':memory:')
    throw new ConfigError(
      `${where} uses an in-memory DuckDB, which the runner cannot share with dbt; set \`path\`.`,
    );
  const list = output.attach ?? [];
  if (!Array.isArray(list)) throw new ConfigError(`${where}: \`attach\` must be a list of databases.`);
  const attach = list.map((raw, i) => attachment(raw, i, where, resolve));
  return { type: 'duckdb', path: resolve(file), attach };
}
