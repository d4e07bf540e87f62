/**
 * What normalising one identifier gives: the value Klaviyo should receive, or the reason it cannot,
 * with the rule's reason code (docs/value-rules.md). Normalisers return `null` for a missing value
 * (null, undefined, blank), which is not an error: a row needs only one identifier.
 */
export type Normalized = { ok: true; value: string } | { ok: false; reason: string; code?: string };
