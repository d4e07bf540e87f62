/**
 * `npm run build` (and `prepack`, so `npm pack` and `npm publish` ship it): compiles runner/ to
 * dist/ with declarations, from an empty dist/ so a deleted source leaves no stale module, and
 * copies the files the code reads beside itself (the Handlebars templates of report/).
 * tsc rewrites the sources' `.ts` import paths to `.js`
 * (https://www.typescriptlang.org/tsconfig/#rewriteRelativeImportExtensions).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');

rmSync(dist, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.build.json')],
  { stdio: 'inherit' },
);
cpSync(path.join(root, 'runner', 'report', 'templates'), path.join(dist, 'report', 'templates'), {
  recursive: true,
});
