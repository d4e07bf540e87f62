/**
 * The `Items` array of an order event, in the shape Klaviyo's ecommerce features read
 * (docs/klaviyo-api.md#events, Placed Order convention): each item an object with
 * - `ProductName`: text, required (a number is written as its text);
 * - `SKU`: text, required (an integer is written as its digits, e.g. 12345 → "12345");
 * - `Quantity`: a number ≥ 0, required;
 * - `ItemPrice`: a finite number, required (negative allowed: discount lines exist);
 * - `RowTotal`: a finite number when present.
 * Numbers given as text are read by the rules of `toNumber` ("$28.00" → 28, "N/A" refused). Other
 * keys (ProductID, ProductURL, ImageURL, Categories, Brand …) pass through unchanged.
 */
import { toNumber } from './number.ts';

export type ItemsCheck =
  { ok: true; items: Record<string, unknown>[] } | { ok: false; path: string; reason: string };

function text(value: unknown): string | undefined {
  if (typeof value === 'string') {
    const t = value.trim();
    return t === '' ? undefined : t;
  }
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return undefined;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `the ${typeof value} ${JSON.stringify(value)}`;
}

/** Each item checked and its numbers read; the first problem found, by path (`Items[3].ItemPrice`). */
export function checkItems(items: unknown): ItemsCheck {
  if (!Array.isArray(items))
    return { ok: false, path: 'Items', reason: `must be an array of items, not ${describeType(items)}` };
  const out: Record<string, unknown>[] = new Array<Record<string, unknown>>(items.length);
  for (let i = 0; i < items.length; i++) {
    const item: unknown = items[i];
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      return { ok: false, path: `Items[${i}]`, reason: `must be an object, not ${describeType(item)}` };
    const entry: Record<string, unknown> = { ...(item as Record<string, unknown>) };
    for (const key of ['ProductName', 'SKU'] as const) {
      const value = entry[key];
      const t = text(value);
      if (t === undefined)
        return {
          ok: false,
          path: `Items[${i}].${key}`,
          reason:
            value === undefined || value === null || value === ''
              ? 'is missing; every item needs a ProductName and a SKU'
              : `must be text, not ${describeType(value)}`,
        };
      entry[key] = t;
    }
    for (const key of ['Quantity', 'ItemPrice', 'RowTotal'] as const) {
      const value = entry[key];
      const n = toNumber(value);
      if (n === null) {
        if (key === 'RowTotal') {
          if (value === undefined) continue;
          delete entry[key];
          continue;
        }
        return {
          ok: false,
          path: `Items[${i}].${key}`,
          reason: 'is missing; every item needs a Quantity and an ItemPrice',
        };
      }
      if (!n.ok) return { ok: false, path: `Items[${i}].${key}`, reason: n.reason };
      if (key === 'Quantity' && n.value < 0)
        return {
          ok: false,
          path: `Items[${i}].${key}`,
          reason: `is ${n.value}; a quantity cannot be negative`,
        };
      entry[key] = n.value;
    }
    out[i] = entry;
  }
  return { ok: true, items: out };
}
