#!/usr/bin/env node
// Entry for `npx klaviyo-runner`: runs the TypeScript sources through tsx's loader, so the
// repository needs no build step between `npm ci` and the first command.
import { register } from 'tsx/esm/api';

register();
await import('../runner/cli.ts');
