/** Metrics: the ones events created, listed and read one by one. */
import { notFound } from '../jsonapi.ts';
import { badFilter, filtersOf, pageOf } from './query.ts';
import { metricResource } from './resources.ts';
import { route, type Route } from './route.ts';

export const METRIC_ROUTES: Route[] = [
  route('GET', '/api/metrics', 'get_metrics', (ctx) => {
    let metrics = [...ctx.store.metrics.values()];
    for (const [op, field] of filtersOf(ctx)) {
      if ((field === 'integration.name' || field === 'integration.category') && op === 'equals') {
        // Metrics the sandbox creates come from the API, with no integration: none matches.
        metrics = [];
      } else throw badFilter(`Operator ${op} is not allowed on ${field} for metrics.`);
    }
    return pageOf(ctx, metrics, 200, 200, (m) => metricResource(ctx, m));
  }),
  route('GET', '/api/metrics/{id}', 'get_metric', (ctx) => {
    const m = ctx.store.metrics.get(ctx.params[0]!);
    if (m === undefined) throw notFound(`Metric ${ctx.params[0]} was not found.`);
    return {
      status: 200,
      body: { data: metricResource(ctx, m), links: { self: `${ctx.base}/api/metrics/${m.id}/` } },
    };
  }),
];
