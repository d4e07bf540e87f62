/**
 * Vitest's global setup: every scratch folder of a test run (the tests' own, and those of the
 * CLIs, dbt and sandboxes they start, which inherit the environment) goes under one folder,
 * removed when the run ends. The tests make DuckDB files and dbt projects by the hundred; without
 * this, each run left them in the system's temporary folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(path.join(os.tmpdir(), 'kr-test-run-'));
  // os.tmpdir() and Python's tempfile both read TMPDIR.
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
