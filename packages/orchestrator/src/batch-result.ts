import type { RowOutcome } from '@kicksaw/core';
import { parseBulkError } from '@kicksaw/sf-bulk';

// The per-record results of a bulk call the caller made (`Orchestrator.logBatch`), as row outcomes.

/** A per-record result of a bulk or collection call (jsforce's shapes: REST, Bulk 1.0 and Bulk 2.0 parsed). */
export interface BatchResult {
  id?: string | null;
  success?: boolean | string;
  created?: boolean | string;
  errors?: unknown;
  error?: unknown;
}

/**
 * The errors of one result of a jsforce call, as outcome errors: Bulk API text (`CODE:message:fields --`,
 * parsed by sf-bulk's `parseBulkError`) or REST error objects (`{ statusCode | errorCode, message, fields }`).
 */
function normalizeErrors(errors: unknown): RowOutcome['errors'] {
  const list = Array.isArray(errors)
    ? errors
    : errors === undefined || errors === null || errors === ''
      ? []
      : [errors];
  const out = list.flatMap((error): RowOutcome['errors'] => {
    if (typeof error === 'string') return parseBulkError(error);
    if (typeof error === 'object' && error !== null) {
      const object = error as { statusCode?: unknown; errorCode?: unknown; message?: unknown; fields?: unknown };
      return [
        {
          statusCode: String(object.statusCode ?? object.errorCode ?? UNKNOWN_ERROR),
          message: String(object.message ?? ''),
          fields: Array.isArray(object.fields) ? object.fields.map(String) : [],
        },
      ];
    }
    return [{ statusCode: UNKNOWN_ERROR, message: String(error), fields: [] }];
  });
  return out.length > 0
    ? out
    : [{ statusCode: UNKNOWN_ERROR, message: 'Salesforce reported a failure without an error', fields: [] }];
}

/** The code of an error Salesforce gave no code for: the one sf-bulk's `parseBulkError` uses. */
const UNKNOWN_ERROR = 'UNKNOWN_ERROR';

/** The outcome of row `row` from the result of its record (`record`, as sent) in a bulk or collection call. */
export function batchOutcome(
  result: BatchResult,
  record: Record<string, unknown> | undefined,
  row: number,
): RowOutcome {
  const ok = result.success === true || String(result.success).toLowerCase() === 'true';
  return {
    row,
    status: ok ? 'succeeded' : 'failed',
    id: (result.id as string | null | undefined) ?? null,
    created: ok && (result.created === true || String(result.created).toLowerCase() === 'true'),
    errors: ok ? [] : normalizeErrors(result.errors ?? result.error),
    record: (record ?? {}) as RowOutcome['record'],
  };
}
