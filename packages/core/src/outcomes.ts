import { AccountingError } from './errors.js';

/** The five Bulk API 2.0 ingest operations. */
export type BulkOperation = 'insert' | 'update' | 'upsert' | 'delete' | 'hardDelete';

/** Every {@link BulkOperation}, for validation and menus. */
export const BULK_OPERATIONS: readonly BulkOperation[] = Object.freeze([
  'insert',
  'update',
  'upsert',
  'delete',
  'hardDelete',
]);

/**
 * One error Salesforce reported for one record, in the shape of the REST API's
 * sObject Collections results (`statusCode`, `message`, `fields`).
 *
 * @example
 * ```ts
 * const error: SalesforceError = { statusCode: 'REQUIRED_FIELD_MISSING', message: 'Required fields are missing: [LastName]', fields: ['LastName'] };
 * ```
 */
export interface SalesforceError {
  /** Salesforce's status code, e.g. `DUPLICATE_VALUE`, `UNABLE_TO_LOCK_ROW`; or a kicksaw code for rows never sent. */
  statusCode: string;
  /** The human-readable message. */
  message: string;
  /** The fields involved, possibly empty. */
  fields: string[];
}

/** What became of one input row. */
export type RowStatus = 'succeeded' | 'failed' | 'unprocessed' | 'skipped';

/** A record as sent to Salesforce: field API name to value; `null` sets the field to null. */
export type SalesforceRecord = Record<string, string | number | boolean | null>;

/**
 * The outcome of one input row: exactly one per row, whatever happened to it.
 *
 * - `succeeded`: Salesforce accepted it (`id` and `created` tell how).
 * - `failed`: Salesforce rejected it, or it could not be sent (bad value, malformed CSV row); `errors` say why.
 * - `unprocessed`: Salesforce never processed it (the job failed or was aborted); `errors` say why.
 * - `skipped`: deliberately not sent (filtered out, a duplicate by choice); `errors` may say why.
 *
 * @example
 * ```ts
 * const outcome: RowOutcome = {
 *   row: 42, status: 'failed', id: null, created: false,
 *   errors: [{ statusCode: 'STRING_TOO_LONG', message: 'Name: data value too large', fields: ['Name'] }],
 *   record: { Name: '…', External_Id__c: 'A-42' },
 * };
 * ```
 */
export interface RowOutcome<R = SalesforceRecord> {
  /** 1-based data row number in the source (the header is not a row). */
  row: number;
  /** What happened. */
  status: RowStatus;
  /** The Salesforce record id, when Salesforce gave one. */
  id: string | null;
  /** `true` when the row created a record, `false` when it updated (or failed). */
  created: boolean;
  /** Why the row failed, was unprocessed or was skipped; empty on success. */
  errors: SalesforceError[];
  /** The record as sent (or as it would have been sent). */
  record: R;
  /** How many times the row was sent (retries count); 0 when it never was. */
  attempts?: number;
  /** The Bulk API job that settled the row, when there was one. */
  jobId?: string;
  /** 1-based physical line of the row in the source file, when known. */
  line?: number;
}

/**
 * Counts of a run. `input` equals the sum of the four outcomes: see {@link assertAccounted}.
 */
export interface RunSummary {
  /** Rows read from the input. */
  input: number;
  succeeded: number;
  failed: number;
  unprocessed: number;
  skipped: number;
  /** Of the succeeded rows, how many created a record (the rest updated or deleted one). */
  created?: number;
}

/**
 * A summary with every count at zero.
 *
 * @example
 * ```ts
 * const summary = emptySummary();
 * for (const outcome of outcomes) countOutcome(summary, outcome);
 * summary.input = rowsRead;
 * assertAccounted(summary);
 * ```
 */
export function emptySummary(): RunSummary {
  return { input: 0, succeeded: 0, failed: 0, unprocessed: 0, skipped: 0, created: 0 };
}

/** Adds one outcome to a summary's counts (not to `input`, which counts rows read). Returns the summary. */
export function countOutcome(
  summary: RunSummary,
  outcome: Pick<RowOutcome<unknown>, 'status' | 'created'>,
): RunSummary {
  summary[outcome.status] += 1;
  if (outcome.status === 'succeeded' && outcome.created) summary.created = (summary.created ?? 0) + 1;
  return summary;
}

/**
 * Throws an {@link AccountingError} unless every input row has exactly one outcome:
 * `input === succeeded + failed + unprocessed + skipped`, all counts whole and non-negative.
 * Returns the summary, so it can wrap a return value.
 *
 * @example
 * ```ts
 * return assertAccounted({ input: 10, succeeded: 8, failed: 1, unprocessed: 0, skipped: 1 });
 * ```
 */
export function assertAccounted<S extends RunSummary>(summary: S): S {
  const { input, succeeded, failed, unprocessed, skipped } = summary;
  const counts = { input, succeeded, failed, unprocessed, skipped };
  for (const [name, count] of Object.entries(counts)) {
    if (!Number.isInteger(count) || count < 0) {
      throw new AccountingError(`Run summary has an impossible ${name} count: ${String(count)}.`);
    }
  }
  const settled = succeeded + failed + unprocessed + skipped;
  if (settled !== input) {
    const gap = input - settled;
    const what = gap > 0 ? `${gap} row(s) have no outcome` : `${-gap} outcome(s) more than rows read`;
    throw new AccountingError(
      `Rows unaccounted for: ${input} read, but ${settled} settled (${succeeded} succeeded, ${failed} failed, ` +
        `${unprocessed} unprocessed, ${skipped} skipped): ${what}. This is a bug or a lost result; ` +
        'do not treat the run as complete.',
    );
  }
  if (summary.created !== undefined && (summary.created < 0 || summary.created > succeeded)) {
    throw new AccountingError(`Run summary says ${summary.created} created but only ${succeeded} succeeded.`);
  }
  return summary;
}
