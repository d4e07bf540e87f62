/** What `export` says when it is done: the file, its rows and columns, and every row left out with why. */
import type { ExportResult } from './export.ts';

const LISTED = 20;

export function renderExportSummary(r: ExportResult): string {
  const lines = [
    `${r.sync} (${r.object}, model ${r.model}): ${r.written} row(s) written to ${r.output}`,
    `  columns: ${r.header.join(', ')}`,
  ];
  if (r.counts.skippedByScope > 0)
    lines.push(`  ${r.counts.skippedByScope} row(s) left out by scope (suppressed or not consented)`);
  if (r.counts.waitingOnAfter > 0)
    lines.push(
      `  ${r.counts.waitingOnAfter} row(s) waiting for the \`after\` sync to confirm them, as a sync would hold them back`,
    );
  if (r.rejectedCount > 0) {
    lines.push(`  ${r.rejectedCount} row(s) rejected, as a sync would reject them:`);
    for (const x of r.rejected.slice(0, LISTED))
      lines.push(`    ${x.key}${x.column === undefined ? '' : ` [${x.column}]`}: ${x.reason}`);
    if (r.rejectedCount > LISTED) lines.push(`    … and ${r.rejectedCount - LISTED} more`);
  }
  if (r.heldBackCount > 0) {
    lines.push(`  ${r.heldBackCount} row(s) of erased people left out, as a sync holds them back:`);
    for (const x of r.heldBack.slice(0, LISTED)) lines.push(`    ${x.key}: ${x.reason}`);
    if (r.heldBackCount > LISTED) lines.push(`    … and ${r.heldBackCount - LISTED} more`);
  }
  if (r.droppedFields.length > 0) {
    lines.push(`  ${r.droppedFields.length} row(s) written without a field:`);
    for (const x of r.droppedFields.slice(0, LISTED))
      lines.push(`    ${x.key}${x.column === undefined ? '' : ` [${x.column}]`}: ${x.reason}`);
  }
  if (r.leftOutByModel.count > 0)
    lines.push(
      `  ${r.leftOutByModel.count} row(s) the dbt models left out for it: ${Object.entries(
        r.leftOutByModel.byReason,
      )
        .map(([code, n]) => `${code} ${n}`)
        .join(', ')}`,
    );
  if (r.withheldByModel.count > 0)
    lines.push(
      `  ${r.withheldByModel.count} field(s) the dbt models withheld from rows written: ${Object.entries(
        r.withheldByModel.byReason,
      )
        .map(([code, n]) => `${code} ${n}`)
        .join(', ')}`,
    );
  lines.push('  Nothing was sent to Klaviyo and nothing is marked as sent.');
  return `${lines.join('\n')}\n`;
}
