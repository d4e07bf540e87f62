/**
 * What the dbt models left out before a sync could see it. The project's rejected-rows models (the
 * package's klaviyo__rejected_rows, or any model with meta `klaviyo_rejected_rows: true`) list each
 * row left out with the model it would have fed, its key there and the reason; its withheld-fields
 * models (klaviyo__withheld_fields, meta `klaviyo_withheld_fields: true`) list each field left out
 * of a row that is still shipped (a phone two people share). A sync reads the rows naming its
 * model, so an order that never reached klaviyo__placed_order_events, or a profile sent without
 * its phone, is reported by the sync that ships it, not only in a table nobody reads. Read-only:
 * `plan` calls this too.
 */
import type { SyncSpec } from '../manifest/spec.ts';
import type { Row, Warehouse } from './warehouse.ts';

export interface ModelRejection {
  key: string;
  reason_code: string | null;
  reason: string;
}

/** A field the models left out of a row they ship: `column` names it (phone_number, properties.X). */
export interface ModelWithheldField extends ModelRejection {
  column: string;
}

export interface ModelReport<T> {
  /** Every row the models listed for this sync. */
  count: number;
  /** How many per reason code, most first (a code-less row counts under "other"). */
  byReason: Record<string, number>;
  /** The first of them by key, at most the limit asked for. */
  rows: T[];
}

export type ModelRejections = ModelReport<ModelRejection>;
export type ModelWithheldFields = ModelReport<ModelWithheldField>;

/** The rows of `relations` naming the sync's model, as `k`, `reason_code`, `reason` (and `field`). */
function rowsFor(wh: Warehouse, spec: SyncSpec, relations: string[], withField: boolean): string | null {
  if (relations.length === 0) return null;
  const d = wh.dialect;
  const field = withField ? `, cast(r.${d.column('field')} as varchar) as field` : '';
  return relations
    .map(
      (relation) =>
        `select cast(r.${d.column('key')} as varchar) as k, cast(r.${d.column('reason_code')} as varchar) as reason_code, cast(r.${d.column('reason')} as varchar) as reason${field}
         from ${relation} as r where r.${d.column('model')} = ${d.literal(spec.model.name)}`,
    )
    .join(' union all ');
}

const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

async function readReport(
  wh: Warehouse,
  rows: string | null,
  columns: string,
  limit: number,
): Promise<{ count: number; byReason: Record<string, number>; listed: Row[] }> {
  if (rows === null) return { count: 0, byReason: {}, listed: [] };
  const counted = await wh.query(
    `select coalesce(reason_code, 'other') as code, count(*) as n from (${rows}) as reported group by 1 order by 2 desc, 1`,
  );
  const byReason: Record<string, number> = {};
  for (const r of counted) byReason[String(r.code)] = Number(r.n);
  const listed: Row[] = await wh.query(
    `select ${columns} from (${rows}) as reported order by ${columns} limit ${Math.max(0, Math.floor(limit))}`,
  );
  return { count: Object.values(byReason).reduce((a, n) => a + n, 0), byReason, listed };
}

export async function readModelRejections(
  wh: Warehouse,
  spec: SyncSpec,
  limit: number,
): Promise<ModelRejections> {
  const rows = rowsFor(wh, spec, spec.rejectedRowsRelations, false);
  const { count, byReason, listed } = await readReport(wh, rows, 'k, reason_code, reason', limit);
  return {
    count,
    byReason,
    rows: listed.map((r) => ({
      key: String(r.k),
      reason_code: text(r.reason_code),
      reason: text(r.reason) ?? 'left out by the dbt models',
    })),
  };
}

export async function readModelWithheldFields(
  wh: Warehouse,
  spec: SyncSpec,
  limit: number,
): Promise<ModelWithheldFields> {
  const rows = rowsFor(wh, spec, spec.withheldFieldsRelations, true);
  const { count, byReason, listed } = await readReport(wh, rows, 'k, field, reason_code, reason', limit);
  return {
    count,
    byReason,
    rows: listed.map((r) => ({
      key: String(r.k),
      column: text(r.field) ?? '(unnamed field)',
      reason_code: text(r.reason_code),
      reason: text(r.reason) ?? 'left out by the dbt models',
    })),
  };
}
