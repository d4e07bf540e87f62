/**
 * Klaviyo's size limits (klaviyo/limits.ts), checked before a payload is batched, so an oversize
 * row is rejected on its own instead of failing the whole request it would have joined.
 *
 * - A profile is at most 100 KB as JSON (docs/klaviyo-api.md#profile-attributes).
 * - An event's properties: at most 400 keys, 5 MB in all, 100 KB per string, 4,000 items per
 *   array and 10 levels of nesting, counting the properties object as level 1 (docs/klaviyo-api.md#events).
 *
 * Sizes are UTF-8 bytes of the JSON that goes in the request, measured on the text each payload is
 * serialised to once (entries.ts). The walk over an event's properties is skipped for strings when
 * the event's JSON is under 100 KB, since no string inside can be larger.
 */
import { LIMITS } from '../klaviyo/limits.ts';

const PROFILE_MAX_BYTES = LIMITS.bytesPerProfile;
const EVENT_MAX_PROPERTIES = LIMITS.propertiesPerEvent;
const EVENT_MAX_BYTES = LIMITS.bytesPerEvent;
const EVENT_MAX_STRING_BYTES = LIMITS.bytesPerEventString;
const EVENT_MAX_ARRAY_ITEMS = LIMITS.itemsPerEventArray;
const EVENT_MAX_DEPTH = LIMITS.eventNestingLevels;

function kb(bytes: number): string {
  return `${Math.ceil(bytes / 1024)} KB`;
}

export function profileSizeProblem(bytes: number): string | null {
  return bytes > PROFILE_MAX_BYTES
    ? `profile is ${kb(bytes)} as JSON; Klaviyo accepts at most 100 KB per profile, so drop or shorten properties in the model`
    : null;
}

/** Where an event's properties break a limit (a path such as `properties.Items[3].Notes`) and how. */
export interface SizeProblem {
  path: string;
  reason: string;
}

/**
 * `eventBytes`: what the event takes in a request (entries.ts, `eventRequestBytes`), which holds
 * its properties whole and so bounds their size and any string's.
 */
export function eventPropertiesProblem(
  properties: Record<string, unknown>,
  eventBytes: number,
): SizeProblem | null {
  const count = Object.keys(properties).length;
  if (count > EVENT_MAX_PROPERTIES)
    return {
      path: 'properties',
      reason: `has ${count} keys; Klaviyo accepts at most ${EVENT_MAX_PROPERTIES} properties per event`,
    };
  if (eventBytes > EVENT_MAX_BYTES)
    return {
      path: 'properties',
      reason: `make the event ${kb(eventBytes)} as JSON; Klaviyo accepts at most 5 MB per event`,
    };
  const found = walk(properties, 1, eventBytes > EVENT_MAX_STRING_BYTES);
  return found === null ? null : { path: `properties${found.at.reverse().join('')}`, reason: found.reason };
}

/** A problem found by the walk; `at` holds the path segments innermost first, built only on failure. */
interface Found {
  at: string[];
  reason: string;
}

function walk(value: unknown, depth: number, strings: boolean): Found | null {
  if (typeof value === 'string') {
    if (strings && value.length * 3 > EVENT_MAX_STRING_BYTES) {
      const bytes = Buffer.byteLength(value);
      if (bytes > EVENT_MAX_STRING_BYTES)
        return { at: [], reason: `is ${kb(bytes)}; Klaviyo accepts at most 100 KB per string` };
    }
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  if (depth > EVENT_MAX_DEPTH)
    return { at: [], reason: `is nested deeper than the ${EVENT_MAX_DEPTH} levels Klaviyo accepts` };
  if (Array.isArray(value)) {
    if (value.length > EVENT_MAX_ARRAY_ITEMS)
      return {
        at: [],
        reason: `has ${value.length} items; Klaviyo accepts at most ${EVENT_MAX_ARRAY_ITEMS} per array`,
      };
    for (let i = 0; i < value.length; i++) {
      const found = walk(value[i], depth + 1, strings);
      if (found !== null) {
        found.at.push(`[${i}]`);
        return found;
      }
    }
    return null;
  }
  for (const k in value) {
    const found = walk((value as Record<string, unknown>)[k], depth + 1, strings);
    if (found !== null) {
      found.at.push(`.${k}`);
      return found;
    }
  }
  return null;
}
