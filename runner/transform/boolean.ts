/**
 * The boolean rule (docs/value-rules.md): true/false, t/f, yes/no, y/n and 1/0, in any case and
 * with surrounding spaces; anything else is refused, including words of other languages ("wahr",
 * "oui"): a consent column that cannot be read must not subscribe anyone. Pinned by the case table
 * test/dbt/seeds/klaviyo_value_cases.csv, like the macro klaviyo__parse_boolean.
 */
import type { Coerced } from './coerced.ts';

const TRUE = new Set(['true', 't', 'yes', 'y', '1']);
const FALSE = new Set(['false', 'f', 'no', 'n', '0']);

/** true or false by the rule above; null when missing. */
export function toBoolean(raw: unknown): Coerced<boolean> | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'boolean') return { ok: true, value: raw };
  if (raw === 1 || raw === 0 || raw === 1n || raw === 0n) return { ok: true, value: raw === 1 || raw === 1n };
  if (typeof raw === 'string') {
    const text = raw.trim().toLowerCase();
    if (text === '') return null;
    if (TRUE.has(text)) return { ok: true, value: true };
    if (FALSE.has(text)) return { ok: true, value: false };
  }
  return {
    ok: false,
    code: 'not_a_boolean',
    reason: `${JSON.stringify(typeof raw === 'bigint' ? raw.toString() : raw)} is not true or false (accepted: true/false, yes/no, y/n, t/f, 1/0)`,
  };
}
