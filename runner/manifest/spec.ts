/**
 * A sync spec: one exposure's `config.meta.klaviyo` block, validated against
 * `schema/klaviyo-sync.schema.json` and joined with the model node it ships. Everything after the
 * manifest stage works from these, never from the manifest itself.
 */

/** `deletion`: each row names a person Klaviyo must erase (docs/privacy-deletions.md). */
export type SyncObject = 'profile' | 'event' | 'list_membership' | 'deletion';

/**
 * Objects Klaviyo keeps as it first stored them: an event sent again under its `unique_id` is
 * ignored (docs/klaviyo-api.md#events), so a row changed after Klaviyo confirmed it is reported as
 * changed, never sent. The diff classifies by it (state/diff-sql.ts), a stage before the object
 * modules (objects/), so the fact sits here.
 */
export const IMMUTABLE_OBJECTS: ReadonlySet<SyncObject> = new Set<SyncObject>(['event']);

/** The validated `config.meta.klaviyo` block (shape of schema/klaviyo-sync.schema.json). */
export interface KlaviyoSyncConfig {
  object: SyncObject;
  model?: string;
  key: string;
  identity: { email?: string; phone_number?: string; external_id?: string };
  phone_region?: string;
  on_invalid_phone?: 'drop_field' | 'reject_row';
  attributes?: Partial<Record<ProfileAttribute, string>>;
  properties?: string[];
  properties_json?: string;
  metric?: string;
  /** Event syncs: the column holding each row's metric name, instead of one `metric`. */
  metric_column?: string;
  /** Event syncs: profile attributes and properties sent with each event's profile. */
  profile?: { attributes?: Partial<Record<ProfileAttribute, string>>; properties?: string[] };
  time?: string;
  value?: string;
  value_currency?: string;
  backfill?: boolean | 'first_load';
  list?: { id?: string; name?: string };
  subscribe?: { channels: ('email' | 'sms')[]; consent: string; consented_at?: string };
  scope?: { suppressions: string; exclude: ('suppressed' | 'unsubscribed' | 'never_consented')[] };
  after?: string;
  on_remove?: 'ignore' | 'unset_properties' | 'remove';
  max_removal_percent?: number;
}

/** Klaviyo's standard profile attributes, on the profile itself and inside `location` (docs/klaviyo-api.md#profile-attributes). */
export const PROFILE_STANDARD_ATTRIBUTES = [
  'first_name',
  'last_name',
  'organization',
  'title',
  'locale',
  'image',
] as const;
export const PROFILE_LOCATION_ATTRIBUTES = [
  'address1',
  'address2',
  'city',
  'region',
  'zip',
  'country',
  'latitude',
  'longitude',
  'timezone',
] as const;
export const PROFILE_ATTRIBUTES = [...PROFILE_STANDARD_ATTRIBUTES, ...PROFILE_LOCATION_ATTRIBUTES] as const;
export type ProfileAttribute = (typeof PROFILE_ATTRIBUTES)[number];

/** The dbt model (or seed/snapshot) node a sync reads. */
export interface ModelRef {
  uniqueId: string;
  name: string;
  /** Fully qualified and quoted by dbt, e.g. `"demo"."main"."klaviyo__profiles"`. */
  relationName: string;
  materialized: string;
  originalFilePath: string;
}

export interface SyncSpec {
  /** The exposure's name: the sync's identity everywhere (state tables, reports, --select). */
  name: string;
  exposureId: string;
  /** The YAML file that declares the exposure, for error messages. */
  yamlPath: string;
  tags: string[];
  config: KlaviyoSyncConfig;
  model: ModelRef;
  /** Resolved relation of `config.scope.suppressions`, when the sync is scoped. */
  suppressionsRelation?: string;
  /**
   * Relations of the project's rejected-rows models (meta `klaviyo_rejected_rows: true`, such as
   * the package's klaviyo__rejected_rows): rows the dbt models left out, each naming the model it
   * would have fed. This sync reports those naming its model.
   */
  rejectedRowsRelations: string[];
  /**
   * Relations of the project's withheld-fields models (meta `klaviyo_withheld_fields: true`, such
   * as the package's klaviyo__withheld_fields): fields the dbt models left out of rows they ship,
   * each naming the model. This sync reports those naming its model.
   */
  withheldFieldsRelations: string[];
  /**
   * The SQL naming a model column where the warehouse stores it in another case than the
   * exposure writes it (source/model-columns.ts); set once the warehouse is open.
   */
  columnSql?: Readonly<Record<string, string>>;
  /**
   * The custom property columns the model stores as a DATE or TIMESTAMP (source/model-columns.ts),
   * set once the warehouse is open: such a value must be a date Klaviyo can hold
   * (transform/properties.ts).
   */
  dateColumns?: readonly string[];
}

/**
 * The model columns a sync reads, in a stable order: key first, then identity, attributes,
 * properties and the event/list columns. The diff hashes exactly these, so adding an unrelated
 * column to the model changes nothing in Klaviyo.
 */
export function syncColumns(config: KlaviyoSyncConfig): string[] {
  return columnsNamed(config);
}

/**
 * The same columns read from a block that may not be valid, taking only what is a string where a
 * column name belongs: `validate` checks the columns of an exposure whose block has other
 * problems too, so one run names them all.
 */
export function columnsNamed(block: unknown): string[] {
  const at = (value: unknown, key: string): unknown =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)[key]
      : undefined;
  const values = (value: unknown): unknown[] =>
    Array.isArray(value) ? value : typeof value === 'object' && value !== null ? Object.values(value) : [];
  const cols = [
    at(block, 'key'),
    ...values(at(block, 'identity')),
    ...values(at(block, 'attributes')),
    ...(Array.isArray(at(block, 'properties')) ? values(at(block, 'properties')) : []),
    at(block, 'properties_json'),
    at(block, 'metric_column'),
    ...values(at(at(block, 'profile'), 'attributes')),
    ...(Array.isArray(at(at(block, 'profile'), 'properties'))
      ? values(at(at(block, 'profile'), 'properties'))
      : []),
    at(block, 'time'),
    at(block, 'value'),
    at(block, 'value_currency'),
    at(at(block, 'subscribe'), 'consent'),
    at(at(block, 'subscribe'), 'consented_at'),
  ].filter((c): c is string => typeof c === 'string' && c !== '');
  return [...new Set(cols)];
}
