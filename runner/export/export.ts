/**
 * `export`: one profile or list sync's rows as a file in Klaviyo's CSV import format
 * (docs/csv-export.md), for teams that import by file or want a reviewable snapshot.
 *
 * The rows are the ones a first load of the sync would send: the same diff as `sync
 * --full-refresh` read against no snapshot of this sync (so every row of the model, while `scope`
 * and `after` leave out what they leave out of a sync), classified and built by the same pass as
 * `plan` and `sync` (objects/classify.ts), so a row the sync would reject is rejected here with the
 * same reason. Nothing is written to the warehouse and nothing is
 * marked as sent: the warehouse is opened read-only and the state is only read.
 *
 * The file is written beside its destination and renamed into place when complete, so a failed
 * export never leaves half a file where a previous one was.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { ConfigError } from '../errors.ts';
import { loadSyncs, type ProjectOptions } from '../manifest/load.ts';
import { withModelColumns } from '../source/model-columns.ts';
import { openWarehouse } from '../source/open.ts';
import {
  readModelRejections,
  readModelWithheldFields,
  type ModelRejections,
  type ModelWithheldFields,
} from '../source/rejected-rows.ts';
import { diffCounts, ROWS_PER_READ, streamChanges, type PlanCounts } from '../state/diff.ts';
import { FirstInOrder } from '../state/first-in-order.ts';
import { readOnlyStateOf, withoutSnapshotOf } from '../state/schema.ts';
import type { Rejection } from '../state/changes.ts';
import type { ListMemberPayload, ProfilePayload } from '../transform/payload.ts';
import { classify } from '../objects/classify.ts';
import { erasedIdentifiers } from '../state/deletions.ts';
import { objectOf } from '../objects/index.ts';
import { csvLayout } from './csv-columns.ts';

export interface ExportOptions extends ProjectOptions {
  output: string;
}

export interface ExportResult {
  sync: string;
  object: string;
  model: string;
  output: string;
  header: string[];
  /** Rows written to the file. */
  written: number;
  /** Rows the runner refused, with the reason a sync would give (the first 1,000 listed). */
  rejectedCount: number;
  rejected: Rejection[];
  /** Rows written without a field (an invalid phone beside a valid email), with why. */
  droppedFields: Rejection[];
  /** Rows of people a deletion sync erased, left out as a sync holds them back (the first 1,000 listed). */
  heldBackCount: number;
  heldBack: Rejection[];
  /** Rows the model's `scope` left out, and rows waiting for the `after` sync. */
  counts: Pick<PlanCounts, 'skippedByScope' | 'waitingOnAfter'>;
  /** Rows the dbt models left out for this sync (klaviyo__rejected_rows). */
  leftOutByModel: ModelRejections;
  /** Fields the dbt models withheld from rows they still ship (klaviyo__withheld_fields). */
  withheldByModel: ModelWithheldFields;
}

const MAX_LISTED = 1000;

function onlySync(specs: Awaited<ReturnType<typeof loadSyncs>>['specs'], select: string[]) {
  if (specs.length !== 1)
    throw new ConfigError(
      specs.length === 0
        ? `export: --select ${select.join(' ')} matched no sync; name one profile or list sync.`
        : `export writes one sync's rows to one file; --select ${select.join(' ') || '(nothing)'} matched ${specs.length} (${specs.map((s) => s.name).join(', ')}). Name one.`,
    );
  const spec = specs[0]!;
  // Only the objects whose module says what Klaviyo's CSV import takes of them (csvImport).
  if (objectOf(spec).csvImport === undefined)
    throw new ConfigError(
      `export: ${spec.name} (${spec.yamlPath}) is a sync of \`object: ${spec.config.object}\`; Klaviyo's CSV import takes profiles and list members, so export a profile or list_membership sync.`,
    );
  return spec;
}

export async function exportCsv(options: ExportOptions): Promise<ExportResult> {
  if (options.select.length === 0)
    throw new ConfigError('export needs --select <sync>: the profile or list sync whose rows to write.');
  const project = await loadSyncs(options);
  let spec = onlySync(project.specs, options.select);
  const layout = csvLayout(spec);
  const object = objectOf(spec);
  const output = path.resolve(options.output);
  const partial = path.join(path.dirname(output), `.${path.basename(output)}.${process.pid}.partial`);
  const wh = await openWarehouse(project.connection, { readOnly: true });
  // The rows arrive in no order: each list keeps its first rows by kind and key (first-in-order.ts).
  const rejected = new FirstInOrder<Rejection>(MAX_LISTED);
  const droppedFields = new FirstInOrder<Rejection>(MAX_LISTED);
  let rejectedCount = 0;
  let written = 0;
  let heldBackCount = 0;
  const heldBack = new FirstInOrder<Rejection>(MAX_LISTED);
  try {
    spec = await withModelColumns(wh, spec);
    const { state } = await readOnlyStateOf(wh, project.stateSchema, project.stateDatabase);
    const firstLoad = withoutSnapshotOf(state, spec.name);
    // Erased people are left out as a sync holds them back: an import of the file would re-create them.
    const erased = await erasedIdentifiers(state);
    const mode = { fullRefresh: true };
    const counts = await diffCounts(firstLoad, spec, mode);
    const leftOutByModel = await readModelRejections(wh, spec, MAX_LISTED);
    const withheldByModel = await readModelWithheldFields(wh, spec, MAX_LISTED);
    // csv-stringify quotes what needs quoting (commas, quotes, line breaks) as RFC 4180 says.
    const csv = stringify({ header: true, columns: layout.header, bom: false });
    const file = createWriteStream(partial);
    csv.pipe(file);
    try {
      // By key, so two exports of the same data are the same file.
      for await (const chunk of streamChanges(firstLoad, spec, mode, ROWS_PER_READ, 'by kind and key')) {
        for (const change of chunk) {
          const row = classify(spec, object, change, erased);
          if (row.type === 'refused' || row.type === 'invalid') {
            rejectedCount += 1;
            rejected.add(change, row.rejection);
            continue;
          }
          if (row.type === 'held_back') {
            heldBackCount += 1;
            heldBack.add(change, {
              sync: spec.name,
              model: spec.model.name,
              key: change.key,
              reason: row.reason,
            });
            continue;
          }
          // With no snapshot of this sync nothing was removed or changed after it was sent.
          if (row.type !== 'send') continue;
          for (const d of row.dropped)
            droppedFields.add(change, { sync: spec.name, model: spec.model.name, key: change.key, ...d });
          if (!csv.write(layout.record(row.payload as ProfilePayload | ListMemberPayload)))
            await new Promise((resolve) => csv.once('drain', resolve));
          written += 1;
        }
      }
      csv.end();
      await finished(file);
    } catch (error) {
      csv.destroy();
      file.destroy();
      await rm(partial, { force: true });
      throw error;
    }
    try {
      await rename(partial, output);
    } catch (error) {
      await rm(partial, { force: true });
      throw new ConfigError(`--output ${options.output}: ${(error as Error).message}`);
    }
    return {
      sync: spec.name,
      object: spec.config.object,
      model: spec.model.name,
      output,
      header: layout.header,
      written,
      rejectedCount,
      rejected: rejected.list(),
      droppedFields: droppedFields.list(),
      heldBackCount,
      heldBack: heldBack.list(),
      counts: { skippedByScope: counts.skippedByScope, waitingOnAfter: counts.waitingOnAfter },
      leftOutByModel,
      withheldByModel,
    };
  } finally {
    await wh.close();
  }
}
