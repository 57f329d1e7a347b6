// One internal batch of an ingest job applied to the org: rows wider than the header fail, inserts go straight
// from rows to stored records (`insertRows`), other operations through `dml` with records built from the header;
// the outcomes are kept compactly for the results.
import type { DmlOperation, DmlResult } from '../contract.js';
import { isOrgId } from '../org/record-columns.js';
import { sequenceOfId } from '../org/record-map.js';
import type { EmulatorContext } from '../server/context.js';
import { formatErrors, type IngestJob, type UploadBytes } from './ingest-job.js';
import { ingestPaths } from './ingest-paths.js';
import { rowFormatter, rowOrder } from './ingest-results.js';

/**
 * A function building `{ [header]: value }` from a row: an object literal with the header's keys (compiled
 * once per job, keys JSON-quoted) is several times faster than keyed stores row by row.
 */
function recordBuilder(columns: string[]): (row: string[]) => Record<string, unknown> {
  const unique = new Set(columns).size === columns.length;
  if (!unique || columns.length > 500) {
    return (row) => {
      const record: Record<string, unknown> = {};
      for (let c = 0; c < columns.length; c++) record[columns[c] as string] = row[c] ?? '';
      return record;
    };
  }
  const body = columns.map((column, c) => `${JSON.stringify(column)}: row[${c}] ?? ''`).join(', ');
  return new Function('row', `return { ${body} };`) as (row: string[]) => Record<string, unknown>;
}

/** Rows an insert applies a call, of an internal batch's 10,000. */
const PART_ROWS = 1_000;

/** The rows of one internal batch: how many, and rows `from` to `to` (parsed when asked for, or kept). */
export interface BatchRows {
  count: number;
  rows(from: number, to: number): string[][];
}

/** The outcomes of one batch's rows as the results keep them. flags: 1 = success, 2 = created. */
interface Outcomes {
  ids: Array<string | number | null>;
  flags: Uint8Array;
  errors: Map<number, string>;
}

/** The result of a row with more values than the header has columns. */
function tooWide(values: number, width: number): DmlResult {
  return {
    success: false,
    id: null,
    created: false,
    errors: [
      {
        statusCode: 'INVALID_FIELD',
        message: `Record has ${values} values but the header has ${width} columns`,
        fields: [],
      },
    ],
  };
}

/**
 * Applies the rows of one internal batch (`spans` locate each row's text in `texts` or `upload`) and records the
 * outcomes.
 */
export function applyBatch(
  ctx: EmulatorContext,
  job: IngestJob,
  columns: string[],
  source: BatchRows,
  texts: string[] | undefined,
  upload: UploadBytes | undefined,
  spans: number[] | Uint32Array,
  sequence: number,
): void {
  const width = columns.length;
  const n = source.count;
  // Keep the outcome compactly; the result lines are formatted when a client downloads them.
  job.formatRow ??= rowFormatter(width, job.columnDelimiter);
  const outcomes: Outcomes = { ids: new Array(n), flags: new Uint8Array(n), errors: new Map() };
  const failed = (r: number, result: DmlResult) => {
    outcomes.ids[r] = result.id;
    job.failedCount++;
    outcomes.errors.set(r, formatErrors(result));
  };
  // An insert without the row fault hook gives each row the same outcome whatever rows share its call: it takes the
  // batch a part at a time, so only a part's parsed rows are alive at once (fewer survive into the collector's old
  // generation). Other operations look across the call's rows (duplicate external ids, cascades): one call.
  const step =
    ingestPaths.insertParts && job.operation === 'insert' && ctx.faults.rowErrorHook(job.object, 'insert') === undefined
      ? PART_ROWS
      : n;
  let prefix: string | undefined;
  for (let from = 0; from < n; from += step) {
    const rows = source.rows(from, Math.min(n, from + step));
    const kept: string[][] = [];
    const positions: number[] = [];
    for (let k = 0; k < rows.length; k++) {
      const row = rows[k] as string[];
      const r = from + k;
      if (row.length > width) failed(r, tooWide(row.length, width));
      else {
        kept.push(row);
        positions.push(r);
      }
    }
    prefix = applyRows(ctx, job, columns, kept, positions, outcomes, failed) ?? prefix;
  }
  job.processed += n;
  const idPrefix = packIds(outcomes.ids, prefix);
  job.batches.push({
    texts,
    upload,
    spans: spans instanceof Uint32Array ? spans : Uint32Array.from(spans),
    ...outcomes,
    idPrefix,
    order: rowOrder(n, job.random),
    sequence,
  });
}

/**
 * Replaces in place each id the org made with key prefix `known` (else the batch's first id's) by its sequence
 * number (a small integer instead of a string kept a row); the prefix, or '' when there is no id. Numbers are
 * sequences of ids of prefix `known` already.
 */
function packIds(ids: Array<string | number | null>, known: string | undefined): string {
  let prefix = known ?? '';
  for (let r = 0; r < ids.length; r++) {
    const id = ids[r];
    if (typeof id !== 'string') continue;
    if (prefix === '') prefix = id.slice(0, 3);
    const sequence = sequenceOfId(id);
    if (sequence >= 0 && sequence <= 0x3fffffff && isOrgId(id, prefix)) ids[r] = sequence;
  }
  return prefix;
}

/**
 * Writes the rows of the header's width to the org; each outcome lands at the row's place in the batch (an id as a
 * string, or as a sequence of the returned key prefix).
 */
function applyRows(
  ctx: EmulatorContext,
  job: IngestJob,
  columns: string[],
  kept: string[][],
  positions: number[],
  outcomes: Outcomes,
  failed: (r: number, result: DmlResult) => void,
): string | undefined {
  const operation: DmlOperation = job.operation;
  const options = {
    csvValues: true,
    externalIdField: job.externalIdFieldName,
    rejectDuplicateExternalIds: true,
    injectError: ctx.faults.rowErrorHook(job.object, operation),
  };
  const { ids, flags } = outcomes;
  const straight =
    options.injectError === undefined &&
    (operation === 'insert' || (operation === 'upsert' && ingestPaths.columnInsert));
  if (straight) {
    // Inserts (and upserts of records not there yet) go from the rows to the stored records: no input record, no
    // result object a row.
    const rowOptions = { ...options, columnInsert: ingestPaths.columnInsert };
    const inserted =
      operation === 'insert'
        ? ctx.org.insertRows(job.object, columns, kept, rowOptions)
        : ctx.org.upsertRows(job.object, columns, kept, rowOptions);
    for (let k = 0; k < positions.length; k++) {
      const r = positions[k] as number;
      const failure = inserted.failures.get(k);
      if (failure) failed(r, failure);
      else {
        ids[r] = inserted.ids[k] as string | number;
        flags[r] = inserted.flags[k] as number;
      }
    }
    return inserted.idPrefix;
  }
  job.buildRecord ??= recordBuilder(columns);
  const results = ctx.org.dml(operation, job.object, kept.map(job.buildRecord), options);
  for (let k = 0; k < positions.length; k++) {
    const r = positions[k] as number;
    const result = results[k] as DmlResult;
    if (result.success) {
      ids[r] = result.id;
      flags[r] = result.created ? 3 : 1;
    } else failed(r, result);
  }
  return undefined;
}
