/**
 * The Klaviyo endpoints the sandbox answers, one family per file under routes/, with Klaviyo's
 * semantics and limits (docs/klaviyo-api.md#operations-and-batch-limits). Each route names its
 * operationId from the official description, which also picks its rate-limit tier. A new family
 * is one more line in FAMILIES.
 */
import { EVENT_ROUTES } from './routes/events.ts';
import { JOB_ROUTES } from './routes/jobs.ts';
import { LIST_ROUTES } from './routes/lists.ts';
import { METRIC_ROUTES } from './routes/metrics.ts';
import { PROFILE_ROUTES } from './routes/profiles.ts';
import { PRIVACY_ROUTES } from './routes/privacy.ts';
import type { Route } from './routes/route.ts';
import { SUBSCRIPTION_ROUTES } from './routes/subscriptions.ts';
import { SUPPRESSION_ROUTES } from './routes/suppressions.ts';
import { WEBHOOK_ROUTES } from './routes/webhooks.ts';

const FAMILIES: Route[][] = [
  JOB_ROUTES,
  PROFILE_ROUTES,
  EVENT_ROUTES,
  METRIC_ROUTES,
  LIST_ROUTES,
  SUBSCRIPTION_ROUTES,
  SUPPRESSION_ROUTES,
  WEBHOOK_ROUTES,
  PRIVACY_ROUTES,
];

export const ROUTES: Route[] = FAMILIES.flat();

export { advanceJobs } from './routes/jobs.ts';
export type { Answer, Ctx, Route } from './routes/route.ts';
