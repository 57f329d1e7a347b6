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
