/**
 * What every value reader returns: a value, or why it cannot be read. Its own module so the
 * readers (number.ts, boolean.ts, timestamp.ts, properties.ts) and coerce.ts, which re-exports them,
 * depend on it and not on each other.
 */

/** A value, or why it cannot be read; `code` is the rule's reason code (docs/value-rules.md). */
export type Coerced<T> = { ok: true; value: T } | { ok: false; reason: string; code?: string };
