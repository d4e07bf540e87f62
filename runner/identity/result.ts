/**
 * What normalising one identifier gives: the value Klaviyo should receive, or the reason it cannot,
 * with the rule's reason code (docs/value-rules.md). Normalisers return `null` for a missing value
 * (null, undefined, blank), which is not an error: a row needs only one identifier.
 */
export type Normalized = { ok: true; value: string } | { ok: false; reason: string; code?: string };

/**
 * What a number read beyond ±2^53 says: a row's JSON number is read as a double, which holds no
 * more digits, and every double that large is whole, so the value read may differ from the
 * model's in its last digits, or have lost its decimals (a DECIMAL(38,10)).
 */
export function beyondSafeDigits(value: number): string {
  return `${value} is beyond ±2^53, where a JSON number no longer keeps every digit (the model's value may have other last digits, or decimals)`;
}
