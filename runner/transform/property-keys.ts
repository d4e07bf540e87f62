/**
 * Property keys Klaviyo can segment and template on.
 *
 * Custom keys taken from column names (profile `properties`, event `properties`): no whitespace,
 * dots or brackets, which Klaviyo's filters and templates read as paths, no control characters,
 * and no leading `$`, which Klaviyo reserves for its own properties ($source, $consent_method …;
 * docs/klaviyo-api.md#profile-attributes).
 *
 * Keys inside an event's JSON properties follow Klaviyo's ecommerce convention, which itself uses
 * spaces ("Discount Code", docs/klaviyo-api.md#events): spaces are allowed there, dots, brackets, control
 * characters and `$` keys are not, except `$extra`, Klaviyo's place for non-segmentable data.
 */
const PATH_CHARACTERS = /[\s.[\]]/;
const PATH_CHARACTERS_NO_SPACE = /[.[\]]/;
// Control characters: C0 and DEL, which no template can address.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x1f\x7f]/;
const REPLACEABLE = /[\s.[\]]+/g;

function describe(key: string): string {
  if (/\s/.test(key)) return 'a space';
  if (key.includes('.')) return 'a dot';
  return 'a bracket';
}

/** Why a column name cannot be a custom property key, or null when it can. */
export function propertyKeyProblem(key: string): string | null {
  if (key === '') return 'property key is empty';
  if (key.startsWith('$'))
    return `property key "${key}" starts with $, which Klaviyo reserves for its own properties; rename the column in the model (e.g. ${suggest(key)})`;
  if (CONTROL.test(key)) return `property key ${JSON.stringify(key)} contains a control character`;
  if (PATH_CHARACTERS.test(key))
    return `property key "${key}" contains ${describe(key)}, which Klaviyo reads as a path; rename the column in the model (e.g. ${suggest(key)})`;
  return null;
}

/** Why a key inside an event's JSON properties cannot be sent, or null when it can. */
export function eventPropertyKeyProblem(key: string): string | null {
  if (key === '') return 'has an empty key';
  if (key.startsWith('$') && key !== '$extra')
    return `key "${key}" starts with $, which Klaviyo reserves (only $extra is allowed)`;
  if (CONTROL.test(key)) return `key ${JSON.stringify(key)} contains a control character`;
  if (PATH_CHARACTERS_NO_SPACE.test(key))
    return `key "${key}" contains ${describe(key.replace(/\s/g, '_'))}, which Klaviyo reads as a path`;
  return null;
}

function suggest(key: string): string {
  const name = key
    .replace(/^\$+/, '')
    .replace(REPLACEABLE, '_')
    .replace(/^_+|_+$/g, '');
  return name === '' ? 'a name of letters and underscores' : name;
}
