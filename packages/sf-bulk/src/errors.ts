import { KicksawError, redactString } from '@kicksaw/core';

/**
 * The errors of the package, in one place. Each extends `@kicksaw/core`'s `KicksawError` with a `code`;
 * `SalesforceApiError` and `SalesforceAuthError` are public, the others are thrown and caught inside the engine
 * and reach users only as the `cause` of a public one.
 */

/**
 * A failure of the transport (connection refused, reset, closed early, timed out; code `SF_TRANSPORT_FAILED`).
 * Retryable.
 *
 * @example
 * ```ts
 * const error = new TransportError('read ECONNRESET');
 * error.code; // 'SF_TRANSPORT_FAILED'
 * ```
 */
export class TransportError extends KicksawError {
  override name = 'TransportError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: 'SF_TRANSPORT_FAILED', cause: options.cause });
  }
}

/**
 * A Salesforce API call failed as a whole. `status` is the HTTP status (0 for a network failure).
 *
 * @example
 * ```ts
 * try {
 *   await ingestAll(options);
 * } catch (error) {
 *   if (error instanceof SalesforceApiError) console.log(error.status, error.errorCode);
 * }
 * ```
 */
export class SalesforceApiError extends KicksawError {
  readonly status: number;
  readonly errorCode: string;
  constructor(message: string, options: { status: number; errorCode: string; cause?: unknown }) {
    super(redactString(message), { code: options.errorCode, cause: options.cause });
    this.status = options.status;
    this.errorCode = options.errorCode;
  }
}

/**
 * A login or token request failed. The message is free of secrets.
 *
 * @example
 * ```ts
 * await connect(config).catch((error) => {
 *   if (error instanceof SalesforceAuthError) console.error(error.message); // no secrets inside
 * });
 * ```
 */
export class SalesforceAuthError extends KicksawError {
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(redactString(message), { code: options.code ?? 'SF_AUTH_FAILED', cause: options.cause });
  }
}

/** A CSV from Salesforce that cannot be read: an unclosed quote at the end (code `CSV_UNCLOSED_QUOTE`). */
export class CsvReadError extends KicksawError {
  override name = 'CsvReadError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: 'CSV_UNCLOSED_QUOTE', cause: options.cause });
  }
}

/**
 * A query result page whose header line is not the first page's (code `QUERY_PAGE_HEADER`). Internal to
 * `queryToFile`: it reaches users only as the `cause` of a {@link SalesforceApiError} `QUERY_PAGE_INVALID`.
 */
export class PageHeaderError extends KicksawError {
  constructor(message: string) {
    super(message, { code: 'QUERY_PAGE_HEADER' });
  }
}

/**
 * A query result page whose records do not add up (code `QUERY_PAGE_COUNT`): fewer or more than Salesforce's
 * `Sforce-NumberOfRecords`, or the page ends inside a quoted value. Internal to `queryToFile`, which reads the page
 * again; after the last attempt it reaches users as the `cause` of a {@link SalesforceApiError} `QUERY_PAGE_INVALID`.
 */
export class PageCountError extends KicksawError {
  constructor(message: string) {
    super(message, { code: 'QUERY_PAGE_COUNT' });
  }
}
