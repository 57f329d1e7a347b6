// Retries: the rule whether a row that did not succeed is sent again (one rule for the Bulk and the REST
// path), and the one retry loop of calls, shared by logins and API calls.
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

// ---------------------------------------------------------------------------------------------
// The retry loop of calls: one loop for logins (connect.ts) and API calls (http.ts).

/** Backoff settings of {@link retryCall}. @internal */
export interface Backoff {
  /** Attempts after the first. */
  readonly maxRetries: number;
  /** First delay in ms, doubled per retry, capped at 30 s. */
  readonly retryDelayMs: number;
}

/**
 * How {@link retryCall} treats an attempt's error: `retry` after a backoff (while retries are left),
 * `again` at once without counting a retry (a renewed session; the caller bounds these), `fail` (thrown).
 *
 * @internal
 */
export type RetryVerdict = 'retry' | 'again' | 'fail';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it resolves. On an error, `judge` says what to do; when it says `retry` and no
 * retries are left, or `fail`, the error is thrown as it is. `onRetry` is called before each backoff
 * with the error, the retry's number (1-based) and the delay.
 *
 * @internal
 */
export async function retryCall<T>(
  backoff: Backoff,
  attempt: (attemptNumber: number) => Promise<T>,
  judge: (error: unknown) => RetryVerdict,
  onRetry: (error: unknown, retry: number, delayMs: number) => void = () => {},
): Promise<T> {
  let retries = 0;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      const verdict = judge(error);
      if (verdict === 'again') continue;
      if (verdict === 'fail' || retries >= backoff.maxRetries) throw error;
      retries++;
      const delay = Math.min(30_000, backoff.retryDelayMs * 2 ** (retries - 1));
      onRetry(error, retries, delay);
      await sleep(delay);
    }
  }
}
