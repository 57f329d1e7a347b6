import type { SalesforceError, SalesforceRecord } from '@kicksaw/core';

/**
 * Parses a Bulk API 2.0 `sf__Error` cell (`CODE:message:field1,field2 --`, possibly several errors)
 * into {@link SalesforceError}s.
 *
 * @example
 * ```ts
 * parseBulkError('REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --');
 * // [{ statusCode: 'REQUIRED_FIELD_MISSING', message: 'Required fields are missing: [Name]', fields: ['Name'] }]
 * ```
 */
export function parseBulkError(cell: string): SalesforceError[] {
  const text = cell.trim();
  if (!text) return [{ statusCode: 'UNKNOWN_ERROR', message: 'Salesforce gave no error text', fields: [] }];
  const pieces = text
    .split(/\s*--\s*(?=[A-Z][A-Z0-9_]*:|$)/)
    .map((piece) => piece.trim())
    .filter((piece) => piece.length > 0);
  return pieces.map((piece) => {
    const codeMatch = /^([A-Z][A-Z0-9_]*):([\s\S]*)$/.exec(piece);
    if (!codeMatch) return { statusCode: 'UNKNOWN_ERROR', message: piece, fields: [] };
    const statusCode = codeMatch[1] as string;
    let rest = codeMatch[2] as string;
    let fields: string[] = [];
    const lastColon = rest.lastIndexOf(':');
    if (lastColon >= 0) {
      const tail = rest.slice(lastColon + 1).trim();
      if (tail === '' || /^[A-Za-z][A-Za-z0-9_.]*(\s*,\s*[A-Za-z][A-Za-z0-9_.]*)*$/.test(tail)) {
        fields = tail ? tail.split(/\s*,\s*/) : [];
        rest = rest.slice(0, lastColon);
      }
    }
    return { statusCode, message: rest.trim(), fields };
  });
}

/**
 * One result of an sObject Collections or REST DML call (`{id, success, errors}`), as jsforce returns it.
 *
 * @example
 * ```ts
 * const result: SaveResultLike = { id: '001…', success: true, errors: [] };
 * ```
 */
export interface SaveResultLike {
  id?: string | null;
  success: boolean;
  created?: boolean;
  errors?: Array<{ statusCode?: string; errorCode?: string; message?: string; fields?: string[] }>;
}

/**
 * A failed row found by {@link parseBulkResults}, in the error shape of the Python
 * kicksaw-integration-utils.
 *
 * @example
 * ```ts
 * const { errors } = parseBulkResults(results, records, 'Contact', 'Email');
 * errors.forEach((e: ParsedResultError) => console.log(e.code, e.upsertKeyValue));
 * ```
 */
export interface ParsedResultError {
  salesforceObject: string;
  code: string;
  message: string;
  fields: string[];
  upsertKey: string;
  upsertKeyValue: unknown;
  record: SalesforceRecord;
  /** 0-based position in `data`. */
  index: number;
}

/**
 * Splits the results of a DML call you ran yourself (REST collections, jsforce `sobject().create()`,
 * Bulk 1.0, whose results come in input order) into successes and errors, pairing each result with
 * the record at the same position. Throws a `RangeError` when the lengths differ (results in another
 * order can never be paired by position: use {@link ingest}, which matches by content). It is
 * `parse_bulk_upsert_results` of the Python kicksaw-integration-utils, typed.
 *
 * @example
 * ```ts
 * const results = await conn.sobject('Contact').upsert(records, 'External_Id__c');
 * const { successes, errors } = parseBulkResults(results, records, 'Contact', 'External_Id__c');
 * ```
 */
export function parseBulkResults<R extends SaveResultLike>(
  results: readonly R[],
  data: readonly SalesforceRecord[],
  object: string,
  upsertKey: string,
): { successes: R[]; errors: ParsedResultError[] } {
  if (results.length !== data.length) {
    throw new RangeError(`Results (${results.length}) and upload data (${data.length}) have different lengths.`);
  }
  const successes: R[] = [];
  const errors: ParsedResultError[] = [];
  results.forEach((result, index) => {
    const record = data[index] as SalesforceRecord;
    if (result.success) successes.push(result);
    for (const error of result.errors ?? []) {
      errors.push({
        salesforceObject: object,
        code: error.statusCode ?? error.errorCode ?? 'UNKNOWN_ERROR',
        message: error.message ?? '',
        fields: error.fields ?? [],
        upsertKey,
        upsertKeyValue: record[upsertKey],
        record,
        index,
      });
    }
  });
  return { successes, errors };
}

/**
 * Every error of the failed results, as {@link SalesforceError}s (`extract_errors_from_results`
 * in the Python kicksaw-integration-utils).
 *
 * @example
 * ```ts
 * extractErrors([{ success: false, errors: [{ statusCode: 'DUPLICATE_VALUE', message: 'dup', fields: ['Email'] }] }]);
 * // [{ statusCode: 'DUPLICATE_VALUE', message: 'dup', fields: ['Email'] }]
 * ```
 */
export function extractErrors(results: Iterable<SaveResultLike>): SalesforceError[] {
  const out: SalesforceError[] = [];
  for (const result of results) {
    if (result.success) continue;
    for (const error of result.errors ?? []) {
      out.push({
        statusCode: error.statusCode ?? error.errorCode ?? 'UNKNOWN_ERROR',
        message: error.message ?? '',
        fields: error.fields ?? [],
      });
    }
  }
  return out;
}
