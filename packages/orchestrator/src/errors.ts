import { KicksawError } from '@kicksaw/core';
import type { S3ImportItemResult } from './handler.js';
import type { ImportCsvResult } from './import-csv.js';

/** A run could not finish; the execution record (when there is one) says so too. */
export class ImportFailedError extends KicksawError {
  /** The execution record written for the failed run, when one could be written. */
  readonly executionId: string | undefined;
  constructor(message: string, options: { cause?: unknown; executionId?: string; code?: string } = {}) {
    super(message, { code: options.code ?? 'IMPORT_FAILED', cause: options.cause });
    this.executionId = options.executionId;
  }
}

/** Some objects of a direct S3 or EventBridge event failed or are left pending; Lambda retries the event. */
export class S3ImportIncompleteError extends KicksawError {
  /** The objects that failed or are pending. */
  readonly items: S3ImportItemResult[];
  constructor(items: S3ImportItemResult[]) {
    const names = items.map((item) => `s3://${item.bucket}/${item.key} (${item.error?.message ?? item.status})`);
    super(`Not finished: ${names.join('; ')}`, { code: 'IMPORT_INCOMPLETE' });
    this.items = items;
  }
}

// The two below are signals, not failures: the handler throws them out of one object's work so that
// @kicksaw/s3's respondToS3Event reports the object as not done (a batch item failure, or a Lambda retry), and
// turns them back into a 'pending' or 'skipped' result. They never reach a caller.

/**
 * A run parked with Salesforce jobs still running: the next delivery finishes it.
 *
 * @internal
 */
export class PendingRun extends KicksawError {
  readonly result: ImportCsvResult;
  constructor(result: ImportCsvResult) {
    super(`run pending: Salesforce jobs ${result.pendingJobs?.join(', ') ?? ''} still running`, {
      code: 'RUN_PENDING',
    });
    this.result = result;
  }
}

/**
 * Another invocation holds the run's lease: deliver the event again later.
 *
 * @internal
 */
export class InProgressRun extends KicksawError {
  readonly result: ImportCsvResult;
  constructor(result: ImportCsvResult) {
    super(
      `another invocation holds this run${result.heldUntil ? ` until ${result.heldUntil}` : ''}; deliver it again later`,
      { code: 'RUN_IN_PROGRESS' },
    );
    this.result = result;
  }
}
