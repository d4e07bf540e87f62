/**
 * A profile or list member payload → one record of Klaviyo's CSV import, with the column names
 * Klaviyo's list import maps by itself (docs/csv-export.md#columns): `Email`, `Phone Number`,
 * `External ID`, the profile fields by their Klaviyo names (`First Name`, `City`, `Zip Code`, …),
 * each custom property as a column named by its key, and for a list sync that subscribes, the
 * consent columns the import reads (`Email Marketing Consent`, `SMS Marketing Consent`, with
 * `Subscribed`, and the consent time).
 *
 * The header comes from the sync's configuration, not from the rows, so two exports of one sync
 * have the same columns whatever their rows hold.
 */
import { ConfigError } from '../errors.ts';
import {
  PROFILE_ATTRIBUTES,
  PROFILE_LOCATION_ATTRIBUTES,
  type ProfileAttribute,
  type SyncSpec,
} from '../manifest/spec.ts';
import type { ListMemberPayload, ProfileAttributes, ProfilePayload } from '../transform/payload.ts';
import { objectOf } from '../objects/index.ts';

const IDENTITY_HEADERS = {
  email: 'Email',
  phone_number: 'Phone Number',
  external_id: 'External ID',
} as const;

export const ATTRIBUTE_HEADERS: Record<ProfileAttribute, string> = {
  first_name: 'First Name',
  last_name: 'Last Name',
  organization: 'Organization',
  title: 'Title',
  locale: 'Locale',
  image: 'Image',
  address1: 'Address',
  address2: 'Address 2',
  city: 'City',
  region: 'Region',
  zip: 'Zip Code',
  country: 'Country',
  latitude: 'Latitude',
  longitude: 'Longitude',
  timezone: 'Timezone',
};

export const CONSENT_HEADERS = {
  email: 'Email Marketing Consent',
  emailAt: 'Email Marketing Consent Timestamp',
  sms: 'SMS Marketing Consent',
  smsAt: 'SMS Marketing Consent Timestamp',
} as const;

/** Klaviyo's word for a profile that consented, in the consent columns of its list import. */
export const SUBSCRIBED = 'Subscribed';

/** One column of the file: its header, and where a payload's value for it comes from. */
interface Column {
  header: string;
  value: (attributes: ProfileAttributes, member?: ListMemberPayload) => unknown;
}

/** A value as CSV text: text as it is, numbers and booleans written out, anything else as JSON. */
function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function columnsOf(spec: SyncSpec): Column[] {
  const config = spec.config;
  const columns: Column[] = [];
  for (const id of ['email', 'phone_number', 'external_id'] as const)
    if (config.identity[id] !== undefined)
      columns.push({ header: IDENTITY_HEADERS[id], value: (a) => a[id] });
  if (objectOf(spec).csvImport?.profileColumns === true) {
    const inLocation = new Set<string>(PROFILE_LOCATION_ATTRIBUTES);
    for (const name of PROFILE_ATTRIBUTES) {
      if (config.attributes?.[name] === undefined) continue;
      const read = (a: ProfileAttributes): unknown =>
        inLocation.has(name)
          ? (a.location as Record<string, unknown> | undefined)?.[name]
          : (a as Record<string, unknown>)[name];
      columns.push({ header: ATTRIBUTE_HEADERS[name], value: read });
    }
    for (const key of config.properties ?? [])
      columns.push({ header: key, value: (a) => a.properties?.[key] });
  }
  const subscribe = config.subscribe;
  if (subscribe !== undefined) {
    for (const channel of subscribe.channels) {
      const consented = (m?: ListMemberPayload) => m?.subscribe?.channels.includes(channel) === true;
      columns.push(
        {
          header: channel === 'email' ? CONSENT_HEADERS.email : CONSENT_HEADERS.sms,
          value: (_a, m) => (consented(m) ? SUBSCRIBED : undefined),
        },
        {
          header: channel === 'email' ? CONSENT_HEADERS.emailAt : CONSENT_HEADERS.smsAt,
          value: (_a, m) => (consented(m) ? m?.subscribe?.consentedAt : undefined),
        },
      );
    }
  }
  return columns;
}

export interface CsvLayout {
  header: string[];
  record(payload: ProfilePayload | ListMemberPayload): string[];
}

/**
 * The file's layout for a sync. A custom property whose key is one of the file's other headers
 * (a property named `City` beside the city attribute) would make two columns of one name; the
 * export refuses it, naming the property.
 */
export function csvLayout(spec: SyncSpec): CsvLayout {
  const columns = columnsOf(spec);
  const seen = new Set<string>();
  for (const { header } of columns) {
    if (seen.has(header.toLowerCase()))
      throw new ConfigError(
        `${spec.name} (${spec.yamlPath}): the custom property \`${header}\` has the name of another column of Klaviyo's CSV import; rename the model column to export it.`,
      );
    seen.add(header.toLowerCase());
  }
  return {
    header: columns.map((c) => c.header),
    record: (payload) => {
      const member = 'attributes' in payload ? undefined : payload;
      const attributes = 'attributes' in payload ? payload.attributes : payload.profile;
      return columns.map((c) => cell(c.value(attributes, member)));
    },
  };
}
