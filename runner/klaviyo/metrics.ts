/** Metrics: the event types of the account (get_metrics, https://developers.klaviyo.com/en/reference/get_metrics). */
import { nullableString, object, readPages, shape, string } from './answers.ts';
import type { KlaviyoClient } from './client.ts';

export interface MetricResource {
  id: string;
  attributes: { name: string | null };
}
const METRIC = shape<MetricResource>(
  'klaviyo_metric',
  object({ id: string, attributes: object({ name: nullableString }) }, ['id', 'attributes']),
);

/** Every metric of the account, page by page. */
export function allMetrics(client: KlaviyoClient): AsyncIterable<MetricResource[]> {
  return readPages(client, METRIC, 'get_metrics', '/api/metrics');
}
