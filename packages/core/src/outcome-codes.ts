import type { RowOutcome, SalesforceError, SalesforceRecord } from './outcomes.js';

/**
 * The `statusCode`s kicksaw itself gives a row outcome, next to Salesforce's own (`DUPLICATE_VALUE`, ...).
 * The strings are stable: they appear in error reports that users read and filter, so match on these
 * constants rather than on copies of the strings.
 *
 * @example
 * ```ts
 * const late = outcomes.filter((outcome) => outcome.errors[0]?.statusCode === OUTCOME_CODES.DEADLINE);
 * ```
 */
export const OUTCOME_CODES = Object.freeze({
  /** Not sent: the run's deadline (its time limit) came before the row was sent. Safe to send again. */
  DEADLINE: 'KICKSAW_DEADLINE',
  /** Not sent: creating the Bulk API job for the row failed. Safe to send again. */
  JOB_NOT_CREATED: 'KICKSAW_JOB_NOT_CREATED',
  /** Not sent: uploading the job's data failed and the job was aborted. Safe to send again. */
  UPLOAD_FAILED: 'KICKSAW_UPLOAD_FAILED',
  /** Uploaded but never processed: the job could not be closed (or was left open) and was aborted. Safe to send again. */
  JOB_NOT_STARTED: 'KICKSAW_JOB_NOT_STARTED',
  /** Sent, but Salesforce never processed it: its job ended `Aborted`. */
  JOB_ABORTED: 'KICKSAW_JOB_ABORTED',
  /** Sent, but Salesforce never processed it: its job ended `Failed`. */
  JOB_FAILED: 'KICKSAW_JOB_FAILED',
  /** Sent, but no result came back for it: it may or may not have been applied. */
  RESULT_MISSING: 'KICKSAW_RESULT_MISSING',
  /** An sObject Collections (REST) request failed as a whole; the row was not applied. */
  REQUEST_FAILED: 'KICKSAW_REQUEST_FAILED',
  /** Not sent: the record has fields outside the job's columns. */
  UNKNOWN_FIELD: 'KICKSAW_UNKNOWN_FIELD',
  /** Not sent: a value could not be coerced to its Salesforce field's type. */
  INVALID_VALUE: 'KICKSAW_INVALID_VALUE',
  /** Not sent: the record alone is larger than a job may hold. */
  RECORD_TOO_LARGE: 'KICKSAW_RECORD_TOO_LARGE',
  /** Not sent, and given up: the run stalled or ran out of time too often; the run completes with errors. */
  NOT_SENT: 'KICKSAW_NOT_SENT',
  /** In an error report: a failed or unprocessed outcome came without any error detail. */
  NO_ERROR_DETAIL: 'KICKSAW_NO_ERROR_DETAIL',
  /** In an error report: an error record has no outcome to go with it. */
  NO_OUTCOME: 'KICKSAW_NO_OUTCOME',
} as const);

/** One of the {@link OUTCOME_CODES}. */
export type OutcomeCode = (typeof OUTCOME_CODES)[keyof typeof OUTCOME_CODES];

/** Codes of outcomes whose row was never sent (so never processed) for a reason of the run, not of the row. */
const UNSENT_CODES: ReadonlySet<string> = new Set<string>([
  OUTCOME_CODES.DEADLINE,
  OUTCOME_CODES.JOB_NOT_CREATED,
  OUTCOME_CODES.UPLOAD_FAILED,
  OUTCOME_CODES.JOB_NOT_STARTED,
]);

/** What {@link unsentOutcome} needs to know about a row that was not sent. */
export interface UnsentOutcomeInput<R = SalesforceRecord> {
  /** 1-based data row number in the source. */
  row: number;
  /** Why it was not sent: a kicksaw code from {@link OUTCOME_CODES}, or a problem code of the input. */
  error: SalesforceError;
  /** The record as it would have been sent (`{}` when it is not at hand). */
  record: R;
  /** `unprocessed` (default) when the run kept it from Salesforce; `failed` when the row itself cannot be sent. */
  status?: 'unprocessed' | 'failed';
  /** How many times the row was sent before; default 0. */
  attempts?: number;
  /** 1-based physical line in the source, when known. */
  line?: number;
  /** The Bulk API job the row was meant for, when there was one. */
  jobId?: string;
}

/**
 * The outcome of a row that Salesforce never processed: no id, not created, one error saying why.
 *
 * @example
 * ```ts
 * const outcome = unsentOutcome({
 *   row: 42,
 *   record: { LastName: 'Lovelace' },
 *   error: { statusCode: OUTCOME_CODES.DEADLINE, message: 'Not sent: the deadline passed', fields: [] },
 * });
 * isUnsent(outcome); // true
 * ```
 */
export function unsentOutcome<R = SalesforceRecord>(input: UnsentOutcomeInput<R>): RowOutcome<R> {
  return {
    row: input.row,
    ...(input.line !== undefined ? { line: input.line } : {}),
    status: input.status ?? 'unprocessed',
    id: null,
    created: false,
    errors: [input.error],
    record: input.record,
    attempts: input.attempts ?? 0,
    ...(input.jobId !== undefined ? { jobId: input.jobId } : {}),
  };
}

/**
 * Whether an outcome's row was never sent (so never processed) because of the run, not of the row: it is
 * `unprocessed` and its first error is {@link OUTCOME_CODES} `DEADLINE`, `JOB_NOT_CREATED`, `UPLOAD_FAILED`
 * or `JOB_NOT_STARTED`. Sending such a row again cannot apply it twice. False for rows failed before
 * sending (their data is the problem), for rows given up (`NOT_SENT`), and for rows whose job ran.
 *
 * @example
 * ```ts
 * const again = outcomes.filter((outcome) => isUnsent(outcome));
 * ```
 */
export function isUnsent(outcome: Pick<RowOutcome<unknown>, 'status' | 'errors'>): boolean {
  const first = outcome.errors[0];
  return outcome.status === 'unprocessed' && first !== undefined && UNSENT_CODES.has(first.statusCode);
}
