/**
 * Custom property keys Klaviyo can segment on: no spaces, dots or brackets (they read as paths),
 * and no leading `$`, which Klaviyo reserves for its own properties (API-NOTES §7).
 */
const BAD = /[\s.[\]]/;

export function propertyKeyProblem(key: string): string | null {
  if (key === '') return 'is empty';
  if (key.startsWith('$')) return 'starts with $, which Klaviyo reserves for its own properties';
  if (BAD.test(key)) return 'contains a space, dot or bracket';
  return null;
}
