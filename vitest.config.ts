import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['runner/**/*.test.ts', 'test/**/*.test.ts'],
    // test/sync-snowflake.test.ts runs here on the Snowflake emulator; `npm run test:emulator`
    // runs it alone, and `npm run test:snowflake` against a real account (README, Snowflake).
    exclude: ['**/node_modules/**'],
    // Integration tests run real dbt and real HTTP servers; give them room, and run files one
    // at a time per worker so two dbt builds never fight over one DuckDB file.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/reporters/plain-summary.ts'],
    globalSetup: ['./test/helpers/scratch.ts'],
  },
});
