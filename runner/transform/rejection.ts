/** The one way a builder says a row cannot be shipped: which sync, model, row key and column, and why. */
import type { SyncSpec } from '../manifest/spec.ts';
import type { Rejection } from '../state/changes.ts';

export type Rejected = { ok: false; rejection: Rejection };

export function reject(spec: SyncSpec, key: string, column: string | undefined, reason: string): Rejected {
  const rejection: Rejection = { sync: spec.name, model: spec.model.name, key, reason };
  if (column !== undefined) rejection.column = column;
  return { ok: false, rejection };
}
