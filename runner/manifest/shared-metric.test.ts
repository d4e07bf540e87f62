import { describe, expect, it } from 'vitest';
import { spec } from '../../test/fixtures/specs.ts';
import { sharedMetricWarnings } from './shared-metric.ts';

describe('event syncs that send one metric', () => {
  it('are named once per metric; a metric sent by one sync, or metrics read from a column, say nothing', () => {
    const warnings = sharedMetricWarnings([
      spec({ object: 'event', metric: 'Placed Order' }, 'web_orders'),
      spec({ object: 'event', metric: 'Placed Order' }, 'till_orders'),
      spec({ object: 'event', metric: 'Refunded Order' }, 'refunds'),
      spec({ object: 'event', metric_column: 'metric' }, 'web_events'),
      spec({ object: 'event', metric_column: 'metric' }, 'app_events'),
      spec({ object: 'profile' }, 'people'),
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^syncs `web_orders`, `till_orders` both send metric "Placed Order": /);
  });
});
