import { describe, expect, it } from 'vitest';
import { spec } from '../../test/fixtures/specs.ts';
import { checkSyncConfig } from '../manifest/config-schema.ts';
import type { PlanCounts } from '../state/diff.ts';
import { removalBound, removalGuard } from './guard.ts';

const list = spec({ object: 'list_membership', list: { name: 'W' } }, 'winback');

describe('the mass-removal guard', () => {
  it('trips over 20% of the synced rows by default, naming the numbers', () => {
    expect(removalGuard(list, 100, 20)).toMatchObject({ trips: false, message: '' });
    const tripped = removalGuard(list, 100, 21);
    expect(tripped).toMatchObject({ removing: 21, synced: 100, maxPercent: 20, trips: true, allowed: false });
    expect(tripped.message).toBe(
      "21 of 100 synced rows (21%) would be removed or cleared in Klaviyo, over this sync's max_removal_percent of 20%; stopped before sending anything. Check the model (an empty or partial build?); if the removal is meant, run again with --allow-mass-removal or raise max_removal_percent",
    );
    expect(removalGuard(list, 100, 21, true).message).toMatch(/; going ahead as --allow-mass-removal says$/);
  });

  it('takes the threshold from the exposure, and never trips on a sync with nothing synced yet', () => {
    const lenient = spec({ object: 'list_membership', list: { name: 'W' }, max_removal_percent: 50 });
    expect(removalGuard(lenient, 112, 40).trips).toBe(false);
    expect(removalGuard(lenient, 112, 57).trips).toBe(true);
    const strict = spec({ object: 'list_membership', list: { name: 'W' }, max_removal_percent: 0 });
    expect(removalGuard(strict, 10, 1).trips).toBe(true);
    expect(removalGuard(list, 0, 0).trips).toBe(false);
  });

  it('bounds removals by what each sync does with them', () => {
    const counts = { remove: 7, update: 5, resent: 2 } as PlanCounts;
    expect(removalBound(list, counts)).toBe(7);
    expect(removalBound(spec({ object: 'list_membership', on_remove: 'ignore' }), counts)).toBe(0);
    expect(removalBound(spec({ object: 'profile' }), counts)).toBe(7);
    expect(removalBound(spec({ object: 'profile', on_remove: 'unset_properties' }), counts)).toBe(14);
    expect(removalBound(spec({ object: 'event', metric: 'M', time: 't' }), counts)).toBe(0);
  });

  it('is set in the exposure, as a percentage', () => {
    const block = { object: 'list_membership', key: 'id', identity: { email: 'email' }, list: { name: 'W' } };
    expect(checkSyncConfig({ ...block, max_removal_percent: 35 }, 'exposure `w`')).toMatchObject({
      ok: true,
    });
    expect(checkSyncConfig({ ...block, max_removal_percent: 150 }, 'exposure `w`')).toEqual({
      ok: false,
      problems: ['exposure `w`: config.meta.klaviyo.max_removal_percent must be <= 100.'],
    });
    expect(checkSyncConfig({ ...block, max_removal_percent: '20%' }, 'exposure `w`')).toEqual({
      ok: false,
      problems: ['exposure `w`: config.meta.klaviyo.max_removal_percent must be number.'],
    });
  });
});
