/**
 * `npm run build` (and `prepack`, so `npm pack` and `npm publish` ship it): bundles runner/ with
 * esbuild into dist/, writes the declarations with tsc, and copies the files the code reads beside
 * itself (the Handlebars templates of report/). It starts from an empty dist/, so a deleted
 * source leaves no stale module.
 *
 * Why a bundler rather than tsc's one JavaScript file per source (README, "Start-up"): Node
 * resolves, reads and links every ES module separately, and a CommonJS dependency imported from
 * ES modules goes through the CommonJS loader and its export scanner. `klaviyo-runner --version`
 * loaded 15 modules of ours and commander's 6; bundled, dist/cli.js and a few small shared chunks.
 * The commands keep their `await import()`s, which esbuild turns into separate chunks
 * (https://esbuild.github.io/api/#splitting), so `--help` still loads no warehouse driver, HTTP
 * client or sandbox.
 *
 * What is bundled: our code and the pure-JavaScript dependencies every command or validate loads
 * (BUNDLED). The others stay imports of the installed packages (snowflake-sdk and DuckDB carry
 * native code or files read beside themselves; they load only in the commands that use them).
 *
 * No JSON Schema is compiled when the packaged CLI runs: every schema the runner registers through
 * runner/json-schema.ts is compiled here, with Ajv's standalone code, into the functions the
 * bundle carries (runnerSources below).
 *
 * Every output file sits directly in dist/ (entries and chunks alike), so the sources' paths
 * relative to `import.meta.url` (package.json, schema/, report/templates/) are rewritten once, to
 * paths from dist/, by the plugin below (runnerSources).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import standalone from 'ajv/dist/standalone/index.js';
import * as esbuild from 'esbuild';
import type { SchemaSpec } from '../runner/json-schema.ts';

const root = path.resolve(import.meta.dirname, '..');
const runner = path.join(root, 'runner');
const dist = path.join(root, 'dist');

/** Dependencies compiled into the bundle: loaded by every command (commander) or by validate. */
export const BUNDLED = ['commander', 'ajv', 'yaml'];

/** The entries: the CLI, and the sandbox the package exports as `klaviyo-runner/sandbox`. */
const ENTRIES = { cli: path.join(runner, 'cli.ts'), sandbox: path.join(runner, 'sandbox', 'server.ts') };

/** A dependency is bundled when it (or a subpath of it) is in BUNDLED. */
const bundled = (specifier: string) =>
  BUNDLED.some((name) => specifier === name || specifier.startsWith(`${name}/`));

/**
 * `new URL('<relative path>', import.meta.url)` in a source under runner/ names a file relative to
 * that source. In dist/ the code runs from dist/<file>.js, so the path is rewritten to the same
 * file seen from dist/: a file under runner/ is found where this build copies it (dist/<same
 * path>), any other (package.json, schema/) where the package ships it. A template literal's
 * static start (`./templates/${name}`) is rewritten the same way.
 */
const URL_RELATIVE = /new URL\((['"`])(\.{1,2}\/[^'"`$]*)/g;

/** What may stand before `import.meta` in a source: a rewritten URL, or createRequire (resolves packages alike). */
const META_USES = [/new URL\((['"`])\.{1,2}\/[^'"`]*\1, $/, /createRequire\($/];

export function rewriteRelativeUrls(source: string, file: string): string {
  for (const use of source.matchAll(/import\.meta\b(\.\w+)?/g)) {
    const before = source.slice(Math.max(0, use.index - 200), use.index);
    if (use[1] !== '.url' || !META_USES.some((allowed) => allowed.test(before)))
      throw new Error(
        `build: ${path.relative(root, file)} uses ${use[0]} in a way the bundle cannot keep (only new URL('./relative', import.meta.url) and createRequire(import.meta.url)).`,
      );
  }
  return source.replace(URL_RELATIVE, (_, quote: string, relative: string) => {
    const target = path.resolve(path.dirname(file), relative);
    const shipped = target.startsWith(runner + path.sep)
      ? path.join(dist, path.relative(runner, target))
      : target;
    let fromDist = path.relative(dist, shipped).split(path.sep).join('/');
    if (!fromDist.startsWith('.')) fromDist = `./${fromDist}`;
    if (relative.endsWith('/')) fromDist += '/';
    return `new URL(${quote}${fromDist}`;
  });
}

/**
 * Every JSON Schema the runner registers: `schemaValidator` is called when a module loads, so
 * importing every module of runner/ from the sources (but cli.ts, which runs the program)
 * registers them all, including the ones a module registers through a helper (checkedOptions).
 */
export async function registeredSchemas(): Promise<SchemaSpec[]> {
  const { REGISTERED } = await import('../runner/json-schema.ts');
  const modules = (readdirSync(runner, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'cli.ts')
    .sort();
  for (const file of modules) await import(pathToFileURL(path.join(runner, file)).href);
  return [...REGISTERED.values()];
}

/** Ajv's standalone code of the spec: CommonJS, setting module.exports to the function. */
export function standaloneFunction(spec: SchemaSpec): string {
  const options = { ...spec.options, code: { source: true } };
  const ajv = spec.draft2020 ? new Ajv2020(options) : new Ajv(options);
  return standalone.default(ajv, ajv.compile(spec.schema));
}

/**
 * A module whose default export creates the spec's validation function: the standalone code run
 * inside it, on first use, its `require`s of Ajv's runtime helpers bundled.
 */
function standaloneModule(spec: SchemaSpec): string {
  return `export default function create() {\nconst module = { exports: {} };\n${standaloneFunction(spec)}\nreturn module.exports;\n}\n`;
}

/**
 * The module that spells a schema's id, or failing that the longest start of it cut at an
 * underscore (`'klaviyo_list'` for klaviyo_list_page, `'plan'` for plan_options), as a quoted
 * literal, when exactly one does; none when no module or several do.
 */
export function ownerOf(id: string, texts: Map<string, string>): string | undefined {
  const parts = id.split('_');
  for (let n = parts.length; n > 0; n--) {
    const literal = `'${parts.slice(0, n).join('_')}'`;
    const spelled = [...texts].filter(([, text]) => text.includes(literal)).map(([file]) => file);
    if (spelled.length === 1) return spelled[0];
    if (spelled.length > 1) return undefined;
  }
  return undefined;
}

/**
 * How runner/'s sources enter the bundle: their relative URLs rewritten (above), their JSON
 * Schemas precompiled. A schema is supplied by the module that spells its id (ownerOf:
 * `id: 'dbt_manifest'`, `shape('klaviyo_list', …)`) through `providePrecompiled`, so its code
 * loads with the command that uses it; the others fill runner/json-schema.ts's `PRECOMPILED`
 * table, loaded by every command. Each precompiled function is a module of its own (`precompiled-schema:<id>`).
 * Bare imports stay imports of the installed packages unless BUNDLED.
 */
function runnerSources(specs: SchemaSpec[]): esbuild.Plugin {
  const registry = path.join(runner, 'json-schema.ts');
  const table = 'const PRECOMPILED: Record<string, () => Validator<unknown>> = {};';
  const modules = (readdirSync(runner, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => path.join(runner, f));
  const texts = new Map(modules.filter((f) => f !== registry).map((f) => [f, readFileSync(f, 'utf8')]));
  const owner = new Map<string, string>();
  for (const spec of specs) {
    const found = ownerOf(spec.id, texts);
    if (found !== undefined) owner.set(spec.id, found);
  }
  const create = (spec: SchemaSpec, i: number) => `import create${i} from 'precompiled-schema:${spec.id}';`;
  return {
    name: 'runner-sources',
    setup(build) {
      build.onLoad({ filter: /[/\\]runner[/\\].*\.ts$/ }, (args) => {
        let contents = rewriteRelativeUrls(readFileSync(args.path, 'utf8'), args.path);
        if (args.path === registry) {
          if (!contents.includes(table))
            throw new Error(`build: ${args.path} no longer declares \`${table}\``);
          const central = specs.filter((spec) => !owner.has(spec.id));
          contents = contents.replace(
            table,
            [
              ...central.map(create),
              `const PRECOMPILED: Record<string, () => Validator<unknown>> = { ${central
                .map((spec, i) => `${JSON.stringify(spec.id)}: create${i}`)
                .join(', ')} };`,
            ].join('\n'),
          );
        } else {
          const own = specs.filter((spec) => owner.get(spec.id) === args.path);
          if (own.length > 0) {
            const from = path.relative(path.dirname(args.path), registry).split(path.sep).join('/');
            contents += [
              '',
              `import { providePrecompiled } from '${from.startsWith('.') ? from : `./${from}`}';`,
              ...own.map(create),
              ...own.map((spec, i) => `providePrecompiled(${JSON.stringify(spec.id)}, create${i});`),
            ].join('\n');
          }
        }
        return { contents, loader: 'ts' };
      });
      build.onResolve({ filter: /^precompiled-schema:/ }, (args) => ({
        path: args.path.slice('precompiled-schema:'.length),
        namespace: 'precompiled-schema',
      }));
      build.onLoad({ filter: /.*/, namespace: 'precompiled-schema' }, (args) => {
        const spec = specs.find((s) => s.id === args.path)!;
        // The generated code requires Ajv's small runtime helpers, bundled from our node_modules.
        return { contents: standaloneModule(spec), loader: 'js', resolveDir: root };
      });
      build.onResolve({ filter: /^[^./]/ }, (args) =>
        args.path.startsWith('node:') || bundled(args.path) ? undefined : { path: args.path, external: true },
      );
    },
  };
}

export async function build(): Promise<esbuild.Metafile> {
  rmSync(dist, { recursive: true, force: true });
  const engines = (
    JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      engines: { node: string };
    }
  ).engines.node;
  const result = await esbuild.build({
    entryPoints: ENTRIES,
    outdir: dist,
    entryNames: '[name]',
    chunkNames: '[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: `node${engines.replace(/^>=/, '')}`,
    // A bundled CommonJS dependency calls require() for Node's modules; an ES module has none.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    plugins: [runnerSources(await registeredSchemas())],
    metafile: true,
    logLevel: 'warning',
  });
  const nested = Object.keys(result.metafile.outputs).filter(
    (out) => path.dirname(path.resolve(root, out)) !== dist,
  );
  if (nested.length > 0)
    throw new Error(`build: outputs must sit directly in dist/, found ${nested.join(', ')}`);
  execFileSync(
    process.execPath,
    [
      path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      path.join(root, 'tsconfig.build.json'),
      '--emitDeclarationOnly',
    ],
    { stdio: 'inherit' },
  );
  cpSync(path.join(runner, 'report', 'templates'), path.join(dist, 'report', 'templates'), {
    recursive: true,
  });
  return result.metafile;
}

if (import.meta.filename === process.argv[1]) await build();
