import { describe, expect, it } from 'vitest';
import type { PlanResult } from '../plan/plan.ts';
import { renderPlan } from './plan-report.ts';

const result: PlanResult = {
  generatedAt: '2026-11-22T00:00:00.000Z',
  stateSchema: 'klaviyo_runner',
  stateRelation: '"klaviyo_runner"."snapshot"',
  modelSchemas: ['"demo"."main"'],
  deferred: [],
  stateFound: true,
  removedSyncs: [],
  syncs: [
    {
      sync: 'klaviyo_profiles_rfm',
      object: 'profile',
      model: 'klaviyo__profiles',
      relation: '"demo"."main"."klaviyo__profiles"',
      after: null,
      counts: {
        create: 0,
        update: 1,
        unchanged: 564,
        remove: 0,
        duplicateKeys: 0,
        skippedByScope: 0,
        waitingOnAfter: 0,
        changedEvents: 0,
        changedEventsReported: 0,
        previouslyRejected: 5,
        nullKeys: 0,
        retried: 0,
        resent: 0,
        synced: 570,
        rejected: 1,
        send: 1,
        leftOutByModel: 0,
        withheldByModel: 0,
        fieldsDropped: 1,
      },
      newProfiles: 0,
      unsubscribes: 0,
      examples: [
        {
          kind: 'update',
          key: 'C00002',
          fields: [{ field: 'first_name', before: 'Owen', after: 'Leonora' }],
        },
      ],
      rejected: [
        {
          sync: 'klaviyo_profiles_rfm',
          model: 'klaviyo__profiles',
          key: 'C00023',
          column: 'phone_number',
          reason: '"+15550105738" is not a valid phone number',
        },
      ],
      leftOutByModel: [],
      leftOutByReason: {},
      withheldByModel: [],
      withheldByReason: {},
      droppedFields: [
        {
          sync: 'klaviyo_profiles_rfm',
          model: 'klaviyo__profiles',
          key: 'C00002',
          column: 'phone_number',
          reason: 'phone_number dropped: "+15550105739" is not a valid phone number',
        },
      ],
      estimate: {
        requests: { bulk_import_profiles: 1, get_bulk_import_profiles_job: 3 },
        total: 4,
        seconds: 0.4,
      },
      guard: { removing: 0, synced: 570, maxPercent: 20, trips: false, allowed: false, message: '' },
      configChanges: [],
      startsOver: false,
      erasures: 0,
      heldBackErased: 0,
      heldBack: [],
    },
  ],
  totals: { send: 1, rejected: 1, leftOutByModel: 0, requests: 4, seconds: 0.4 },
  mode: { retryRejected: false, fullRefresh: false, allowMassRemoval: false },
  deletions: { syncs: [], people: 0, requests: 0, heldBack: 0 },
  warnings: [],
};

describe('plan reports', () => {
  it('renders a pull-request comment with counts, field-level changes and rejections', () => {
    const md = renderPlan(result, 'markdown');
    expect(md).toContain(
      "**1** change to send in about **4** Klaviyo requests (≈ 0.4 s at Klaviyo's published rate limits). **1** row would be rejected.",
    );
    expect(md).toContain('| `klaviyo_profiles_rfm` | profile | 0 | 1 | 564 | 0 | 1 | 0 | 0 | 0 | 4 |');
    expect(md).toContain('- **update** `C00002`\n  - `first_name`: `"Owen"` → `"Leonora"`');
    expect(md).toContain('| `C00023` | `phone_number` | "+15550105738" is not a valid phone number |');
    expect(md).toContain('5 row(s) rejected earlier and unchanged since are not resent (`--retry-rejected`');
    expect(md).toContain(
      '| `C00002` | `phone_number` | phone_number dropped: "+15550105739" is not a valid phone number |',
    );
  });

  it('renders text for a terminal and JSON for machines', () => {
    const text = renderPlan(result, 'text');
    expect(text).toContain(
      'klaviyo_profiles_rfm (profile ← klaviyo__profiles)\n  create 0, update 1, unchanged 564, remove 0, rejected 1',
    );
    expect(text).toContain('    first_name: "Owen" → "Leonora"');
    expect(text).toContain(
      '  sent without phone_number: C00002: phone_number dropped: "+15550105739" is not a valid phone number',
    );
    expect(JSON.parse(renderPlan(result, 'json'))).toEqual(result);
  });
});

describe('plan reports of a project with warnings', () => {
  it('says each warning before the syncs, in text and in the comment', () => {
    const warned = {
      ...result,
      warnings: ['syncs `web_orders`, `till_orders` both send metric "Placed Order": keep keys distinct.'],
    };
    expect(renderPlan(warned, 'text')).toContain(
      'klaviyo-runner plan (1 sync, state schema klaviyo_runner)\nwarning: syncs `web_orders`, `till_orders` both send metric "Placed Order": keep keys distinct.\n\nklaviyo_profiles_rfm',
    );
    expect(renderPlan(warned, 'markdown')).toContain(
      '\n> **Warning:** syncs `web_orders`, `till_orders` both send metric "Placed Order": keep keys distinct.\n',
    );
    expect(renderPlan(result, 'text')).not.toContain('warning:');
  });
});

describe('plan reports of a sync that waits for another', () => {
  it('names the sync it waits for and says when its rows go', () => {
    const list = {
      ...result.syncs[0]!,
      sync: 'klaviyo_winback_list',
      object: 'list_membership',
      after: 'klaviyo_profiles_rfm',
      counts: { ...result.syncs[0]!.counts, waitingOnAfter: 122 },
    };
    const waiting = { ...result, syncs: [list] };
    expect(renderPlan(waiting, 'text')).toContain(
      '  122 wait for klaviyo_profiles_rfm to confirm their keys; a sync sends them after it does (in the same run when both are selected)',
    );
    expect(renderPlan(waiting, 'markdown')).toContain(
      '- 122 row(s) wait for `klaviyo_profiles_rfm` to confirm their keys;',
    );
  });
});

/** Markdown with its code spans taken out: a run of n backticks to the next run of exactly n. */
function withoutCodeSpans(md: string): string {
  let out = '';
  for (let i = 0; i < md.length;) {
    const run = /^`+/.exec(md.slice(i))?.[0];
    if (run === undefined) {
      out += md[i];
      i += 1;
      continue;
    }
    const close = new RegExp(`(?<!\`)${run}(?!\`)`, 'g');
    close.lastIndex = i + run.length;
    const end = close.exec(md);
    i = end === null ? i + run.length : end.index + run.length;
  }
  return out;
}

describe('plan reports of values that would be Markdown', () => {
  it('shows the data in a comment as text: no mention, no HTML, no cell or code span broken', () => {
    const hostile = {
      ...result.syncs[0]!,
      counts: { ...result.syncs[0]!.counts, leftOutByModel: 1 },
      examples: [
        {
          kind: 'update' as const,
          key: 'C`1',
          fields: [{ field: 'note', before: null, after: '@octocat please look </details> <!--' }],
        },
      ],
      rejected: [
        {
          sync: 'klaviyo_profiles_rfm',
          model: 'klaviyo__profiles',
          key: 'a|b',
          column: 'email',
          reason: '"@team|x" is not a valid email address: it has no @\n<img src=x>',
        },
      ],
      leftOutByModel: [{ key: '`tick', reason_code: 'x|y', reason: 'cc @octocat' }],
      leftOutByReason: { '<b>': 1 },
    };
    const md = renderPlan({ ...result, syncs: [hostile] }, 'markdown');
    expect(md).toContain(
      '- **update** ``C`1``\n  - `note`: `null` → `"@octocat please look </details> <!--"`',
    );
    expect(md).toContain(
      '| `a\\|b` | `email` | "@\u200bteam\\|x" is not a valid email address: it has no @\u200b &lt;img src=x&gt; |',
    );
    expect(md).toContain('| `` `tick `` | `x\\|y` | cc @\u200boctocat |');
    expect(md).toContain('(`klaviyo__rejected_rows`): &lt;b&gt; 1.');
    // Outside code spans, nothing of the data opens a tag or mentions anyone.
    const outsideCode = withoutCodeSpans(md);
    expect(outsideCode).not.toMatch(/<(?!\/?(details|summary|code)>)/);
    expect(outsideCode).not.toMatch(/@[A-Za-z]/);
    // A terminal shows the data as it is.
    expect(renderPlan({ ...result, syncs: [hostile] }, 'text')).toContain(
      '1 left out by the dbt models (<b> 1)',
    );
  });

  it('says in text how many rejected rows and dropped fields it does not list', () => {
    const many = {
      ...result.syncs[0]!,
      counts: { ...result.syncs[0]!.counts, rejected: 7, fieldsDropped: 6 },
      rejected: Array.from({ length: 7 }, (_, i) => ({ ...result.syncs[0]!.rejected[0]!, key: `R${i}` })),
      droppedFields: Array.from({ length: 6 }, (_, i) => ({
        ...result.syncs[0]!.rejected[0]!,
        key: `D${i}`,
        column: 'phone',
        reason: 'dropped',
      })),
    };
    const text = renderPlan({ ...result, syncs: [many] }, 'text');
    expect(text).toContain('  rejected R4 [phone_number]:');
    expect(text).not.toContain('  rejected R5');
    expect(text).toContain('  … and 2 more rejected (`klaviyo-runner plan --format json` lists them)');
    expect(text).toContain(
      '  … and 1 more sent without a field (`klaviyo-runner plan --format json` lists them)',
    );
  });
});

describe('plan reports of rows the dbt models left out', () => {
  const orders = {
    ...result.syncs[0]!,
    sync: 'klaviyo_placed_orders',
    object: 'event',
    model: 'klaviyo__placed_order_events',
    counts: { ...result.syncs[0]!.counts, leftOutByModel: 2 },
    leftOutByModel: [
      {
        key: 'SO-NOLINES',
        reason_code: 'no_lines',
        reason: 'the order has no lines in the order lines input',
      },
      {
        key: 'SO-TYPO',
        reason_code: 'future_order',
        reason: 'ordered_at 2062-06-14 11:05:00 is in the future',
      },
    ],
    leftOutByReason: { future_order: 1, no_lines: 1 },
  };
  const plan = { ...result, syncs: [orders], totals: { ...result.totals, leftOutByModel: 2 } };

  it('lists each with its key and reason, counted for the sync of the model it would have fed', () => {
    const md = renderPlan(plan, 'markdown');
    expect(md).toContain('**2** rows left out by the dbt models.');
    expect(md).toContain(
      '- 2 row(s) left out by the dbt models (`klaviyo__rejected_rows`): future_order 1, no_lines 1.',
    );
    expect(md).toContain('| `klaviyo_placed_orders` | event | 0 | 1 | 564 | 0 | 1 | 2 | 0 | 0 | 4 |');
    expect(md).toContain('| `SO-TYPO` | `future_order` | ordered_at 2062-06-14 11:05:00 is in the future |');
    const text = renderPlan(plan, 'text');
    expect(text).toContain(
      '  2 left out by the dbt models (future_order 1, no_lines 1)\n    SO-NOLINES [no_lines]: the order has no lines in the order lines input',
    );
    expect(text).toContain('Total: 1 to send, 1 rejected, 2 left out by the dbt models,');
  });
});

describe('plan reports of fields the dbt models withheld from rows they send', () => {
  const profiles = {
    ...result.syncs[0]!,
    counts: { ...result.syncs[0]!.counts, withheldByModel: 2 },
    withheldByModel: [
      {
        key: 'W13',
        column: 'phone_number',
        reason_code: 'shared_phone',
        reason: '+4930555123 is used by 2 people (limit klaviyo__max_people_per_phone = 1)',
      },
      {
        key: 'W14',
        column: 'phone_number',
        reason_code: 'shared_phone',
        reason: '+4930555123 is used by 2 people (limit klaviyo__max_people_per_phone = 1)',
      },
    ],
    withheldByReason: { shared_phone: 2 },
  };
  const plan = { ...result, syncs: [profiles] };

  it('lists each with its key, column and reason, counted for the sync of the model', () => {
    const md = renderPlan(plan, 'markdown');
    expect(md).toContain(
      '- 2 field(s) withheld by the dbt models from rows that are sent (`klaviyo__withheld_fields`): shared_phone 2.',
    );
    expect(md).toContain(
      '| `W13` | `phone_number` | `shared_phone` | +4930555123 is used by 2 people (limit klaviyo__max_people_per_phone = 1) |',
    );
    const text = renderPlan(plan, 'text');
    expect(text).toContain(
      '  2 field(s) withheld by the dbt models (shared_phone 2)\n    W13 [phone_number] [shared_phone]: +4930555123 is used by 2 people',
    );
    expect(renderPlan({ ...result }, 'text')).not.toContain('withheld');
  });
});

describe('plan reports of a sync the mass-removal guard would stop', () => {
  it('says so above the details, with the numbers, and names the flags given', () => {
    const message =
      "122 of 122 synced rows (100%) would be removed or cleared in Klaviyo, over this sync's max_removal_percent of 20%; stopped before sending anything";
    const list = {
      ...result.syncs[0]!,
      sync: 'klaviyo_winback_list',
      object: 'list_membership',
      counts: { ...result.syncs[0]!.counts, remove: 122, retried: 3 },
      guard: { removing: 122, synced: 122, maxPercent: 20, trips: true, allowed: false, message },
    };
    const stopped = { ...result, syncs: [list], mode: { ...result.mode, retryRejected: true } };
    const md = renderPlan(stopped, 'markdown');
    expect(md).toContain('### klaviyo-runner plan `--retry-rejected`');
    expect(md).toContain(`> **Mass-removal guard** would stop \`klaviyo_winback_list\`: ${message}.`);
    expect(md).toContain(
      '- 3 row(s) held back after an earlier rejection are sent again (`--retry-rejected`).',
    );
    expect(renderPlan(stopped, 'text')).toContain(`  MASS-REMOVAL GUARD: sync would stop: ${message}`);
  });
});
