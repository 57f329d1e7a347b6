import type { S3Client } from '@aws-sdk/client-s3';
import { assertAccounted, KicksawError, type Logger, OUTCOME_CODES, unsentOutcome } from '@kicksaw/core';
import { readCsv } from '@kicksaw/csv';
import { archiveKeyFor, fileNameOf, listKeys } from '@kicksaw/s3';
import type { Connection } from 'jsforce';
import { ImportFailedError } from './errors.js';
import {
  claimExecution,
  type ExecutionStatus,
  messageOf,
  type ResolvedExecutionRecordSettings,
  updateExecution,
} from './execution-record.js';
import type { ImportCsvResult } from './import-csv.js';
import type { ImportCsvOptions } from './options.js';
import type { Orchestrator } from './orchestrator.js';
import type { RowSet } from './rows.js';
import { problemOutcome } from './send-rows.js';

// The end of a run: complete it (report, archive, record), give up rows never sent, or fail it.

export async function complete(
  settings: ResolvedExecutionRecordSettings | undefined,
  orchestrator: Orchestrator,
  logger: Logger,
  onReported?: (orchestrator: Orchestrator) => Promise<void>,
): Promise<ImportCsvResult> {
  const summary = assertAccounted({ ...orchestrator.summary });
  const status: ExecutionStatus = orchestrator.errorCount > 0 ? 'partial' : 'succeeded';
  if (settings) orchestrator.executionFields[settings.statusField] = settings.statusValues[status];
  // Report first, then a marker, then the archive and the record: an invocation cut off between
  // these steps leaves the marker, and the next one finishes the same steps (same report key, same
  // archive key) instead of redoing or losing them.
  if (!orchestrator.uploadedReport) await orchestrator.uploadErrorReport();
  await onReported?.(orchestrator);
  await orchestrator.archiveFile();
  if (settings || orchestrator.executionObjectName) await orchestrator.createExecutionObject();
  await orchestrator.dispose();
  logger.info('run completed', {
    source: orchestrator.sourceUri,
    ...summary,
    report: orchestrator.uploadedReport?.key,
    archive: orchestrator.archivedTo,
    executionId: orchestrator.executionId,
  });
  return {
    status: 'completed',
    summary,
    ...(orchestrator.uploadedReport
      ? {
          reportKey: orchestrator.uploadedReport.key,
          reportLink: orchestrator.errorReportLink,
          reportLines: orchestrator.uploadedReport.errorLines,
          reportRows: orchestrator.uploadedReport.failedRows,
        }
      : {}),
    ...(orchestrator.archivedTo ? { archiveKey: orchestrator.archivedTo } : {}),
    ...(orchestrator.executionId ? { executionId: orchestrator.executionId } : {}),
  };
}

/** Reads the file once more and reports every row still uncovered as not sent. */
export async function giveUp(
  options: ImportCsvOptions,
  orchestrator: Orchestrator,
  covered: RowSet,
  why: string,
): Promise<{ total: number }> {
  const body = await orchestrator.openSource();
  let total = 0;
  for await (const row of readCsv(body, { ...options.csv, source: orchestrator.sourceUri })) {
    total = Math.max(total, row.row);
    if (covered.has(row.row)) continue;
    covered.add(row.row);
    if ('problem' in row) {
      await orchestrator.logOutcome(problemOutcome(row));
      continue;
    }
    await orchestrator.logOutcome(
      unsentOutcome({
        row: row.row,
        line: row.line,
        error: { statusCode: OUTCOME_CODES.NOT_SENT, message: why, fields: [] },
        record: row.record,
      }),
    );
  }
  return { total };
}

/** Logs a failed run, writes it to the execution record when possible, and returns the error to throw. */
export async function failRun(
  connection: Connection,
  settings: ResolvedExecutionRecordSettings | undefined,
  executionId: string | undefined,
  error: unknown,
  source: string,
  logger: Logger,
): Promise<ImportFailedError> {
  const message = messageOf(error);
  const code = error instanceof KicksawError ? error.code : 'IMPORT_FAILED';
  logger.error(`run failed: ${message}`, { source, code, executionId });
  if (settings && executionId) {
    try {
      await updateExecution(connection, settings, executionId, {
        [settings.statusField]: settings.statusValues.failed,
        ...(settings.payloadField
          ? { [settings.payloadField]: JSON.stringify({ source, error: { code, message } }) }
          : {}),
      });
    } catch (updateError) {
      logger.error('could not write the failure to the execution record', {
        executionId,
        error: messageOf(updateError),
      });
    }
  }
  return new ImportFailedError(message, { cause: error, code, ...(executionId ? { executionId } : {}) });
}

export async function recordFailure(
  connection: Connection,
  settings: ResolvedExecutionRecordSettings,
  idempotencyKey: string,
  key: string,
  error: KicksawError,
  extra: Record<string, unknown> | undefined,
  logger: Logger,
): Promise<string | undefined> {
  try {
    const claim = await claimExecution(
      connection,
      settings,
      idempotencyKey,
      {
        Name: fileNameOf(key).slice(0, 80),
        ...extra,
        ...(settings.payloadField
          ? { [settings.payloadField]: JSON.stringify({ error: { code: error.code, message: error.message } }) }
          : {}),
      },
      'failed',
    );
    return claim.claimed ? claim.id : claim.existing.id;
  } catch (recordError) {
    logger.error('could not write the failure to an execution record', { error: messageOf(recordError) });
    return undefined;
  }
}

export async function archiveExists(client: S3Client, bucket: string, key: string, folder: string): Promise<boolean> {
  // archive/<name>-<timestamp>.<ext>: any key that starts like the archive key without its stamp.
  const sample = archiveKeyFor(key, { folder, timestamp: 'STAMP' });
  const prefix = sample.slice(0, sample.indexOf('STAMP'));
  for await (const found of listKeys({ client, bucket, prefix })) {
    if (found.length > prefix.length) return true;
  }
  return false;
}
