/**
 * The metric of an event row, and the rules that depend on it (docs/events.md#per-metric-rules).
 *
 * - The metric is the sync's `metric`, or the row's `metric_column` value trimmed: empty, or 128
 *   characters and more (Klaviyo's limit on a metric name, docs/klaviyo-api.md#events), rejects the row.
 * - Klaviyo's ecommerce metrics have conventional properties its flows and templates read
 *   (https://developers.klaviyo.com/en/docs/guide_to_integrating_a_platform_without_a_pre_built_klaviyo_integration).
 *   For the browse and checkout metrics, whose flows are built on them (abandoned checkout, abandoned
 *   cart, browse abandonment), the properties those flows cannot do without are required; for every
 *   metric, a conventional property present with the wrong shape rejects the row by its path.
 *   A row's rules follow its own metric, so a `metric_column` sync gets the same rules as one sync
 *   per metric would.
 */
import type { SyncSpec } from '../manifest/spec.ts';
import type { Row } from '../source/warehouse.ts';
import { toText } from './coerce.ts';

/** Properties a metric's flows cannot do without. */
export const REQUIRED_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
  'Started Checkout': ['CheckoutURL', 'Items', 'ItemNames'],
  'Added to Cart': ['AddedItemProductName', 'Items', 'ItemNames'],
  'Viewed Product': ['ProductName'],
};

/** Conventional properties that are arrays of text (or null), in every metric that carries them. */
const TEXT_ARRAYS = ['ItemNames', 'Categories', 'AddedItemCategories'] as const;
/** Conventional properties that are links, in every metric that carries them. */
const URLS = ['CheckoutURL', 'URL', 'ImageURL', 'ProductURL', 'AddedItemURL', 'AddedItemImageURL'] as const;

const MAX_METRIC_LENGTH = 127;

export type MetricOf = { ok: true; metric: string } | { ok: false; column: string; reason: string };

/** The row's metric name: the sync's constant, or its metric column's value. */
export function metricOf(spec: SyncSpec, row: Row): MetricOf {
  const config = spec.config;
  if (config.metric_column === undefined) return { ok: true, metric: config.metric! };
  const column = config.metric_column;
  const raw = row[column];
  const name = typeof raw === 'string' ? toText(raw) : undefined;
  if (raw !== null && raw !== undefined && typeof raw !== 'string')
    return { ok: false, column, reason: `metric name must be text, not the ${typeof raw} ${String(raw)}` };
  if (name === undefined) return { ok: false, column, reason: 'metric name is empty' };
  if (name.length > MAX_METRIC_LENGTH)
    return {
      ok: false,
      column,
      reason: `metric name is ${name.length} characters; Klaviyo takes fewer than 128`,
    };
  return { ok: true, metric: name };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** The first property that breaks its metric's rules, by path, or null. */
export function metricPropertiesProblem(
  metric: string,
  properties: Record<string, unknown>,
): { path: string; reason: string } | null {
  for (const name of REQUIRED_PROPERTIES[metric] ?? []) {
    const value = properties[name];
    const empty = value === '' || (Array.isArray(value) && value.length === 0);
    if (value === undefined || value === null || empty)
      return {
        path: name,
        reason: `is ${empty ? `empty (${JSON.stringify(value)})` : 'missing'}; ${metric} events need ${REQUIRED_PROPERTIES[metric]!.join(', ')}`,
      };
  }
  for (const name of TEXT_ARRAYS) {
    const value = properties[name];
    if (value === undefined || value === null) continue;
    if (!Array.isArray(value)) return { path: name, reason: 'must be an array of text' };
    // A null entry is left for Klaviyo, which drops null values; anything else must be text.
    const at = value.findIndex((v) => v !== null && typeof v !== 'string');
    if (at >= 0) return { path: `${name}[${at}]`, reason: `must be text, not ${JSON.stringify(value[at])}` };
  }
  for (const name of URLS) {
    const value = properties[name];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' || !isHttpUrl(value))
      return { path: name, reason: `must be an http(s) URL, not ${JSON.stringify(value)}` };
  }
  return null;
}
