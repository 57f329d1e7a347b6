// The retry rule: whether a row that did not succeed is sent again, one rule for the Bulk and the REST path.
import type { RowOutcome, SalesforceError, SalesforceRecord } from '@kicksaw/core';

/** The settings the retry rule reads. @internal */
export interface RetryRule {
  readonly maxAttempts: number;
  readonly retryCodes: ReadonlySet<string>;
  readonly retryUnprocessed: boolean;
}

/** A row that did not succeed, waiting for its retry job (or its final outcome). @internal */
export interface RetryItem {
  row: number;
  cells: string[];
  attempts: number;
  errors: SalesforceError[];
  status: 'failed' | 'unprocessed';
  jobId: string;
}

/**
 * True when a row is sent again: it has attempts left, the deadline has not passed, and it failed with
 * one of `retry.codes` (or, left unprocessed by its job, `retry.unprocessed` is on).
 *
 * @internal
 */
export function shouldRetry(
  rule: RetryRule,
  row: { attempts: number; errors: readonly SalesforceError[]; status: 'failed' | 'unprocessed' },
  deadlinePassed: () => boolean,
): boolean {
  return (
    row.attempts < rule.maxAttempts &&
    !deadlinePassed() &&
    (row.status === 'failed' ? row.errors.some((e) => rule.retryCodes.has(e.statusCode)) : rule.retryUnprocessed)
  );
}

/** The outcome of a row that is not sent again: its last attempt's result. @internal */
export function lastAttemptOutcome(item: RetryItem, id: string | null, record: SalesforceRecord): RowOutcome {
  return {
    row: item.row,
    status: item.status,
    id,
    created: false,
    errors: item.errors,
    record,
    attempts: item.attempts,
    jobId: item.jobId,
  };
}
