/**
 * The sandbox's in-memory Klaviyo account: profiles with identity indexes, metrics and events,
 * lists and memberships, import and suppression jobs. Semantics follow Klaviyo's documentation
 * (docs/klaviyo-api.md#operations-and-batch-limits): email, phone_number and external_id each identify a profile; an import naming
 * identifiers of two different profiles is an error for that row; bulk import ignores nulls
 * (cannot clear), profile-import and PATCH clear with null; events dedupe on unique_id per
 * profile and metric.
 */
import { klaviyoId } from './ids.ts';

export interface Subscriptions {
  email: {
    marketing: {
      consent: 'SUBSCRIBED' | 'UNSUBSCRIBED' | 'NEVER_SUBSCRIBED';
      consented_at: string | null;
      suppression: { reason: string; timestamp: string }[];
    };
  };
  sms: {
    marketing: { consent: 'SUBSCRIBED' | 'UNSUBSCRIBED' | 'NEVER_SUBSCRIBED'; consented_at: string | null };
  };
}

export interface Profile {
  id: string;
  email: string | null;
  phone_number: string | null;
  external_id: string | null;
  attributes: Record<string, unknown>;
  properties: Record<string, unknown>;
  location: Record<string, unknown>;
  subscriptions: Subscriptions;
  created: string;
  updated: string;
}

export interface StoredEvent {
  id: string;
  metricId: string;
  profileId: string;
  uniqueId: string;
  datetime: string;
  value: number | null;
  valueCurrency: string | null;
  properties: Record<string, unknown>;
  backfill: boolean;
  received: string;
}

export interface ImportError {
  id: string;
  code: string;
  title: string;
  detail: string;
  source: { pointer: string };
  original_payload: unknown;
}

export interface ImportJob {
  id: string;
  status: 'queued' | 'processing' | 'complete' | 'cancelled';
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  total_count: number;
  completed_count: number;
  failed_count: number;
  listIds: string[];
  rows: unknown[];
  errors: ImportError[];
  profileIds: string[];
  /** When the job moves on, in ms since epoch. */
  processingAt: number;
  completeAt: number;
  failWith: 'cancelled' | null;
}

export interface SuppressionJob {
  id: string;
  type: 'profile-suppression-bulk-create-job' | 'profile-suppression-bulk-delete-job';
  status: 'complete';
  created_at: string;
  completed_at: string;
  total_count: number;
  completed_count: number;
  skipped_count: number;
}

export interface SandboxState {
  profiles: Profile[];
  events: (StoredEvent & { metric: string })[];
  metrics: { id: string; name: string }[];
  lists: { id: string; name: string; created: string; profileIds: string[] }[];
  importJobs: Omit<ImportJob, 'rows'>[];
}

function addFound(found: Set<string>, id: string | undefined): void {
  if (id !== undefined) found.add(id);
}

export class Store {
  profiles = new Map<string, Profile>();
  byEmail = new Map<string, string>();
  byPhone = new Map<string, string>();
  byExternal = new Map<string, string>();
  metrics = new Map<string, { id: string; name: string; created: string }>();
  events: StoredEvent[] = [];
  eventKeys = new Set<string>();
  lists = new Map<
    string,
    { id: string; name: string; created: string; updated: string; members: Map<string, string> }
  >();
  importJobs = new Map<string, ImportJob>();
  suppressionJobs = new Map<string, SuppressionJob>();
  private counter = 0;
  /** Each profile's place in `profiles`, in the order they were made (`profilesWith`). */
  private readonly places = new Map<string, number>();
  private nextPlace = 0;

  /** Klaviyo-looking ids (26 characters for profiles, 6 for lists), deterministic per store (ids.ts). */
  newId(kind: string, length = 26): string {
    this.counter += 1;
    return klaviyoId(this.counter, kind, length);
  }

  /** The time now as Klaviyo writes it; one text per millisecond, as a bulk request stamps thousands. */
  now(): string {
    const ms = Date.now();
    if (ms !== this.lastNow.ms) this.lastNow = { ms, iso: new Date(ms).toISOString() };
    return this.lastNow.iso;
  }

  private lastNow = { ms: Number.NaN, iso: '' };

  /**
   * Finds the profiles the identifiers point at (0, 1, or more than 1 = a conflict). `id`, a
   * profile id, is apart from `ids` so a request's attributes are read as they are, not copied.
   */
  matches(
    ids: { email?: unknown; phone_number?: unknown; external_id?: unknown; id?: unknown },
    id: unknown = ids.id,
  ): Set<string> {
    const found = new Set<string>();
    if (typeof id === 'string' && this.profiles.has(id)) found.add(id);
    const { email, phone_number: phone, external_id: external } = ids;
    // Plain lookups, no closure: every profile of an import and every event's profile comes here.
    if (typeof email === 'string') addFound(found, this.byEmail.get(email.toLowerCase()));
    if (typeof phone === 'string') addFound(found, this.byPhone.get(phone));
    if (typeof external === 'string') addFound(found, this.byExternal.get(external));
    return found;
  }

  private index(profile: Profile): void {
    if (profile.email) this.byEmail.set(profile.email, profile.id);
    if (profile.phone_number) this.byPhone.set(profile.phone_number, profile.id);
    if (profile.external_id) this.byExternal.set(profile.external_id, profile.id);
  }

  private unindex(profile: Pick<Profile, 'email' | 'phone_number' | 'external_id'>): void {
    if (profile.email) this.byEmail.delete(profile.email);
    if (profile.phone_number) this.byPhone.delete(profile.phone_number);
    if (profile.external_id) this.byExternal.delete(profile.external_id);
  }

  newProfile(): Profile {
    const now = this.now();
    return {
      id: this.newId('profile'),
      email: null,
      phone_number: null,
      external_id: null,
      attributes: {},
      properties: {},
      location: {},
      subscriptions: {
        email: { marketing: { consent: 'NEVER_SUBSCRIBED', consented_at: null, suppression: [] } },
        sms: { marketing: { consent: 'NEVER_SUBSCRIBED', consented_at: null } },
      },
      created: now,
      updated: now,
    };
  }

  /**
   * Writes attributes onto a profile. `nullClears`: profile-import and PATCH clear a field sent
   * as null; bulk import ignores nulls (docs/klaviyo-api.md#bulk-profile-import).
   */
  apply(
    profile: Profile,
    attributes: Record<string, unknown>,
    nullClears: boolean,
    unset: string[] = [],
  ): void {
    const { email, phone_number, external_id } = profile;
    for (const [key, value] of Object.entries(attributes)) {
      if (value === null && !nullClears) continue;
      if (key === 'email') profile.email = value === null ? null : String(value).toLowerCase();
      else if (key === 'phone_number' || key === 'external_id')
        profile[key] = value === null ? null : String(value);
      else if (key === 'properties') {
        if (value === null) {
          if (nullClears) profile.properties = {};
          continue;
        }
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
          if (v === null && !nullClears) continue;
          if (v === null) delete profile.properties[k];
          else profile.properties[k] = v;
        }
      } else if (key === 'location') {
        for (const [k, v] of Object.entries((value ?? {}) as Record<string, unknown>)) {
          if (v === null && !nullClears) continue;
          if (v === null) delete profile.location[k];
          else profile.location[k] = v;
        }
      } else if (value === null) delete profile.attributes[key];
      else profile.attributes[key] = value;
    }
    for (const key of unset) delete profile.properties[key];
    profile.updated = this.now();
    // Indexed again only when an identifier changed: most writes (an event's profile) change none.
    if (
      profile.email !== email ||
      profile.phone_number !== phone_number ||
      profile.external_id !== external_id
    ) {
      this.unindex({ email, phone_number, external_id });
      this.index(profile);
    }
    this.keep(profile);
  }

  /** Stores a profile; a new one takes the next place in the store's order. */
  private keep(profile: Profile): void {
    if (this.profiles.get(profile.id) === profile) return;
    if (!this.places.has(profile.id)) {
      this.places.set(profile.id, this.nextPlace);
      this.nextPlace += 1;
    }
    this.profiles.set(profile.id, profile);
  }

  /**
   * The profiles whose `field` is one of `values` (an email as stored: lower case), found through
   * the identity indexes and listed in the store's order, as a scan of every profile lists them:
   * a first sync looks up 10,000 list members 100 at a time, and a scan each time went over
   * every profile in the account.
   */
  profilesWith(field: 'id' | 'email' | 'phone_number' | 'external_id', values: readonly string[]): Profile[] {
    const indexes = { email: this.byEmail, phone_number: this.byPhone, external_id: this.byExternal };
    const index = field === 'id' ? null : indexes[field];
    const found = new Set<Profile>();
    for (const value of values) {
      const id = index === null ? value : index.get(value);
      const profile = id === undefined ? undefined : this.profiles.get(id);
      if (profile !== undefined) found.add(profile);
    }
    return [...found].sort((a, b) => this.places.get(a.id)! - this.places.get(b.id)!);
  }

  /** Create-or-update by identifiers; throws a conflict when they name two different profiles. */
  upsert(
    attributes: Record<string, unknown>,
    nullClears: boolean,
    id?: string,
  ): { profile: Profile; created: boolean } | { conflict: string } {
    const found = this.matches(attributes, id);
    if (found.size > 1) return { conflict: [...found][0]! };
    const existing = found.size === 1 ? this.profiles.get([...found][0]!)! : undefined;
    const profile = existing ?? this.newProfile();
    this.apply(profile, attributes, nullClears);
    return { profile, created: existing === undefined };
  }

  /**
   * Erases a profile as a privacy deletion does: the profile, its identifiers, its events and its
   * list memberships are gone (https://developers.klaviyo.com/en/reference/request_profile_deletion).
   */
  erase(profileId: string): void {
    const profile = this.profiles.get(profileId);
    if (profile === undefined) return;
    this.unindex(profile);
    this.profiles.delete(profileId);
    this.places.delete(profileId);
    this.events = this.events.filter((e) => e.profileId !== profileId);
    for (const key of [...this.eventKeys]) if (key.startsWith(`${profileId}|`)) this.eventKeys.delete(key);
    for (const list of this.lists.values()) list.members.delete(profileId);
  }

  metricByName(name: string): { id: string; name: string } {
    for (const m of this.metrics.values()) if (m.name === name) return m;
    const metric = { id: this.newId('metric', 6), name, created: this.now() };
    this.metrics.set(metric.id, metric);
    return metric;
  }

  /** Stores an event unless the same unique_id exists for this profile and metric (Klaviyo dedupes). */
  addEvent(event: Omit<StoredEvent, 'id' | 'received'>): boolean {
    const key = `${event.profileId}|${event.metricId}|${event.uniqueId}`;
    if (this.eventKeys.has(key)) return false;
    this.eventKeys.add(key);
    // Field by field rather than spread: a bulk request stores a thousand.
    this.events.push({
      id: this.newId('event'),
      metricId: event.metricId,
      profileId: event.profileId,
      uniqueId: event.uniqueId,
      datetime: event.datetime,
      value: event.value,
      valueCurrency: event.valueCurrency,
      properties: event.properties,
      backfill: event.backfill,
      received: this.now(),
    });
    return true;
  }

  snapshot(): SandboxState {
    const metricName = new Map([...this.metrics.values()].map((m) => [m.id, m.name]));
    return {
      profiles: [...this.profiles.values()].map((p) => structuredClone(p)),
      events: this.events.map((e) => ({ ...structuredClone(e), metric: metricName.get(e.metricId) ?? '' })),
      metrics: [...this.metrics.values()].map((m) => ({ id: m.id, name: m.name })),
      lists: [...this.lists.values()].map((l) => ({
        id: l.id,
        name: l.name,
        created: l.created,
        profileIds: [...l.members.keys()],
      })),
      importJobs: [...this.importJobs.values()].map(({ rows: _rows, ...job }) => structuredClone(job)),
    };
  }

  toJSON(): unknown {
    return { counter: this.counter, state: this.snapshot() };
  }

  load(data: { counter: number; state: SandboxState }): void {
    this.counter = data.counter;
    for (const p of data.state.profiles) {
      this.keep(p);
      this.index(p);
    }
    for (const m of data.state.metrics) this.metrics.set(m.id, { ...m, created: this.now() });
    for (const e of data.state.events) {
      const { metric: _m, ...event } = e;
      this.events.push(event);
      this.eventKeys.add(`${e.profileId}|${e.metricId}|${e.uniqueId}`);
    }
    for (const l of data.state.lists) {
      this.lists.set(l.id, {
        id: l.id,
        name: l.name,
        created: l.created,
        updated: l.created,
        members: new Map(l.profileIds.map((id) => [id, l.created])),
      });
    }
  }
}
