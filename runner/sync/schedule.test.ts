import { describe, expect, it } from 'vitest';
import type { SyncSpec } from '../manifest/spec.ts';
import { sideBySide, waitsFor } from './schedule.ts';

const spec = (name: string, object: SyncSpec['config']['object'], after?: string): SyncSpec =>
  ({ name, config: { object, after } }) as unknown as SyncSpec;

const RUN = [
  spec('erase', 'deletion'),
  spec('rfm', 'profile'),
  spec('ltv', 'profile'),
  spec('orders', 'event'),
  spec('refunds', 'event', 'orders'),
  spec('vips', 'list_membership'),
];

describe('which syncs of a run wait for which (schedule.ts)', () => {
  it('puts deletions first, lists after profiles, events after profiles unless backfilled, and honours after', () => {
    const waits = waitsFor(RUN, new Set());
    expect(Object.fromEntries(waits)).toEqual({
      erase: [],
      rfm: ['erase'],
      ltv: ['erase'],
      orders: ['erase', 'rfm', 'ltv'],
      refunds: ['erase', 'orders', 'rfm', 'ltv'],
      vips: ['erase', 'rfm', 'ltv'],
    });
    // Backfilled events trigger no flow: they go beside the profiles.
    expect(waitsFor(RUN, new Set(['orders', 'refunds'])).get('orders')).toEqual(['erase']);
    expect(waitsFor(RUN, new Set(['orders', 'refunds'])).get('refunds')).toEqual(['erase', 'orders']);
  });

  it('names only syncs of the run: an after sync outside the selection is not waited for', () => {
    expect(waitsFor([spec('refunds', 'event', 'orders')], new Set(['refunds'])).get('refunds')).toEqual([]);
  });
});

describe('running the syncs side by side', () => {
  const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

  it('starts each sync once those it waits for finish, at most the limit at once', async () => {
    const events: string[] = [];
    let running = 0;
    let most = 0;
    await sideBySide(
      RUN,
      waitsFor(RUN, new Set(['orders', 'refunds'])),
      2,
      Promise.resolve(),
      async (s) => {
        running += 1;
        most = Math.max(most, running);
        events.push(`start ${s.name}`);
        await tick();
        events.push(`end ${s.name}`);
        running -= 1;
      },
      () => null,
      () => {},
    );
    expect(most).toBe(2);
    const at = (e: string) => events.indexOf(e);
    for (const s of ['rfm', 'ltv', 'orders', 'refunds', 'vips'])
      expect(at(`start ${s}`)).toBeGreaterThan(at('end erase'));
    expect(at('start refunds')).toBeGreaterThan(at('end orders'));
    expect(at('start vips')).toBeGreaterThan(Math.max(at('end rfm'), at('end ltv')));
    expect(events.filter((e) => e.startsWith('end'))).toHaveLength(RUN.length);
  });

  it('goes one sync at a time until Klaviyo has answered the run once', async () => {
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    const specs = [spec('a', 'profile'), spec('b', 'profile'), spec('c', 'profile'), spec('d', 'profile')];
    let running = 0;
    const most: number[] = [];
    await sideBySide(
      specs,
      new Map(),
      4,
      answered,
      async (s) => {
        running += 1;
        most.push(running);
        await tick();
        // Klaviyo's first answer comes during the second sync.
        if (s.name === 'b') answer();
        await tick();
        running -= 1;
      },
      () => null,
      () => {},
    );
    // a alone, b alone; once b had its answer, c and d beside it.
    expect(most).toEqual([1, 1, 2, 3]);
  });

  it('starts the sync with the smallest batches first until Klaviyo has answered, then the run order', async () => {
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    const specs = [spec('rfm', 'profile'), spec('ltv', 'profile'), spec('orders', 'event')];
    const started: string[] = [];
    await sideBySide(
      specs,
      new Map(),
      1,
      answered,
      async (s) => {
        started.push(s.name);
        await tick();
        answer();
      },
      () => null,
      () => {},
    );
    // Events (1,000 a request) before profiles (10,000 a job); once answered, the run's order.
    expect(started).toEqual(['orders', 'rfm', 'ltv']);
  });

  it('starts nothing more once the run is stopped, and records the rest as not run', async () => {
    const started: string[] = [];
    const skipped: string[] = [];
    let stop: Error | null = null;
    await sideBySide(
      RUN,
      waitsFor(RUN, new Set()),
      4,
      Promise.resolve(),
      async (s) => {
        started.push(s.name);
        await tick();
        if (s.name === 'rfm') stop = new Error('Klaviyo unreachable');
      },
      () => stop,
      (s, reason) => skipped.push(`${s.name}: ${reason.message}`),
    );
    expect(started).toEqual(['erase', 'rfm', 'ltv']);
    expect(skipped).toEqual([
      'orders: Klaviyo unreachable',
      'refunds: Klaviyo unreachable',
      'vips: Klaviyo unreachable',
    ]);
  });

  it('throws what a sync threw, once the syncs running beside it finish', async () => {
    const ended: string[] = [];
    const run = sideBySide(
      RUN.slice(1, 3),
      new Map(),
      4,
      Promise.resolve(),
      async (s) => {
        await tick();
        if (s.name === 'rfm') throw new Error('the state could not be written');
        await tick();
        ended.push(s.name);
      },
      () => null,
      () => {},
    );
    await expect(run).rejects.toThrow('the state could not be written');
    expect(ended).toEqual(['ltv']);
  });
});
