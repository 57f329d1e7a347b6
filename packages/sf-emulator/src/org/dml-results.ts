// DML outcomes: one record's error, a failed result, and the error of a rolled-back all-or-none call.
import type { DmlError, DmlResult, OrgRecord } from '../contract.js';

/** The error of every record of an all-or-none call that failed elsewhere. */
export const ROLLED_BACK: DmlError = {
  statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
  message: 'Record rolled back because not all records were valid and the request was using AllOrNone header',
  fields: [],
};

/** A failed result carrying one error. */
export function fail(error: DmlError, id: string | null = null): DmlResult {
  return { success: false, id, created: false, errors: [error] };
}

/** Whether a prepared record is an error instead. */
export function isError(value: OrgRecord | DmlError): value is DmlError {
  return !('Id' in value) && typeof (value as DmlError).statusCode === 'string';
}

/** One record's error. */
export function err(statusCode: string, message: string, fields: string[] = []): DmlError {
  return { statusCode, message, fields };
}
