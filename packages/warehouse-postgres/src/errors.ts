import { KicksawError } from '@kicksaw/core';

/**
 * An error of the Postgres warehouse: `code` `POSTGRES_ERROR`, the failing statement's start in the message,
 * the driver's error (with its SQLSTATE `code`) as `cause`.
 *
 * @example
 * ```ts
 * try { await warehouse.execute('SELEC 1'); } catch (error) { if (error instanceof PostgresWarehouseError) console.error(error.message); }
 * ```
 */
export class PostgresWarehouseError extends KicksawError {
  constructor(message: string, cause: unknown) {
    super(message, { code: 'POSTGRES_ERROR', cause });
  }
}
