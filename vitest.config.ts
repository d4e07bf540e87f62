import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['runner/**/*.test.ts', 'test/**/*.test.ts'],
    // The end-to-end run on the Snowflake emulator has its own command (npm run test:emulator,
    // vitest.emulator.config.ts), kept apart until it has passed repeatedly (README, Snowflake section).
    exclude: ['test/sync-snowflake.test.ts', '**/node_modules/**'],
    // Integration tests run real dbt and real HTTP servers; give them room, and run files one
    // at a time per worker so two dbt builds never fight over one DuckDB file.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/reporters/plain-summary.ts'],
  },
});
