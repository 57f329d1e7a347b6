import { KicksawError } from '@kicksaw/core';

/**
 * An error of the Snowflake warehouse. `code` is one of:
 *
 * - `SNOWFLAKE_ERROR`: a statement failed (the message names Snowflake's error code and the statement's start;
 *   the driver's error is the `cause`).
 * - `SNOWFLAKE_CONNECT_FAILED`: login failed.
 * - `SNOWFLAKE_CONFIG`: a connection setting is missing or bad, or a named connection does not exist.
 * - `SNOWFLAKE_DDL_IN_TRANSACTION`: a statement the engine cannot make atomic inside a transaction.
 * - `SNOWFLAKE_LOAD_MISMATCH`: `COPY INTO` loaded another number of rows than were written.
 *
 * @example
 * ```ts
 * try {
 *   await warehouse.execute('SELEC 1');
 * } catch (error) {
 *   if (error instanceof SnowflakeWarehouseError) console.error(error.code, error.snowflakeCode, error.message);
 * }
 * ```
 */
export class SnowflakeWarehouseError extends KicksawError {
  /** Snowflake's own error code (`002003`, `001003`, ...) or the driver's, when there is one. */
  readonly snowflakeCode: string | undefined;

  constructor(message: string, options: { code?: string; cause?: unknown; snowflakeCode?: string | undefined } = {}) {
    super(message, { code: options.code ?? 'SNOWFLAKE_ERROR', cause: options.cause });
    this.snowflakeCode = options.snowflakeCode;
  }
}
