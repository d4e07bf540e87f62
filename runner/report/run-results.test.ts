import { mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  emptyCounts,
  overallStatus,
  writeRunResults,
  type RunResults,
  type SyncResult,
} from './run-results.ts';

const result = (status: SyncResult['status']): SyncResult => ({
  sync: 's',
  unique_id: 'exposure.p.s',
  object: 'profile',
  model: 'm',
  status,
  message: '',
  timing: { started_at: '', completed_at: '' },
  execution_time: 0,
  counts: emptyCounts(),
  requests: {},
  jobs: [],
  rejected: [],
  failed: [],
  dropped_fields: [],
  held_back: [],
  left_out_by_model: [],
  left_out_by_reason: {},
  withheld_by_model: [],
  withheld_by_reason: {},
});

describe('overallStatus', () => {
  it.each([
    [['success', 'success'], 'success'],
    [['success', 'partial'], 'partial'],
    // A sync skipped for another run's lock exits 2: the headline says so too.
    [['success', 'skipped'], 'skipped'],
    [['partial', 'skipped'], 'skipped'],
    [['skipped', 'error'], 'error'],
    [['error', 'interrupted', 'skipped'], 'interrupted'],
    [[], 'success'],
  ] as const)('%j → %s', (statuses, expected) => {
    expect(overallStatus(statuses.map(result))).toBe(expected);
  });
});

describe('writeRunResults', () => {
  it('never follows a symlink planted where a temp file could be', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'klaviyo-runner-results-'));
    const victim = path.join(dir, 'victim.txt');
    await writeFile(victim, 'untouched\n');
    // The name an earlier version wrote through.
    await symlink(victim, path.join(dir, `klaviyo_run_results.json.${process.pid}.tmp`));
    const results = { status: 'success', message: '', results: [] } as unknown as RunResults;
    const file = await writeRunResults(dir, results);
    expect(await readFile(victim, 'utf8')).toBe('untouched\n');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(results);
  });
});
