/**
 * {@link reverseEtl}: a warehouse query's rows to Salesforce. The steps read top to bottom here: stage the
 * query's rows (retl-stage.ts), pick what changed, send it and record the outcomes, mirror deletes
 * (retl-outcomes.ts).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Logger, silentLogger } from '@kicksaw/core';
import type { ErrorReportWriter } from '@kicksaw/error-report';
import { LakehouseError } from './errors.js';
import { RETL_RESULTS_TABLE, type ReverseEtlOptions, type ReverseEtlSummary } from './retl-options.js';
import { ensureRetlTables, mirrorDeletes, type RetlRun, sendChanged } from './retl-outcomes.js';
import { rowsToSend, stageQueryRows } from './retl-stage.js';
import { uniqueName } from './work-tables.js';

/**
 * Sends a warehouse query's rows to Salesforce (`insert`, `update`, `upsert`, `delete`) through sf-bulk's
 * `ingest`, so every row gets exactly one outcome matched by content. Rows are streamed from the warehouse in
 * key order (never LIMIT/OFFSET, never collected). With diffing (the default) a snapshot keeps the key and a
 * hash of the values last sent with success, and only new and changed rows are sent; failed rows are sent
 * again next run; `mirror` deletes the records of rows that left the query; `all` sends everything. NULL
 * leaves a field unchanged unless `clearNulls`. Each row's result (key, status, Salesforce id, error,
 * job id, run id) lands in the results table. No job is created when nothing is to be sent.
 *
 * @example
 * ```ts
 * const summary = await reverseEtl({
 *   connection: conn, warehouse, object: 'Contact', operation: 'update',
 *   sql: 'SELECT "Id", "Title" FROM "contact_titles"',
 * });
 * console.log(`${summary.sent} sent, ${summary.unchanged} unchanged, ${summary.failed} failed`);
 * ```
 */
export async function reverseEtl(options: ReverseEtlOptions): Promise<ReverseEtlSummary> {
  const logger: Logger = options.logger ?? silentLogger;
  const { warehouse, operation } = options;
  const key = keyOf(options);
  const name = options.name ?? `${options.object}:${operation}:${key}`;
  const summary = startSummary(options, name);
  await ensureRetlTables(warehouse, summary.resultsTable);
  const stage = uniqueName('_kicksaw_retl_stage');
  const outcomesTable = uniqueName('_kicksaw_retl_outcomes');
  const directory = await mkdtemp(join(tmpdir(), 'kicksaw-retl-'));
  // Loaded only when a report is asked for: the package's S3 half needs the AWS SDK, which a sync does not.
  const report: ErrorReportWriter | undefined = options.report
    ? (await import('@kicksaw/error-report')).createErrorReport({
        ...options.report,
        object: options.object,
        upsertKey: key,
      })
    : undefined;
  const run: RetlRun = { options, logger, report, summary, directory };
  let failed = true;
  try {
    // 1) The query's rows, in key order, into a staging table with their hash and payload.
    await stageQueryRows(options, key, stage, summary);
    // 2) and 3) What to send (every row, or rows new or changed since the last success), batch by batch in key
    // order; sent, and the outcomes into the results table and the snapshot.
    await sendChanged(run, rowsToSend(options, name, stage), stage, outcomesTable);
    summary.unchanged = summary.read - summary.sent;
    // 4) mirror: records of rows gone from the query are deleted in Salesforce.
    if (options.mirror) await mirrorDeletes(run, stage);
    failed = false;
  } finally {
    // The report is ended on failure too, so what was written so far is flushed and the file closed.
    if (report) {
      const counts = await report.end().catch((error: unknown) => {
        if (!failed) throw error;
        return undefined;
      });
      if (counts) summary.report = counts;
    }
    await warehouse.dropTable(stage).catch(() => undefined);
    await warehouse.dropTable(outcomesTable).catch(() => undefined);
    await rm(directory, { recursive: true, force: true });
  }
  options.onProgress?.({ object: options.object, phase: 'done', rows: summary.sent });
  logger.info('Reverse ETL done', { ...summary });
  return summary;
}

/** The column that identifies a row; checks the options that cannot go together. */
function keyOf(options: ReverseEtlOptions): string {
  const { operation } = options;
  const key =
    options.key ?? (operation === 'upsert' ? options.externalIdField : operation === 'insert' ? undefined : 'Id');
  if (!key) {
    throw new LakehouseError(
      operation === 'upsert'
        ? 'reverse ETL upsert needs externalIdField'
        : 'reverse ETL insert needs key: a column of the query that identifies each row (e.g. the warehouse primary key)',
      { code: 'RETL_NO_KEY' },
    );
  }
  const batchRows = options.batchRows;
  if (batchRows !== undefined && (!Number.isSafeInteger(batchRows) || batchRows < 1)) {
    throw new LakehouseError(`batchRows must be a positive integer, not ${batchRows}`, { code: 'RETL_BAD_OPTIONS' });
  }
  if (options.mirror && options.all) {
    throw new LakehouseError('mirror needs diffing: drop all', { code: 'RETL_BAD_OPTIONS' });
  }
  return key;
}

function startSummary(options: ReverseEtlOptions, name: string): ReverseEtlSummary {
  return {
    runId: randomUUID(),
    name,
    object: options.object,
    operation: options.operation,
    read: 0,
    unchanged: 0,
    sent: 0,
    succeeded: 0,
    created: 0,
    failed: 0,
    unprocessed: 0,
    nullKeys: 0,
    mirrorDeleted: 0,
    mirrorFailed: 0,
    jobs: 0,
    resultsTable: options.resultsTable ?? RETL_RESULTS_TABLE,
  };
}
