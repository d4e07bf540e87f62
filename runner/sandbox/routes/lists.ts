/** Lists and their members. */
import { invalid, notFound } from '../jsonapi.ts';
import type { Profile } from '../store.ts';
import { badFilter, filtersOf, instant, pageOf, sortBy, TIME_OPS } from './query.ts';
import { additional, listResource, profileResource } from './resources.ts';
import { arrayAt, attributesOf, dataOf, route, type Ctx, type Route } from './route.ts';
import { BATCH_LIMITS } from '../limits.ts';

function listOr404(ctx: Ctx) {
  const list = ctx.store.lists.get(ctx.params[0]!);
  if (list === undefined) throw notFound(`List ${ctx.params[0]} was not found.`);
  return list;
}

/**
 * A list's members with when each joined, filtered and sorted as get_profiles_for_list and
 * get_profile_ids_for_list allow: equals/any on email and phone_number, time comparisons on
 * joined_group_at, sort by joined_group_at.
 */
function listMembers(ctx: Ctx): { profile: Profile; joined: string }[] {
  let members = [...listOr404(ctx).members]
    .map(([id, joined]) => ({ profile: ctx.store.profiles.get(id), joined }))
    .filter((m): m is { profile: Profile; joined: string } => m.profile !== undefined);
  for (const [op, field, value] of filtersOf(ctx)) {
    if (field === 'email' || field === 'phone_number') {
      const norm = (v: unknown) => (field === 'email' && typeof v === 'string' ? v.toLowerCase() : v);
      if (op === 'equals') members = members.filter((m) => m.profile[field] === norm(value));
      else if (op === 'any' && Array.isArray(value)) {
        const set = new Set(value.map(norm));
        members = members.filter((m) => set.has(m.profile[field]));
      } else throw badFilter(`Operator ${op} is not allowed on ${field}.`);
    } else if (field === 'joined_group_at' && TIME_OPS[op] !== undefined) {
      const t = instant(value);
      members = members.filter((m) => TIME_OPS[op]!(Date.parse(m.joined), t));
    } else if (
      (field === 'push_token' && (op === 'equals' || op === 'any')) ||
      (field === '_kx' && op === 'equals')
    ) {
      members = [];
    } else throw badFilter(`Operator ${op} is not allowed on ${field} for list members.`);
  }
  return sortBy(ctx, members, { joined_group_at: (m) => m.joined });
}

function memberIds(ctx: Ctx): string[] {
  const data = (ctx.body as { data?: unknown } | null)?.data;
  const items = arrayAt(data, '/data', BATCH_LIMITS.profilesPerListRequest, 'profiles');
  return items.map((item, i) => {
    const it = item as { type?: unknown; id?: unknown };
    if (it.type !== 'profile' || typeof it.id !== 'string')
      throw invalid('Each entry must be {type: "profile", id}.', `/data/${i}`);
    if (!ctx.store.profiles.has(it.id)) throw invalid(`Profile ${it.id} does not exist.`, `/data/${i}/id`);
    return it.id;
  });
}

export const LIST_ROUTES: Route[] = [
  route('GET', '/api/lists', 'get_lists', (ctx) => {
    let lists = [...ctx.store.lists.values()];
    for (const [op, field, value] of filtersOf(ctx)) {
      if ((field === 'name' || field === 'id') && op === 'equals')
        lists = lists.filter((l) => l[field] === value);
      else if ((field === 'name' || field === 'id') && op === 'any' && Array.isArray(value))
        lists = lists.filter((l) => value.includes(l[field]));
      else if ((field === 'created' || field === 'updated') && op === 'greater-than') {
        const t = instant(value);
        lists = lists.filter((l) => Date.parse(l[field]) > t);
      } else throw badFilter(`Operator ${op} is not allowed on ${field} for lists.`);
    }
    lists = sortBy(ctx, lists, {
      created: (l) => l.created,
      id: (l) => l.id,
      name: (l) => l.name,
      updated: (l) => l.updated,
    });
    return pageOf(ctx, lists, 10, 10, (l) => listResource(ctx, l));
  }),
  route('POST', '/api/lists', 'create_list', (ctx) => {
    const name = attributesOf(dataOf(ctx, 'list')).name;
    if (typeof name !== 'string' || name === '') throw invalid('name is required.', '/data/attributes/name');
    const now = ctx.store.now();
    const list = {
      id: ctx.store.newId('list', 6),
      name,
      created: now,
      updated: now,
      members: new Map<string, string>(),
    };
    ctx.store.lists.set(list.id, list);
    return { status: 201, body: { data: listResource(ctx, list) } };
  }),
  route('GET', '/api/lists/{id}', 'get_list', (ctx) => ({
    status: 200,
    body: { data: listResource(ctx, listOr404(ctx)) },
  })),
  route('POST', '/api/lists/{id}/relationships/profiles', 'add_profiles_to_list', (ctx) => {
    const list = listOr404(ctx);
    for (const id of memberIds(ctx)) if (!list.members.has(id)) list.members.set(id, ctx.store.now());
    return { status: 204 };
  }),
  route('DELETE', '/api/lists/{id}/relationships/profiles', 'remove_profiles_from_list', (ctx) => {
    const list = listOr404(ctx);
    for (const id of memberIds(ctx)) list.members.delete(id);
    return { status: 204 };
  }),
  route('GET', '/api/lists/{id}/relationships/profiles', 'get_profile_ids_for_list', (ctx) => {
    return pageOf(ctx, listMembers(ctx), 100, 20, (m) => ({ type: 'profile', id: m.profile.id }));
  }),
  route('GET', '/api/lists/{id}/profiles', 'get_profiles_for_list', (ctx) => {
    return pageOf(ctx, listMembers(ctx), 100, 20, (m) =>
      profileResource(ctx, m.profile, additional(ctx), { joined_group_at: m.joined }),
    );
  }),
];
