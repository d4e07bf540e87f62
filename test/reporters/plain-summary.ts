/**
 * Ends every test run with one plain line, "N passed, N failed[, N skipped]", which any CI log
 * reader understands, after vitest's own report. A file that failed without a failed test (it crashed, or a
 * hook threw) and an error vitest caught outside any test count as failed, so the line never reads green
 * when the run is not.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class PlainSummary implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const module of testModules) {
      let failedInModule = 0;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'skipped') skipped += 1;
        else failedInModule += 1;
      }
      // A file that failed with no failed test (it crashed, or a beforeAll hook threw and its
      // tests were skipped) still counts once.
      failed += module.state() === 'failed' ? Math.max(failedInModule, 1) : failedInModule;
    }
    process.stdout.write(
      `\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`,
    );
  }
}
