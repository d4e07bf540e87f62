import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

/**
 * `npm run test:emulator` (and `npm run test:snowflake` on a real account): the whole path on
 * Snowflake, test/sync-snowflake.test.ts, with the main config's timeouts and reporters.
 */
export default defineConfig({
  test: { ...base.test, include: ['test/sync-snowflake.test.ts'], exclude: [] },
});
