/**
 * Event syncs that send the same metric. Klaviyo keeps one event per person, metric and
 * `unique_id`, and drops a later one as a repeat (docs/klaviyo-api.md#events); an event's
 * `unique_id` is its row's key (transform/event.ts), so two models whose keys overlap (order 1001
 * of a web shop and order 1001 of a till, for the same customer) lose the second event without an
 * error. The runner cannot see another sync's keys when it plans one, so it says so up front.
 */
import type { SyncSpec } from './spec.ts';

export function sharedMetricWarnings(specs: SyncSpec[]): string[] {
  const byMetric = new Map<string, string[]>();
  for (const spec of specs) {
    const metric = spec.config.object === 'event' ? spec.config.metric : undefined;
    if (metric === undefined) continue;
    byMetric.set(metric, [...(byMetric.get(metric) ?? []), spec.name]);
  }
  return [...byMetric]
    .filter(([, names]) => names.length > 1)
    .map(
      ([metric, names]) =>
        `syncs ${names.map((n) => `\`${n}\``).join(', ')} ${names.length === 2 ? 'both' : 'all'} send metric "${metric}": Klaviyo keeps one event per person, metric and unique_id (each row's key), so a key two of these models hold for the same person is sent once. Keep their keys distinct (prefix them in the models, e.g. 'web-' || order_id).`,
    );
}
