/**
 * The pull-request comment of a real plan: 100,000 new profiles in DuckDB, 2,000 of them with an
 * email Klaviyo cannot take, planned against a state schema that does not exist.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { spec } from '../../test/fixtures/specs.ts';
import { planSync, type PlanResult } from '../plan/plan.ts';
import { openDuckDb } from '../source/duckdb.ts';
import { readOnlyStateOf } from '../state/schema.ts';
import { buildComment, COMMENT_MARKER, GITHUB_COMMENT_LIMIT } from './pr-comment.ts';
import { renderMarkdown } from './plan-report.ts';

const ROWS = 100_000;

async function bigPlan(): Promise<PlanResult> {
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'kr-comment-')), 'big.duckdb');
  const instance = await DuckDBInstance.create(file);
  const conn = await instance.connect();
  await conn.run(`create table profiles as
    select 'P' || lpad(cast(i as varchar), 6, '0') as id,
      case when i % 50 = 0 then 'person' || i || '@@example' else 'person' || i || '@example.com' end as email,
      ['champions', 'loyal', 'at_risk'][1 + i % 3] as rfm_segment
    from range(${ROWS}) t(i)`);
  conn.closeSync();
  instance.closeSync();
  const wh = await openDuckDb(file, true);
  try {
    const { state } = await readOnlyStateOf(wh, 'klaviyo_runner');
    const s = spec({ object: 'profile', properties: ['rfm_segment'] }, 'big_profiles');
    s.model.relationName = 'main.profiles';
    const planned = await planSync(state, s);
    return {
      generatedAt: '2026-12-01T00:00:00.000Z',
      stateSchema: 'klaviyo_runner',
      stateRelation: '"klaviyo_runner"."snapshot"',
      modelSchemas: ['main'],
      deferred: [],
      stateFound: false,
      mode: {},
      syncs: [planned],
      removedSyncs: [],
      totals: {
        send: planned.counts.send,
        rejected: planned.counts.rejected,
        leftOutByModel: 0,
        requests: 0,
        seconds: 0,
      },
      deletions: { syncs: [], people: 0, requests: 0, heldBack: 0 },
      warnings: [],
    };
  } finally {
    await wh.close();
  }
}

describe('the pull-request comment', () => {
  let result: PlanResult;
  beforeAll(async () => {
    result = await bigPlan();
  });

  it('keeps a 100,000-row plan under GitHub’s limit, with its marker, summary and rejected rows', () => {
    expect(result.syncs[0]!.counts).toMatchObject({ create: ROWS, rejected: 2000, send: 98_000 });
    // Listed in full, the plan's 1,000 rejected rows alone are over the limit.
    expect(renderMarkdown(result, { examples: true, rejectedRows: 1000 }).length).toBeGreaterThan(
      GITHUB_COMMENT_LIMIT,
    );
    const comment = buildComment(result, { fullPlan: 'the `klaviyo-plan` artifact' });
    expect(comment.body.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(comment.body.startsWith(`${COMMENT_MARKER}\n`)).toBe(true);
    expect(comment.body).toContain('| `big_profiles` | profile | 100000 | 0 | 0 | 0 | 2000 |');
    expect(comment.body).not.toContain('- **create**');
    expect(comment.cut).toEqual([
      'field-level examples',
      expect.stringMatching(/^rejected rows beyond \d+ per sync$/),
    ]);
    const shown = comment.body.match(/^\| `P\d{6}` \| `email` \|/gm)!.length;
    expect(shown).toBeGreaterThan(300);
    expect(comment.body).toContain(
      `…and ${2000 - shown} more (the full plan is in the \`klaviyo-plan\` artifact).`,
    );
    expect(comment.body).toContain(
      '> This comment leaves out field-level examples and rejected rows beyond ' +
        `${shown} per sync to stay under GitHub's 65,536-character limit (2000 rows are rejected in all). The full plan is in the \`klaviyo-plan\` artifact.`,
    );
  });

  it('shows the whole plan, examples and all, when it fits', () => {
    const small = {
      ...result,
      syncs: [{ ...result.syncs[0]!, rejected: result.syncs[0]!.rejected.slice(0, 3) }],
    };
    const comment = buildComment(small);
    expect(comment.cut).toEqual([]);
    expect(comment.body).toContain('- **create** `P000001`');
    expect(comment.body.match(/^\| `P\d{6}` \| `email` \|/gm)).toHaveLength(3);
  });

  it('cuts the examples before any rejected row', () => {
    const whole = buildComment(result, { maxChars: 1_000_000 }).body.length;
    const comment = buildComment(result, { maxChars: whole - 1 });
    expect(comment.cut).toEqual(['field-level examples']);
    expect(comment.body.match(/^\| `P\d{6}` \| `email` \|/gm)).toHaveLength(1000);
  });
});
