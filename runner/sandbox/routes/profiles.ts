/** Profiles: the single-profile writes and get_profiles with its filters and sorts. */
import { attributesProblem } from '../profile-attributes.ts';
import { HttpError, invalid, notFound } from '../jsonapi.ts';
import type { Profile } from '../store.ts';
import { badFilter, filtersOf, instant, pageOf, sortBy, TIME_OPS } from './query.ts';
import { additional, profileResource } from './resources.ts';
import { attributesOf, dataOf, route, type Answer, type Ctx, type Route } from './route.ts';
import { BATCH_LIMITS } from '../limits.ts';

/**
 * get_profiles filters, with the fields and operators its `x-klaviyo-filters` allows: equals/any
 * on id, email, phone_number, external_id; greater-than/less-than on created and updated; the
 * suppression fields of subscriptions.email.marketing.
 */
function profileFilter(ctx: Ctx): Profile[] {
  // null: every profile, listed only when a filter has to go over them all.
  let out: Profile[] | null = null;
  const every = () => out ?? [...ctx.store.profiles.values()];
  const suppression = 'subscriptions.email.marketing.suppression.';
  const listSuppression = 'subscriptions.email.marketing.list_suppressions.';
  for (const [op, field, value] of filtersOf(ctx)) {
    const ids: Record<string, (p: Profile) => string | null> = {
      id: (p) => p.id,
      email: (p) => p.email,
      phone_number: (p) => p.phone_number,
      external_id: (p) => p.external_id,
    };
    if (field in ids) {
      const get = ids[field]!;
      const norm = (v: unknown) => (field === 'email' && typeof v === 'string' ? v.toLowerCase() : v);
      if (op !== 'equals' && op !== 'any') throw badFilter(`Operator ${op} is not allowed on ${field}.`);
      if (op === 'any' && (!Array.isArray(value) || value.length > BATCH_LIMITS.profilesPerLookup))
        throw badFilter(`any() takes a list of at most ${BATCH_LIMITS.profilesPerLookup} values.`);
      const wanted = (op === 'equals' ? [value] : (value as unknown[])).map(norm);
      if (out === null && wanted.every((v) => typeof v === 'string'))
        out = ctx.store.profilesWith(field as 'id', wanted);
      else {
        const set = new Set(wanted);
        out = every().filter((p) => set.has(get(p)));
      }
    } else if (field === 'created' || field === 'updated') {
      if (op !== 'greater-than' && op !== 'less-than')
        throw badFilter(`Operator ${op} is not allowed on ${field}.`);
      const t = instant(value);
      out = every().filter((p) => TIME_OPS[op]!(Date.parse(p[field]), t));
    } else if (field === `${suppression}reason` && op === 'equals') {
      out = every().filter((p) =>
        p.subscriptions.email.marketing.suppression.some((s) => s.reason === value),
      );
    } else if (field === `${suppression}timestamp` && TIME_OPS[op] !== undefined) {
      const t = instant(value);
      out = every().filter((p) =>
        p.subscriptions.email.marketing.suppression.some((s) => TIME_OPS[op]!(Date.parse(s.timestamp), t)),
      );
    } else if (field.startsWith(listSuppression)) {
      // The sandbox keeps no per-list suppressions: nothing matches.
      out = [];
    } else if (field === '_kx' && op === 'equals') {
      out = [];
    } else if (Object.keys(ids).includes(field) || field.startsWith(suppression) || field === '_kx') {
      throw badFilter(`Operator ${op} is not allowed on ${field}.`);
    } else {
      throw badFilter(`'${field}' is not a valid field for the resource 'profile'.`);
    }
  }
  return every();
}

function sortProfiles(ctx: Ctx, profiles: Profile[]): Profile[] {
  const firstSuppression = (p: Profile) => p.subscriptions.email.marketing.suppression[0]?.timestamp ?? '';
  return sortBy(ctx, profiles, {
    id: (p) => p.id,
    created: (p) => p.created,
    updated: (p) => p.updated,
    email: (p) => p.email ?? '',
    'subscriptions.email.marketing.suppression.timestamp': firstSuppression,
    'subscriptions.email.marketing.list_suppressions.timestamp': () => '',
  });
}

function singleProfileWrite(ctx: Ctx, mode: 'import' | 'create' | 'update'): Answer {
  const d = dataOf(ctx, 'profile');
  const attributes = attributesOf(d);
  const problem = attributesProblem(mode === 'update' ? { external_id: 'x', ...attributes } : attributes);
  if (problem !== null) throw invalid(problem.detail, problem.pointer);
  const meta = d.meta as { patch_properties?: { unset?: string | string[] } } | undefined;
  const unset = meta?.patch_properties?.unset;
  const unsetKeys = unset === undefined ? [] : Array.isArray(unset) ? unset : [unset];
  if (mode === 'update') {
    const id = ctx.params[0]!;
    if (d.id !== id)
      throw new HttpError(
        409,
        'conflict',
        'Conflict.',
        'The id in the body must match the id in the path.',
        '/data/id',
      );
    const profile = ctx.store.profiles.get(id);
    if (profile === undefined) throw notFound(`Profile ${id} was not found.`);
    const others = [...ctx.store.matches(attributes)].filter((p) => p !== id);
    if (others.length > 0)
      throw new HttpError(
        409,
        'duplicate_profile',
        'Conflict.',
        'A profile already exists with one of these identifiers.',
        '/data/attributes',
        { duplicate_profile_id: others[0] },
      );
    ctx.store.apply(profile, attributes, true, unsetKeys);
    return { status: 200, body: { data: profileResource(ctx, profile) } };
  }
  const found = ctx.store.matches(attributes, d.id);
  if (mode === 'create' && found.size > 0) {
    throw new HttpError(
      409,
      'duplicate_profile',
      'Conflict.',
      'A profile already exists with one of these identifiers.',
      '/data/attributes',
      { duplicate_profile_id: [...found][0] },
    );
  }
  const result = ctx.store.upsert(attributes, true, typeof d.id === 'string' ? d.id : undefined);
  if ('conflict' in result) {
    throw new HttpError(
      409,
      'duplicate_profile',
      'Conflict.',
      'The identifiers belong to different existing profiles.',
      '/data/attributes',
      { duplicate_profile_id: result.conflict },
    );
  }
  if (unsetKeys.length > 0) ctx.store.apply(result.profile, {}, true, unsetKeys);
  return { status: result.created ? 201 : 200, body: { data: profileResource(ctx, result.profile) } };
}

/** One page of profiles (≤100, default 20, as Klaviyo pages them), with additional-fields honoured. */
function profilePage(ctx: Ctx, profiles: Profile[]): Answer {
  return pageOf(ctx, profiles, 100, 20, (p) => profileResource(ctx, p, additional(ctx)));
}

export const PROFILE_ROUTES: Route[] = [
  route('POST', '/api/profile-import', 'create_or_update_profile', (ctx) =>
    singleProfileWrite(ctx, 'import'),
  ),
  route('POST', '/api/profiles', 'create_profile', (ctx) => singleProfileWrite(ctx, 'create')),
  route('PATCH', '/api/profiles/{id}', 'update_profile', (ctx) => singleProfileWrite(ctx, 'update')),
  route('GET', '/api/profiles', 'get_profiles', (ctx) => {
    return profilePage(ctx, sortProfiles(ctx, profileFilter(ctx)));
  }),
  route('GET', '/api/profiles/{id}', 'get_profile', (ctx) => {
    const p = ctx.store.profiles.get(ctx.params[0]!);
    if (p === undefined) throw notFound(`Profile ${ctx.params[0]} was not found.`);
    return { status: 200, body: { data: profileResource(ctx, p, additional(ctx)) } };
  }),
];
