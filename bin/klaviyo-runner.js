#!/usr/bin/env node
// Entry of `klaviyo-runner`. It first checks the Node version against package.json `engines`,
// with syntax and APIs every Node since 14 has, so an older Node gets one clear line instead of
// a syntax error from deep inside a dependency (https://docs.npmjs.com/cli/v10/configuring-npm/package-json#engines:
// npm only warns about engines).
//
// Then it runs the compiled CLI (dist/, built by `npm run build` before `npm pack`) in an
// installed package, or the TypeScript sources through tsx in a checkout of the repository,
// where runner/ is present: there `npm run demo`, `npm test` and `npx klaviyo-runner` always run
// the current code, with no build step to forget and no stale dist/ to mislead.
import { existsSync, readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const floor = /^>=(\d+)\.(\d+)\.(\d+)$/.exec(pkg.engines.node);
if (floor === null) throw new Error(`package.json engines.node must read ">=X.Y.Z", not ${pkg.engines.node}`);
const have = process.versions.node.split('.').map(Number);
const need = floor.slice(1).map(Number);
const older =
  have[0] !== need[0] ? have[0] < need[0] : have[1] !== need[1] ? have[1] < need[1] : have[2] < need[2];
if (older) {
  console.error(
    `klaviyo-runner ${pkg.version} needs Node ${need.join('.')} or newer; this is Node ${process.versions.node}.`,
  );
  process.exit(2);
}

if (existsSync(new URL('../runner/cli.ts', import.meta.url))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../runner/cli.ts');
} else {
  await import('../dist/cli.js');
}
