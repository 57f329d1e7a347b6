import { KicksawError } from '@kicksaw/core';
import type { S3ImportItemResult } from './handler.js';

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

/** No `Integration__c` record has the name given. */
export class IntegrationNotFoundError extends KicksawError {
  constructor(name: string, object: string) {
    super(
      `No ${object} record is named "${name}". Create it in Salesforce (Name = "${name}") or fix the integration name.`,
      { code: 'INTEGRATION_NOT_FOUND' },
    );
  }
}

/** Some `IntegrationError__c` records could not be inserted: the failures they describe are not all in Salesforce. */
export class ErrorRecordsNotSavedError extends KicksawError {
  /** How many error records failed. */
  readonly failed: number;
  constructor(failed: number, first: string | undefined) {
    super(`${failed} error record(s) could not be inserted${first ? `: ${first}` : ''}`, {
      code: 'ERROR_RECORDS_NOT_SAVED',
    });
    this.failed = failed;
  }
}

/** Writing or reading the execution record failed. */
export class ExecutionRecordError extends KicksawError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: 'EXECUTION_RECORD_FAILED', cause: options.cause });
  }
}
