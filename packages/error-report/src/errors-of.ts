import { OUTCOME_CODES, type RowOutcome, type SalesforceError } from '@kicksaw/core';

/**
 * The status code given to a failed or unprocessed row that came without any error detail.
 *
 * @example
 * ```ts
 * reportableErrors({ row: 3, status: 'failed', errors: [] })[0]?.statusCode === NO_ERROR_DETAIL; // true
 * ```
 */
export const NO_ERROR_DETAIL = OUTCOME_CODES.NO_ERROR_DETAIL;

/**
 * Which outcomes count as errors, and how.
 *
 * @example
 * ```ts
 * const selection: ErrorSelection = { includeSkipped: false };
 * ```
 */
export interface ErrorSelection {
  /**
   * Report skipped rows that carry a reason (`errors`). Default `true`. Skipped rows without a
   * reason (filtered out on purpose) are never reported.
   */
  includeSkipped?: boolean;
}

/**
 * The errors an outcome contributes to a report, one report line (or error record) each:
 * - `succeeded`: none, even if `errors` is not empty;
 * - `failed` / `unprocessed`: each of its errors; when it has none, one {@link NO_ERROR_DETAIL}
 *   error, so that no failed row disappears from the report;
 * - `skipped`: each of its errors (unless `includeSkipped` is `false`); none when it has none.
 *
 * @example
 * ```ts
 * reportableErrors({ row: 1, status: 'succeeded', errors: [] }); // []
 * ```
 */
export function reportableErrors(
  outcome: Pick<RowOutcome<unknown>, 'row' | 'status' | 'errors'>,
  selection: ErrorSelection = {},
): SalesforceError[] {
  switch (outcome.status) {
    case 'succeeded':
      return [];
    case 'skipped':
      return selection.includeSkipped === false ? [] : (outcome.errors ?? []);
    default: {
      const errors = outcome.errors ?? [];
      if (errors.length > 0) return errors;
      return [
        {
          statusCode: NO_ERROR_DETAIL,
          message: `Row ${outcome.row} is ${outcome.status} but came with no error detail.`,
          fields: [],
        },
      ];
    }
  }
}
