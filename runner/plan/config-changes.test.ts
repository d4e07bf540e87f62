import { describe, expect, it } from 'vitest';
import type { KlaviyoSyncConfig } from '../manifest/spec.ts';
import { configChanges, removedSync, startsOver } from './config-changes.ts';

const profile: KlaviyoSyncConfig = {
  object: 'profile',
  key: 'person_id',
  identity: { email: 'email' },
  attributes: { first_name: 'first_name' },
  properties: ['rfm_segment'],
};
const counts = { inSnapshot: 10, inModel: 12 };

describe('configuration changes', () => {
  it('lets a deletion sync change its key without starting over: nothing erased is asked for again', () => {
    const deletion: KlaviyoSyncConfig = {
      object: 'deletion',
      key: 'request_id',
      identity: { email: 'email' },
    };
    const changes = configChanges(deletion, { ...deletion, key: 'ticket_id' }, counts);
    expect(changes).toMatchObject([{ kind: 'key', needsFlag: false }]);
    expect(changes[0]!.consequence).toContain('never asked for again');
    expect(startsOver(changes)).toBe(false);
  });

  it('says nothing when the block is the same', () => {
    expect(configChanges(profile, structuredClone(profile), counts)).toEqual([]);
  });

  it('says an identity column added makes every confirmed row an update', () => {
    const [change] = configChanges(
      profile,
      { ...profile, identity: { email: 'email', phone_number: 'phone' } },
      counts,
    );
    expect(change).toMatchObject({
      kind: 'columns',
      what: 'Columns added `identity.phone_number`.',
      needsFlag: false,
    });
    expect(change!.consequence).toContain('the 10 rows already in Klaviyo become updates');
  });

  it('says a mapping moved between attributes over the same columns resends nothing', () => {
    const [change] = configChanges(profile, { ...profile, attributes: { last_name: 'first_name' } }, counts);
    expect(change!.what).toBe('Columns added `attributes.last_name`; removed `attributes.first_name`.');
    expect(change!.consequence).toBe(
      'The sync reads the same columns as before, so no row looks changed: Klaviyo keeps what it has until a row changes.',
    );
  });

  it('needs the flag when an event sync moves from one metric to a metric column', () => {
    const event: KlaviyoSyncConfig = {
      object: 'event',
      key: 'event_id',
      identity: { email: 'email' },
      metric: 'Viewed Product',
      time: 'occurred_at',
    };
    const { metric: _metric, ...rest } = event;
    const changes = configChanges(event, { ...rest, metric_column: 'event_name' }, counts);
    expect(changes.map((c) => [c.kind, c.needsFlag])).toEqual([
      ['metric', true],
      ['columns', false],
    ]);
    expect(changes[0]!.what).toBe(
      '`metric` changed from `Viewed Product` to the metric names in column `event_name`: the 10 events already sent stay under `Viewed Product` (Klaviyo events are immutable).',
    );
    expect(changes[1]!.what).toBe('Columns added `metric_column`.');
  });

  it('needs the flag for a key change, and folds column changes into starting over', () => {
    const changes = configChanges(profile, { ...profile, key: 'email', properties: [] }, counts);
    expect(changes.map((c) => [c.kind, c.needsFlag])).toEqual([
      ['key', true],
      ['columns', false],
    ]);
    expect(changes[1]!.consequence).toBe('Sent with the new columns when the sync starts over.');
    expect(startsOver(changes)).toBe(true);
  });

  it('names a new sync only when its snapshot is empty (state from before configurations were kept)', () => {
    expect(configChanges(undefined, profile, { inSnapshot: 0, inModel: 12 })).toMatchObject([
      {
        kind: 'new_sync',
        consequence: 'All 12 rows are new to it (Klaviyo may already know some of the people by email).',
      },
    ]);
    expect(configChanges(undefined, profile, counts)).toEqual([]);
  });

  it('says a removed sync deletes nothing in Klaviyo', () => {
    expect(removedSync('old_list', { ...profile, object: 'list_membership' }).consequence).toMatch(
      /^Nothing is deleted in Klaviyo/,
    );
  });
});
