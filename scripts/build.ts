/**
 * `npm run build` (and `prepack`, so `npm pack` and `npm publish` ship it): bundles runner/ with
 * esbuild into dist/, writes the declarations with tsc, and copies the files the code reads beside
 * itself (the Handlebars templates of report/). It starts from an empty dist/, so a deleted
 * source leaves no stale module.
 *
 * Why a bundler rather than tsc's one JavaScript file per source (README, "Start-up"): Node
 * resolves, reads and links every ES module separately, and a CommonJS dependency imported from
 * ES modules goes through the CommonJS loader and its export scanner. `klaviyo-runner --version`
 * loaded 15 modules of ours and commander's 6; bundled, it loads dist/cli.js and one shared chunk.
 * The commands keep their `await import()`s, which esbuild turns into separate chunks
 * (https://esbuild.github.io/api/#splitting), so `--help` still loads no warehouse driver, HTTP
 * client or sandbox.
 *
 * What is bundled: our code and the pure-JavaScript dependencies every command or validate loads
 * (BUNDLED). The others stay imports of the installed packages (snowflake-sdk and DuckDB carry
 * native code or files read beside themselves; they load only in the commands that use them).
 *
 * Every output file sits directly in dist/ (entries and chunks alike), so the sources' paths
 * relative to `import.meta.url` (package.json, schema/, report/templates/) are rewritten once, to
 * paths from dist/, by the plugin below.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';

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

export function rewriteRelativeUrls(source: string, file: string): string {
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

const relativeUrls: esbuild.Plugin = {
  name: 'relative-urls',
  setup(build) {
    build.onLoad({ filter: /[/\\]runner[/\\].*\.ts$/ }, (args) => ({
      contents: rewriteRelativeUrls(readFileSync(args.path, 'utf8'), args.path),
      loader: 'ts',
    }));
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('node:') || bundled(args.path) ? undefined : { path: args.path, external: true },
    );
  },
};

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
    plugins: [relativeUrls],
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
