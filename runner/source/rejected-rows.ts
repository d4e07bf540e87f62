/**
 * Rows the dbt models left out before a sync could see them: the project's rejected-rows models
 * (the package's klaviyo__rejected_rows, or any model with meta `klaviyo_rejected_rows: true`)
 * list each with the model it would have fed, its key there and the reason. A sync reads the rows
 * naming its model, so an order that never reached klaviyo__placed_order_events is reported by
 * the sync that ships it, not only in a table nobody reads. Read-only: `plan` calls this too.
 */
import type { SyncSpec } from '../manifest/spec.ts';
import type { Row, Warehouse } from './warehouse.ts';

export interface ModelRejection {
  key: string;
  reason_code: string | null;
  reason: string;
}

export interface ModelRejections {
  /** Every row the models left out for this sync. */
  count: number;
  /** How many per reason code, most first (a code-less row counts under "other"). */
  byReason: Record<string, number>;
  /** The first of them by key, at most the limit asked for. */
  rows: ModelRejection[];
}

function rowsFor(wh: Warehouse, spec: SyncSpec): string | null {
  if (spec.rejectedRowsRelations.length === 0) return null;
  const d = wh.dialect;
  return spec.rejectedRowsRelations
    .map(
      (relation) =>
        `select cast(r.${d.column('key')} as varchar) as k, cast(r.${d.column('reason_code')} as varchar) as reason_code, cast(r.${d.column('reason')} as varchar) as reason
         from ${relation} as r where r.${d.column('model')} = ${d.literal(spec.model.name)}`,
    )
    .join(' union all ');
}

const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export async function readModelRejections(
  wh: Warehouse,
  spec: SyncSpec,
  limit: number,
): Promise<ModelRejections> {
  const rows = rowsFor(wh, spec);
  if (rows === null) return { count: 0, byReason: {}, rows: [] };
  const counted = await wh.query(
    `select coalesce(reason_code, 'other') as code, count(*) as n from (${rows}) as rejected group by 1 order by 2 desc, 1`,
  );
  const byReason: Record<string, number> = {};
  for (const r of counted) byReason[String(r.code)] = Number(r.n);
  const listed: Row[] = await wh.query(
    `select k, reason_code, reason from (${rows}) as rejected order by k, reason_code limit ${Math.max(0, Math.floor(limit))}`,
  );
  return {
    count: Object.values(byReason).reduce((a, n) => a + n, 0),
    byReason,
    rows: listed.map((r) => ({
      key: String(r.k),
      reason_code: text(r.reason_code),
      reason: text(r.reason) ?? 'left out by the dbt models',
    })),
  };
}
