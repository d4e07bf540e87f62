/**
 * List membership: members added and removed by profile id, 1,000 a request, ids from the snapshot
 * or looked up by identifier; marketing consent subscribed for rows that gave it and withdrawn for
 * rows that withdrew it (docs/klaviyo-api.md#lists-and-consent). The list is found by name, and
 * created when missing, once per run.
 */
import { batches, LIMITS } from '../klaviyo/limits.ts';
import { ConfigError } from '../errors.ts';
import { findOrCreateList, listNotFound } from '../klaviyo/lists.ts';
import { addMembers, removeFormerProfiles, removeMembers, unsubscribeMembers } from '../apply/lists.ts';
import { subscribeMembers } from '../apply/subscribe.ts';
import type { RowOutcome } from '../state/changes.ts';
import type { StreamedChange } from '../state/diff.ts';
import { recordWithdrawals } from '../state/snapshot.ts';
import { buildListMember } from '../transform/list.ts';
import type { ListMemberPayload } from '../transform/payload.ts';
import type { KlaviyoSyncConfig } from '../manifest/spec.ts';
import { sameJson } from './as-sent.ts';
import { startsOverOnNewKey, rows, STARTS_OVER } from './config-change.ts';
import {
  addRequests,
  toSend,
  type ApplyContext,
  type Applier,
  type KlaviyoObject,
  type Pending,
} from './object.ts';

function listName(list: KlaviyoSyncConfig['list']): string {
  if (list?.id !== undefined) return `list id \`${list.id}\``;
  return `list \`${list?.name ?? '?'}\``;
}

class ListApplier implements Applier<ListMemberPayload> {
  /** Found (or created) once, by the first batch that needs it; the batches after it wait for it. */
  private listId: Promise<string> | null = null;

  constructor(private readonly c: ApplyContext) {}

  private list(): Promise<string> {
    if (this.listId === null) {
      const config = this.c.spec.config.list!;
      this.listId =
        config.id !== undefined
          ? Promise.resolve(config.id)
          : findOrCreateList(this.c.client, config.name!).then((l) => l.id);
      // A failed lookup is not kept: the next batch tries again.
      this.listId.catch(() => (this.listId = null));
    }
    return this.listId;
  }

  /**
   * Klaviyo answered that the sync's list does not exist (404 on the list itself): every member
   * would fail the same way on every run, so the sync stops with one error, and no member is sent,
   * failed or rejected; the run's other syncs go on. The first list request is the check: no
   * request is spent looking the list up beforehand.
   */
  private stopped(error: unknown, listId: string): unknown {
    if (!listNotFound(error)) return error;
    const { spec } = this.c;
    const id = spec.config.list!.id;
    const untouched = 'No member was sent, failed or rejected';
    if (id !== undefined)
      return new ConfigError(
        `${spec.name}: Klaviyo has no list with id \`${id}\` (${error.message}). Set \`list.id\` in the exposure to an existing list's id, or name the list (\`list: { name: … }\`). ${untouched}: the next run sends them all.`,
      );
    // Found by name, then deleted in Klaviyo before the members went: the next run finds it (or
    // creates it) again.
    this.listId = null;
    return new ConfigError(
      `${spec.name}: the list \`${spec.config.list!.name ?? '?'}\` (id \`${listId}\`) no longer exists in Klaviyo (${error.message}). ${untouched}: the next run looks the list up by name again, creating it when missing, and sends them all.`,
    );
  }

  async send(items: Pending<ListMemberPayload>[]): Promise<void> {
    const listId = await this.list();
    try {
      await this.sendTo(listId, items);
    } catch (error) {
      throw this.stopped(error, listId);
    }
  }

  private async sendTo(listId: string, items: Pending<ListMemberPayload>[]): Promise<void> {
    const { c } = this;
    const payloads = items.map((i) => i.payload);
    const outcomes = await addMembers(c.client, listId, payloads);
    // A member whose identifiers changed is the profile of its new ones: the former one leaves.
    const replaced = await removeFormerProfiles(c.client, listId, payloads, outcomes);
    c.count('list_removed', replaced.filter((o) => o.status === 'confirmed').length);
    const added = payloads.filter((p) => outcomes.some((o) => o.key === p.key && o.status === 'confirmed'));
    // A withdrawal goes before any subscription, so a channel withdrawn is never subscribed on the way.
    const withdrawn = await this.withdraw(added);
    const subscribed = await subscribeMembers(c.client, listId, added);
    c.count('subscribed', subscribed.filter((o) => o.status === 'confirmed').length);
    const unconfirmed = new Map(
      [...replaced, ...withdrawn, ...subscribed]
        .filter((o) => o.status !== 'confirmed')
        .map((o) => [o.key, o]),
    );
    await c.settle(
      items,
      outcomes.map((o) => unconfirmed.get(o.key) ?? o),
    );
  }

  /** Sends Klaviyo the withdrawals these members carry and records the confirmed ones. */
  private async withdraw(members: ListMemberPayload[]): Promise<RowOutcome[]> {
    const { c } = this;
    const outcomes = await unsubscribeMembers(c.client, members);
    const confirmed = new Set(outcomes.filter((o) => o.status === 'confirmed').map((o) => o.key));
    await c.write(() =>
      recordWithdrawals(
        c.state,
        c.spec,
        c.runId,
        members
          .filter((m) => confirmed.has(m.key))
          .map((m) => ({ key: m.key, channels: m.unsubscribe!.channels })),
      ),
    );
    c.count('unsubscribed', confirmed.size);
    return outcomes;
  }

  async remove(items: StreamedChange[]): Promise<void> {
    const { c } = this;
    const onRemove = c.spec.config.on_remove;
    const members: ListMemberPayload[] = items.map((change) => {
      const built = buildListMember(c.spec, change);
      return built.ok ? built.payload : { key: change.key, profile: {}, profileId: change.profileId };
    });
    // on_remove: ignore keeps the member on the list; a withdrawal of consent is sent all the same.
    let outcomes: RowOutcome[];
    if (onRemove === 'ignore') outcomes = members.map((m) => ({ key: m.key, status: 'confirmed' as const }));
    else {
      const listId = await this.list();
      try {
        outcomes = await removeMembers(c.client, listId, members);
      } catch (error) {
        throw this.stopped(error, listId);
      }
    }
    const removed = new Set(outcomes.filter((o) => o.status === 'confirmed').map((o) => o.key));
    const withdrawn = await this.withdraw(members.filter((m) => removed.has(m.key)));
    for (const o of [...outcomes, ...withdrawn]) {
      if (o.status === 'confirmed') continue;
      removed.delete(o.key);
      c.fail(o.key, o.reason ?? 'failed');
    }
    // A row whose withdrawal failed stays in the snapshot: the next run removes and withdraws again.
    await c.forget([...removed]);
    c.count(onRemove === 'ignore' ? 'removed' : 'list_removed', removed.size);
  }
}

export const listMembership: KlaviyoObject<ListMemberPayload> = {
  name: 'list_membership',
  limits: { rows: LIMITS.profilesPerListRequest, removals: LIMITS.profilesPerListRequest },
  // Klaviyo adds members by profile id: the profile must exist first.
  runs: 'after_profiles',
  build: buildListMember,
  bytesOf: () => 0,
  // The member's identifiers and id, and the consent subscribed with them; a withdrawal is always sent.
  sameAsSent: (before, after) => after.unsubscribe === undefined && sameJson(before, after),
  confirmedAs: () => 'list_added',
  removalBound: (spec, counts) => (spec.config.on_remove === 'ignore' ? 0 : counts.remove),
  examplesShowValues: true,
  countSend(_spec, change, payload, tally) {
    tally.send += 1;
    if (change.profileId === null) tally.lookups += 1;
    if (payload.formerProfileId !== undefined) tally.replaced += 1;
    if (payload.subscribe !== undefined) tally.subscribes += 1;
    if (payload.unsubscribe !== undefined) tally.unsubscribes += 1;
  },
  countRemoval(spec, change, tally) {
    if (spec.config.subscribe !== undefined) {
      const built = buildListMember(spec, change);
      if (built.ok && built.payload.unsubscribe !== undefined) tally.unsubscribes += 1;
    }
    if (spec.config.on_remove !== 'ignore') {
      tally.removes += 1;
      if (change.profileId === null) tally.lookups += 1;
    }
  },
  requests(spec, tally, input) {
    const requests: Record<string, number> = {};
    const adds = toSend(tally, input).rows;
    if (spec.config.list?.id === undefined && adds + tally.removes > 0) {
      // The list is found by name, and created when missing, which a list sync that never confirmed
      // a member is assumed to need (https://developers.klaviyo.com/en/reference/create_list).
      addRequests(requests, 'get_lists', 1);
      if (input.counts.unchanged === 0 && input.counts.remove === 0) addRequests(requests, 'create_list', 1);
    }
    const lookups = tally.lookups + input.afterSend;
    addRequests(requests, 'get_profiles', Math.ceil(lookups / LIMITS.profilesPerLookup));
    addRequests(requests, 'add_profiles_to_list', batches(adds, LIMITS.profilesPerListRequest));
    addRequests(requests, 'remove_profiles_from_list', batches(tally.removes, LIMITS.profilesPerListRequest));
    // A batch whose members changed identifiers takes their former profiles off in one request.
    addRequests(
      requests,
      'remove_profiles_from_list',
      batches(tally.replaced, LIMITS.profilesPerListRequest),
    );
    addRequests(requests, 'bulk_subscribe_profiles', batches(tally.subscribes, LIMITS.profilesPerSubscribe));
    addRequests(
      requests,
      'bulk_unsubscribe_profiles',
      batches(tally.unsubscribes, LIMITS.profilesPerUnsubscribe),
    );
    return requests;
  },
  applier: (context) => new ListApplier(context),
  // The members' identifiers and consent: the list itself is chosen when the file is imported.
  csvImport: { profileColumns: false },
  configChanges: {
    key: startsOverOnNewKey(
      (counts) =>
        `all ${rows(counts.inModel, 'member')} are added to the list again (adding a member twice is harmless); nobody is removed for the old keys.`,
    ),
    target: (before, after, counts) =>
      JSON.stringify(before.list) === JSON.stringify(after.list)
        ? []
        : [
            {
              kind: 'list',
              what: `\`list\` changed from ${listName(before.list)} to ${listName(after.list)}: the snapshot's ${rows(counts.inSnapshot, 'member')} are on the old list.`,
              consequence: `${STARTS_OVER} and adds all ${rows(counts.inModel, 'member')} to the new list; nobody is removed from the old one.`,
              needsFlag: true,
            },
          ],
  },
};
