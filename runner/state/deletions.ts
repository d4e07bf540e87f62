/**
 * The `deletions` state table (docs/privacy-deletions.md): per deletion sync and row, each
 * identifier of a person to erase, kept as a SHA-256 of the normalised value, never the value
 * itself, with what became of it:
 *
 *   pending           about to be requested; a run killed here checks Klaviyo before asking again
 *   requested         Klaviyo accepted the deletion request (202)
 *   nothing_to_erase  Klaviyo holds no profile for it (an external id no profile carries)
 *   linked            not named by the deletion row, but found beside one of its identifiers in
 *                     another sync's snapshot row: the same person, held back as well
 *
 * Every identifier recorded here, whatever its status, is an erased person's: the other syncs hold
 * back rows that carry it (`erasedIdentifiers`), and `forgetErased` removes that person's rows from
 * their snapshots, rejections, withdrawals and unfinished jobs, so the state keeps nothing of them
 * but the hash.
 */
import { createHash } from 'node:crypto';
import { normalizeEmail } from '../identity/email.ts';
import { normalizeExternalId } from '../identity/external-id.ts';
import { normalizePhone } from '../identity/phone.ts';
import type { KlaviyoSyncConfig, SyncSpec } from '../manifest/spec.ts';
import { utcTimestampText, type Row } from '../source/warehouse.ts';
import { readConfigs } from './configs.ts';
import { parseRowJson } from './row-json.ts';
import { inTransaction, type State } from './schema.ts';
import { forgetPersonRows } from './snapshot.ts';

export type ErasedIdentifier = 'email' | 'phone_number' | 'external_id';
export type DeletionStatus = 'pending' | 'requested' | 'nothing_to_erase' | 'linked';

export interface DeletionRecord {
  key: string;
  identifier: ErasedIdentifier;
  /** `identifierHash` of the normalised value. */
  hash: string;
  status: DeletionStatus;
}

/** The one way an identifier is remembered: SHA-256 over its kind and its normalised value. */
export function identifierHash(identifier: ErasedIdentifier, value: string): string {
  return createHash('sha256').update(`${identifier}:${value}`).digest('hex');
}

/** The hashes of a profile's normalised identifiers. */
export function identityHashes(profile: {
  email?: string;
  phone_number?: string;
  external_id?: string;
}): string[] {
  const hashes: string[] = [];
  for (const identifier of ['email', 'phone_number', 'external_id'] as const) {
    const value = profile[identifier];
    if (value !== undefined) hashes.push(identifierHash(identifier, value));
  }
  return hashes;
}

/** The identifiers a snapshot row holds, normalised under the configuration it was confirmed with. */
function rowIdentity(config: KlaviyoSyncConfig, row: Row): { identifier: ErasedIdentifier; hash: string }[] {
  const ids = config.identity;
  const profile: { email?: string; phone_number?: string; external_id?: string } = {};
  const email = ids.email === undefined ? null : normalizeEmail(row[ids.email]);
  if (email?.ok === true) profile.email = email.value;
  const country = config.attributes?.country === undefined ? undefined : row[config.attributes.country];
  const phone =
    ids.phone_number === undefined
      ? null
      : normalizePhone(row[ids.phone_number], country, config.phone_region ?? 'US');
  if (phone?.ok === true) profile.phone_number = phone.value;
  const external = ids.external_id === undefined ? null : normalizeExternalId(row[ids.external_id]);
  if (external?.ok === true) profile.external_id = external.value;
  return (['email', 'phone_number', 'external_id'] as const)
    .filter((identifier) => profile[identifier] !== undefined)
    .map((identifier) => ({ identifier, hash: identifierHash(identifier, profile[identifier]!) }));
}

/** How far an identifier's deletion got, by any deletion sync and row: the furthest wins. */
const PROGRESS: Partial<Record<DeletionStatus, number>> = { pending: 1, nothing_to_erase: 2, requested: 3 };

/**
 * Each identifier's deletion status by hash, whichever deletion sync or row recorded it: a person
 * named twice (two requests, or a deletion row whose key changed) is asked for once. A `linked`
 * identifier was never asked for, so it is absent here.
 */
export async function readDeletions(state: State): Promise<Map<string, DeletionStatus>> {
  const rows = await state.wh.query(`select value_hash, status from ${state.table('deletions')}`);
  const statuses = new Map<string, DeletionStatus>();
  for (const r of rows) {
    const status = String(r.status) as DeletionStatus;
    const hash = String(r.value_hash);
    const known = statuses.get(hash);
    if ((PROGRESS[status] ?? 0) > (known === undefined ? 0 : (PROGRESS[known] ?? 0)))
      statuses.set(hash, status);
  }
  return statuses;
}

/** Records (or moves on) deletions of one sync, each replacing what was recorded for it. */
export async function recordDeletions(
  state: State,
  sync: string,
  runId: string,
  records: DeletionRecord[],
): Promise<void> {
  if (records.length === 0) return;
  const d = state.wh.dialect;
  const now = utcTimestampText(new Date());
  await inTransaction(state, async (tx) => {
    for (const r of records)
      await tx.wh.execute(
        `delete from ${tx.table('deletions')} where sync = ${d.literal(sync)} and key = ${d.literal(r.key)}
           and identifier = ${d.literal(r.identifier)} and value_hash = ${d.literal(r.hash)}`,
      );
    await tx.wh.insertRows(
      tx.table('deletions'),
      ['sync', 'key', 'identifier', 'value_hash', 'status', 'run_id', 'recorded_at'],
      records.map((r) => [sync, r.key, r.identifier, r.hash, r.status, runId, now]),
    );
  });
}

/** Every identifier of an erased person, as recorded by any deletion sync. */
export async function erasedIdentifiers(state: State): Promise<Set<string>> {
  const rows = await state.wh.query(`select distinct value_hash from ${state.table('deletions')}`);
  return new Set(rows.map((r) => String(r.value_hash)));
}

/**
 * Removes erased people's rows from every other sync's state: the snapshot rows whose identifiers
 * match (read under the configuration the sync was confirmed with, else the project's), with their
 * rejections and withdrawals. A removed row's other identifiers are the same person's, so they are
 * recorded too (`linked`, under `deletionSync`) and followed into the other syncs, until no row
 * names the person: an event sync keyed by email then holds back the events of someone erased by
 * phone. Each deletion is marked done here once, so a run killed half-way does it again. Returns
 * the rows removed, by sync.
 */
export async function forgetErased(
  state: State,
  deletionSync: string,
  runId: string,
  specs: SyncSpec[],
): Promise<Map<string, number>> {
  const removed = new Map<string, number>();
  const d = state.wh.dialect;
  const open = await state.wh.query(
    `select distinct value_hash from ${state.table('deletions')} where forgotten_at is null`,
  );
  const hashes = new Set(open.map((r) => String(r.value_hash)));
  if (hashes.size === 0) return removed;
  const all = await erasedIdentifiers(state);
  const recorded = await readConfigs(state);
  const current = new Map(specs.map((s) => [s.name, s.config]));
  const syncs = (await state.wh.query(`select distinct sync from ${state.table('snapshot')} order by sync`))
    .map((r) => String(r.sync))
    .map((name) => ({ name, config: recorded.get(name)?.config ?? current.get(name) }))
    // Not the deletion syncs' own: their snapshot keeps no identifiers (this file is their state).
    .filter(
      (s): s is { name: string; config: KlaviyoSyncConfig } =>
        s.config !== undefined && s.config.object !== 'deletion',
    );
  // Each pass follows the identifiers the previous one linked; a person is a handful of rows.
  for (let pass = 0, found = hashes; found.size > 0 && pass < 5; pass++) {
    const linked = new Map<string, DeletionRecord>();
    for (const { name, config } of syncs) {
      const keys: string[] = [];
      for await (const chunk of state.wh.stream(
        `select key, row_json from ${state.table('snapshot')} where sync = ${d.literal(name)}`,
      )) {
        for (const r of chunk) {
          if (r.row_json === null || r.row_json === undefined) continue;
          const ids = rowIdentity(config, parseRowJson(String(r.row_json)) ?? {});
          if (!ids.some((id) => found.has(id.hash))) continue;
          keys.push(String(r.key));
          for (const id of ids)
            if (!all.has(id.hash))
              linked.set(id.hash, { key: `${name}/${String(r.key)}`, ...id, status: 'linked' });
        }
      }
      if (keys.length === 0) continue;
      await forgetPersonRows(state, name, keys);
      removed.set(name, (removed.get(name) ?? 0) + keys.length);
    }
    await recordDeletions(state, deletionSync, runId, [...linked.values()]);
    for (const hash of linked.keys()) all.add(hash);
    found = new Set(linked.keys());
  }
  const list = [...all];
  for (let i = 0; i < list.length; i += 500)
    await state.wh.execute(
      `update ${state.table('deletions')} set forgotten_at = ${d.nowUtc}
       where forgotten_at is null and value_hash in (${list
         .slice(i, i + 500)
         .map((h) => d.literal(h))
         .join(', ')})`,
    );
  return removed;
}
