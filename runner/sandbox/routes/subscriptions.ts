/** Marketing consent: bulk subscribe and bulk unsubscribe, optionally with a list. */
import { attributesProblem } from '../profile-attributes.ts';
import { invalid } from '../jsonapi.ts';
import { arrayAt, attributesOf, dataOf, present, route, type Ctx, type Route } from './route.ts';
import { BATCH_LIMITS } from '../limits.ts';

function subscriptionProfiles(
  ctx: Ctx,
  type: string,
  max: number,
): { attrs: Record<string, unknown>; subs: Record<string, unknown> }[] {
  const d = dataOf(ctx, type);
  const profiles = arrayAt(
    (attributesOf(d).profiles as { data?: unknown } | undefined)?.data,
    '/data/attributes/profiles/data',
    max,
    'profiles',
  );
  return profiles.map((p, i) => {
    const a = (p as { attributes?: Record<string, unknown> }).attributes ?? {};
    const subs = (a.subscriptions ?? {}) as Record<string, unknown>;
    const { subscriptions: _s, ...attrs } = a;
    const at = `/data/attributes/profiles/data/${i}/attributes`;
    if (attrs.email === undefined && attrs.phone_number === undefined)
      throw invalid('A profile needs an email or a phone_number.', at);
    // Email consent belongs to an email address and SMS consent to a phone number: a channel
    // without its identifier cannot be changed (https://developers.klaviyo.com/en/docs/collect_email_and_sms_consent_via_api).
    if (present(subs.email) && !present(attrs.email))
      throw invalid("Email consent needs the profile's email.", `${at}/email`);
    if (present(subs.sms) && !present(attrs.phone_number))
      throw invalid("SMS consent needs the profile's phone_number.", `${at}/phone_number`);
    const problem = attributesProblem(attrs);
    if (problem !== null)
      throw invalid(problem.detail, `${at}${problem.pointer.replace(/^\/data\/attributes/, '')}`);
    return { attrs, subs };
  });
}

export const SUBSCRIPTION_ROUTES: Route[] = [
  route('POST', '/api/profile-subscription-bulk-create-jobs', 'bulk_subscribe_profiles', (ctx) => {
    const d = dataOf(ctx, 'profile-subscription-bulk-create-job');
    const historical = attributesOf(d).historical_import === true;
    const listId = (d.relationships as { list?: { data?: { id?: string } } } | undefined)?.list?.data?.id;
    if (listId !== undefined && !ctx.store.lists.has(listId))
      throw invalid(`List ${listId} does not exist.`, '/data/relationships/list');
    const entries = subscriptionProfiles(
      ctx,
      'profile-subscription-bulk-create-job',
      BATCH_LIMITS.profilesPerSubscribe,
    );
    // consented_at goes only with historical_import, which then needs it on every subscription, in
    // the past (docs/klaviyo-api.md#lists-and-consent, bulk_subscribe_profiles).
    entries.forEach(({ subs }, i) => {
      for (const channel of ['email', 'sms'] as const) {
        const marketing = (subs[channel] as { marketing?: { consented_at?: unknown } } | undefined)
          ?.marketing;
        if (marketing === undefined) continue;
        const consentedAt = marketing.consented_at;
        const pointer = `/data/attributes/profiles/data/${i}/attributes/subscriptions/${channel}/marketing/consented_at`;
        if (consentedAt !== undefined && consentedAt !== null && !historical)
          throw invalid(
            'consented_at may only be sent with historical_import: true.',
            '/data/attributes/historical_import',
          );
        if (!historical) continue;
        if (consentedAt === undefined || consentedAt === null)
          throw invalid('consented_at is required when historical_import is true.', pointer);
        const at = Date.parse(String(consentedAt));
        if (Number.isNaN(at) || at > Date.now())
          throw invalid('consented_at must be a date-time in the past.', pointer);
      }
    });
    for (const { attrs, subs } of entries) {
      const result = ctx.store.upsert(attrs, false);
      if ('conflict' in result) continue;
      const p = result.profile;
      const email = (subs.email as { marketing?: { consent?: string; consented_at?: string } } | undefined)
        ?.marketing;
      if (email?.consent === 'SUBSCRIBED')
        Object.assign(p.subscriptions.email.marketing, {
          consent: 'SUBSCRIBED',
          consented_at: email.consented_at ?? ctx.store.now(),
        });
      const sms = (subs.sms as { marketing?: { consent?: string; consented_at?: string } } | undefined)
        ?.marketing;
      if (sms?.consent === 'SUBSCRIBED')
        Object.assign(p.subscriptions.sms.marketing, {
          consent: 'SUBSCRIBED',
          consented_at: sms.consented_at ?? ctx.store.now(),
        });
      if (listId !== undefined) ctx.store.lists.get(listId)!.members.set(p.id, ctx.store.now());
    }
    return { status: 202 };
  }),
  route('POST', '/api/profile-subscription-bulk-delete-jobs', 'bulk_unsubscribe_profiles', (ctx) => {
    // As bulk_unsubscribe_profiles documents it: consent on each channel named becomes UNSUBSCRIBED
    // (the only value it takes); a profile no identifier matches is created, then unsubscribed;
    // with a list, the profiles are also taken off that list
    // (https://developers.klaviyo.com/en/reference/bulk_unsubscribe_profiles).
    const d = dataOf(ctx, 'profile-subscription-bulk-delete-job');
    const listId = (d.relationships as { list?: { data?: { id?: string } } } | undefined)?.list?.data?.id;
    if (listId !== undefined && !ctx.store.lists.has(listId))
      throw invalid(`List ${listId} does not exist.`, '/data/relationships/list');
    const entries = subscriptionProfiles(
      ctx,
      'profile-subscription-bulk-delete-job',
      BATCH_LIMITS.profilesPerUnsubscribe,
    );
    entries.forEach(({ subs }, i) => {
      const at = `/data/attributes/profiles/data/${i}/attributes/subscriptions`;
      if (!['email', 'sms', 'whatsapp', 'push'].some((channel) => present(subs[channel])))
        throw invalid('Name at least one channel to unsubscribe from.', at);
      for (const channel of ['email', 'sms'] as const) {
        const marketing = (subs[channel] as { marketing?: { consent?: unknown } } | null | undefined)
          ?.marketing;
        if (present(marketing) && marketing.consent !== 'UNSUBSCRIBED')
          throw invalid('consent must be "UNSUBSCRIBED".', `${at}/${channel}/marketing/consent`);
      }
    });
    for (const { attrs, subs } of entries) {
      const result = ctx.store.upsert(attrs, false);
      if ('conflict' in result) continue;
      const p = result.profile;
      const now = ctx.store.now();
      if (present((subs.email as { marketing?: unknown } | null | undefined)?.marketing))
        Object.assign(p.subscriptions.email.marketing, { consent: 'UNSUBSCRIBED', consented_at: now });
      if (present((subs.sms as { marketing?: unknown } | null | undefined)?.marketing))
        Object.assign(p.subscriptions.sms.marketing, { consent: 'UNSUBSCRIBED', consented_at: now });
      if (listId !== undefined) ctx.store.lists.get(listId)!.members.delete(p.id);
    }
    return { status: 202 };
  }),
];
