import {
  assertAccounted,
  ConfigError,
  InputError,
  KicksawError,
  type Logger,
  OUTCOME_CODES,
  unsentOutcome,
} from '@kicksaw/core';
import { readCsv } from '@kicksaw/csv';
import { S3ObjectNotFoundError } from '@kicksaw/s3';
import type { Connection } from 'jsforce';
import { ImportFailedError } from './errors.js';
import {
  type ExecutionStatus,
  messageOf,
  type ResolvedExecutionRecordSettings,
  updateExecution,
} from './execution-record.js';
import type { ImportCsvResult } from './import-csv.js';
import type { OpenRun } from './open-run.js';
import type { ImportCsvOptions } from './options.js';
import type { Orchestrator } from './orchestrator.js';
import type { RowSet } from './rows.js';
import { cleanUp } from './run-state.js';
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

/** Errors that are a verdict on the run (a bad file, a bad setting), not an outage to wait out. */
export function isRunFailure(error: unknown): boolean {
  return error instanceof InputError || error instanceof ConfigError || error instanceof S3ObjectNotFoundError;
}

/**
 * The error to throw when an invocation's share of a run failed: a verdict on the run fails it (record
 * and state), anything else (an outage of S3 or Salesforce, a lost connection) leaves it to be taken over.
 */
export async function interrupted(run: OpenRun, error: unknown): Promise<ImportFailedError> {
  const { options, orchestrator, place } = run;
  await orchestrator.dispose();
  if (isRunFailure(error)) {
    const failed = await failRun(
      options.connection,
      run.settings,
      orchestrator.executionId,
      error,
      place.source,
      place.logger,
    );
    const record = run.settings ? { connection: options.connection, settings: run.settings } : undefined;
    await cleanUp(options.s3Client, options.bucket, place, record);
    return failed;
  }
  // The run's durable state and checkpoints stay as they are, and a later delivery takes it over. Every
  // engine of this invocation has ended (its jobs checkpointed and closed, or never closed), unless one
  // was left running when keeping an outcome failed: then the lease is left to run out, as a job of the
  // engine may still be closing; else it is released and the next delivery takes the run over at once.
  const release = run.lease !== undefined && !run.engineMayRun;
  place.logger.error(`run interrupted, to be taken over by a later delivery: ${messageOf(error)}`, {
    source: place.source,
    executionId: orchestrator.executionId,
    lease: release ? 'released' : 'left to run out',
  });
  if (release) {
    await run.lease?.release().catch((releaseError: unknown) => {
      place.logger.warn('could not release the run lease: the next delivery takes the run over once it runs out', {
        error: messageOf(releaseError),
      });
    });
  }
  return new ImportFailedError(`The run was interrupted and stays pending: ${messageOf(error)}`, {
    cause: error,
    code: 'RUN_INTERRUPTED',
    ...(orchestrator.executionId ? { executionId: orchestrator.executionId } : {}),
  });
}
