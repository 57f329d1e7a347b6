import { KicksawError } from '@kicksaw/core';

/** A run could not finish; the execution record (when there is one) says so too. */
export class ImportFailedError extends KicksawError {
  /** The execution record written for the failed run, when one could be written. */
  readonly executionId: string | undefined;
  constructor(message: string, options: { cause?: unknown; executionId?: string; code?: string } = {}) {
    super(message, { code: options.code ?? 'IMPORT_FAILED', cause: options.cause });
    this.executionId = options.executionId;
  }
}
