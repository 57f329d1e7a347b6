import {
  type BulkOperation,
  ConfigError,
  OUTCOME_CODES,
  type RowOutcome,
  type SalesforceError,
  type SalesforceRecord,
} from '@kicksaw/core';
import { type ErrorSelection, reportableErrors } from './errors-of.js';

/**
 * The API name of the error object.
 *
 * @example
 * ```ts
 * await ingestAll({ connection, object: ERROR_OBJECT, operation: 'insert', records: errorRecords });
 * ```
 */
export const ERROR_OBJECT = 'IntegrationError__c';

/**
 * Field API names of the error object. `null` leaves a field out of the records.
 *
 * @example
 * ```ts
 * const fieldNames: Partial<ErrorRecordFieldNames> = { execution: 'Execution__c', upsertKeyValue: null, row: 'Row__c' };
 * ```
 */
export interface ErrorRecordFieldNames {
  /** Lookup to the execution record. Default `IntegrationExecution__c`. */
  execution: string | null;
  /** Default `Operation__c`. */
  operation: string | null;
  /** Default `Object__c`. */
  object: string | null;
  /** Default `ErrorCode__c`. */
  errorCode: string | null;
  /** Default `ErrorMessage__c`. */
  errorMessage: string | null;
  /** Default `UpsertKey__c`. */
  upsertKey: string | null;
  /** Default `UpsertKeyValue__c`. */
  upsertKeyValue: string | null;
  /** The record as JSON. Default `ObjectPayload__c`. */
  objectPayload: string | null;
  /** The source row number. Default `null` (the Python kicksaw-integration-utils had no such field). */
  row: string | null;
  /** The error's fields, `;`-separated. Default `null` (the Python kicksaw-integration-utils had no such field). */
  errorFields: string | null;
}

/**
 * The field names of `KicksawSalesforce` in the Python kicksaw-integration-utils.
 *
 * @example
 * ```ts
 * DEFAULT_ERROR_FIELD_NAMES.objectPayload; // 'ObjectPayload__c'
 * ```
 */
export const DEFAULT_ERROR_FIELD_NAMES: Readonly<ErrorRecordFieldNames> = Object.freeze({
  execution: 'IntegrationExecution__c',
  operation: 'Operation__c',
  object: 'Object__c',
  errorCode: 'ErrorCode__c',
  errorMessage: 'ErrorMessage__c',
  upsertKey: 'UpsertKey__c',
  upsertKeyValue: 'UpsertKeyValue__c',
  objectPayload: 'ObjectPayload__c',
  row: null,
  errorFields: null,
});

/**
 * Maximum lengths (characters) of the text fields, by role. Defaults follow `@kicksaw/sf-emulator`'s
 * `IntegrationError__c`: 255 for the text fields, 32,768 for `ErrorMessage__c` and 131,072 for
 * `ObjectPayload__c` (long text areas); the optional `row` and `errorFields` get 18 and 32,768.
 *
 * @example
 * ```ts
 * const lengths: ErrorRecordLengths = { errorMessage: 255 }; // a short text ErrorMessage__c
 * ```
 */
export type ErrorRecordLengths = Partial<Record<Exclude<keyof ErrorRecordFieldNames, 'execution'>, number>>;

/**
 * Default maximum lengths, by role.
 *
 * @example
 * ```ts
 * DEFAULT_ERROR_FIELD_LENGTHS.objectPayload; // 131072
 * ```
 */
export const DEFAULT_ERROR_FIELD_LENGTHS: Readonly<Required<ErrorRecordLengths>> = Object.freeze({
  operation: 255,
  object: 255,
  errorCode: 255,
  errorMessage: 32_768,
  upsertKey: 255,
  upsertKeyValue: 255,
  objectPayload: 131_072,
  row: 18,
  errorFields: 32_768,
});

/**
 * Options of {@link toErrorRecords}.
 *
 * @example
 * ```ts
 * const options: ErrorRecordOptions = { executionId: 'a01...', operation: 'upsert', object: 'Contact', upsertKey: 'Email' };
 * ```
 */
export interface ErrorRecordOptions extends ErrorSelection {
  /** The execution record's id (the lookup on every error record). */
  executionId: string;
  /** The bulk operation the rows went through. */
  operation: BulkOperation | string;
  /** The Salesforce object the rows went to. */
  object: string;
  /** The upsert key (external id field), when there was one. */
  upsertKey?: string;
  /** Field API names, when yours differ from these defaults. */
  fieldNames?: Partial<ErrorRecordFieldNames>;
  /** Field lengths, when your fields are shorter or longer than the defaults. */
  lengths?: ErrorRecordLengths;
}

/**
 * One `IntegrationError__c` record, with where it came from. Its `row` (1, 2, 3, ... in order) is
 * what `@kicksaw/sf-bulk` reports the record's own outcome under, so {@link checkErrorRecordInserts}
 * can tell which source rows' error records failed.
 *
 * @example
 * ```ts
 * const [first]: ErrorRecord[] = toErrorRecords(outcomes, options);
 * first?.source.row; // the input row it describes
 * ```
 */
export interface ErrorRecord {
  /** 1-based position of this error record; use it as the row when inserting. */
  row: number;
  /** The record to insert. */
  record: SalesforceRecord;
  /** The source row and the error it describes. */
  source: { row: number; errorIndex: number; error: SalesforceError };
}

/**
 * Truncates text to at most `max` UTF-16 code units (what Salesforce counts), ending it with a visible
 * `…[truncated N chars]` marker that says how many were cut. A surrogate pair is never split.
 *
 * @example
 * ```ts
 * truncateText('x'.repeat(300), 255); // 234 × 'x', then '…[truncated 66 chars]': 255 in all
 * ```
 */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  let keep = max;
  let marker = '';
  // The marker's length depends on the count it shows; two passes settle it.
  for (let pass = 0; pass < 3; pass++) {
    marker = `…[truncated ${text.length - keep} chars]`;
    keep = Math.max(0, max - marker.length);
  }
  if (keep > 0 && isHighSurrogate(text.charCodeAt(keep - 1))) keep -= 1;
  marker = `…[truncated ${text.length - keep} chars]`;
  if (keep + marker.length > max) {
    // Too short for a marker: cut hard, still without splitting a pair.
    let cut = max;
    if (isHighSurrogate(text.charCodeAt(cut - 1))) cut -= 1;
    return text.slice(0, cut);
  }
  return text.slice(0, keep) + marker;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/**
 * Turns outcomes into `IntegrationError__c` records, one per error:
 * execution lookup, operation, object, error code and message, upsert key and value, and the record
 * as JSON. Text longer than its field is truncated with a marker. Successes give no record.
 *
 * Insert them with `@kicksaw/sf-bulk` (`records: errorRecords` works as is), then pass the outcomes
 * to {@link checkErrorRecordInserts} to learn whether any error record itself failed.
 *
 * @example
 * ```ts
 * const errorRecords = toErrorRecords(outcomes, { executionId, operation: 'upsert', object: 'Contact', upsertKey: 'Email' });
 * const inserted = await ingestAll({ connection, object: 'IntegrationError__c', operation: 'insert', records: errorRecords });
 * const check = checkErrorRecordInserts(errorRecords, inserted.outcomes);
 * if (!check.ok) logger.error('some error records were not saved', { failed: check.failed.length });
 * ```
 */
export function toErrorRecords(outcomes: Iterable<RowOutcome>, options: ErrorRecordOptions): ErrorRecord[] {
  const records: ErrorRecord[] = [];
  for (const record of errorRecords(outcomes, options)) records.push(record);
  return records;
}

/**
 * The streaming form of {@link toErrorRecords}: yields error records as outcomes arrive.
 *
 * @example
 * ```ts
 * await ingestAll({ connection, object: 'IntegrationError__c', operation: 'insert',
 *   records: streamErrorRecords(run, { executionId, operation: 'insert', object: 'Account' }) });
 * ```
 */
export async function* streamErrorRecords(
  outcomes: Iterable<RowOutcome> | AsyncIterable<RowOutcome>,
  options: ErrorRecordOptions,
): AsyncGenerator<ErrorRecord> {
  const make = recordMaker(options);
  let row = 0;
  for await (const outcome of outcomes) {
    for (const record of make(outcome, row)) {
      row = record.row;
      yield record;
    }
  }
}

function* errorRecords(outcomes: Iterable<RowOutcome>, options: ErrorRecordOptions): Generator<ErrorRecord> {
  const make = recordMaker(options);
  let row = 0;
  for (const outcome of outcomes) {
    for (const record of make(outcome, row)) {
      row = record.row;
      yield record;
    }
  }
}

function recordMaker(options: ErrorRecordOptions): (outcome: RowOutcome, lastRow: number) => ErrorRecord[] {
  if (!options.executionId) {
    throw new ConfigError('is required: error records hang off an execution record', { setting: 'executionId' });
  }
  if (!options.object) throw new ConfigError('is required', { setting: 'object' });
  const names: ErrorRecordFieldNames = { ...DEFAULT_ERROR_FIELD_NAMES, ...options.fieldNames };
  const lengths: Required<ErrorRecordLengths> = { ...DEFAULT_ERROR_FIELD_LENGTHS, ...options.lengths };
  const selection: ErrorSelection = { includeSkipped: options.includeSkipped };

  const set = (record: SalesforceRecord, role: keyof ErrorRecordFieldNames, value: unknown) => {
    const name = names[role];
    if (name === null || name === undefined) return;
    if (value === undefined || value === null || value === '') return;
    const text = typeof value === 'string' ? value : String(value);
    record[name] = role === 'execution' ? text : truncateText(text, lengths[role]);
  };

  return (outcome, lastRow) => {
    const errors = reportableErrors(outcome, selection);
    const made: ErrorRecord[] = [];
    let payload: string | undefined;
    for (let errorIndex = 0; errorIndex < errors.length; errorIndex++) {
      const error = errors[errorIndex] as SalesforceError;
      payload ??= JSON.stringify(outcome.record);
      const record: SalesforceRecord = {};
      set(record, 'execution', options.executionId);
      set(record, 'operation', options.operation);
      set(record, 'object', options.object);
      set(record, 'errorCode', error.statusCode);
      set(record, 'errorMessage', error.message);
      if (options.upsertKey !== undefined) {
        set(record, 'upsertKey', options.upsertKey);
        set(record, 'upsertKeyValue', outcome.record[options.upsertKey]);
      }
      set(record, 'objectPayload', payload);
      set(record, 'row', outcome.row);
      set(record, 'errorFields', (error.fields ?? []).join(';'));
      made.push({ row: lastRow + made.length + 1, record, source: { row: outcome.row, errorIndex, error } });
    }
    return made;
  };
}

/**
 * What {@link checkErrorRecordInserts} found.
 *
 * @example
 * ```ts
 * const check: ErrorRecordInsertCheck = checkErrorRecordInserts(errorRecords, inserted.outcomes);
 * ```
 */
export interface ErrorRecordInsertCheck {
  /** `true` when every error record was inserted. */
  ok: boolean;
  /** Error records inserted. */
  inserted: number;
  /** Error records that failed (or were never processed), with why. */
  failed: Array<{ errorRecord: ErrorRecord; status: RowOutcome['status'] | 'missing'; errors: SalesforceError[] }>;
}

/**
 * Matches the outcomes of inserting error records back to the error records (by `row`), so the
 * caller learns whether any error record itself failed, and for which source row.
 * An error record with no outcome at all counts as failed (`status: 'missing'`).
 *
 * @example
 * ```ts
 * const check = checkErrorRecordInserts(errorRecords, inserted.outcomes);
 * for (const { errorRecord, errors } of check.failed) console.error(errorRecord.source.row, errors[0]?.message);
 * ```
 */
export function checkErrorRecordInserts(
  errorRecords: readonly ErrorRecord[],
  insertOutcomes: Iterable<Pick<RowOutcome<unknown>, 'row' | 'status' | 'errors'>>,
): ErrorRecordInsertCheck {
  const byRow = new Map<number, Pick<RowOutcome<unknown>, 'row' | 'status' | 'errors'>>();
  for (const outcome of insertOutcomes) byRow.set(outcome.row, outcome);
  const failed: ErrorRecordInsertCheck['failed'] = [];
  let inserted = 0;
  for (const errorRecord of errorRecords) {
    const outcome = byRow.get(errorRecord.row);
    if (outcome === undefined) {
      failed.push({
        errorRecord,
        status: 'missing',
        errors: [{ statusCode: OUTCOME_CODES.NO_OUTCOME, message: 'No outcome for this error record.', fields: [] }],
      });
    } else if (outcome.status === 'succeeded') {
      inserted += 1;
    } else {
      failed.push({ errorRecord, status: outcome.status, errors: outcome.errors });
    }
  }
  return { ok: failed.length === 0, inserted, failed };
}
