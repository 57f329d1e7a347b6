import { KicksawError } from '@kicksaw/core';

/**
 * An error of the DuckDB warehouse: `code` `DUCKDB_ERROR`, the failing statement's start in the message,
 * DuckDB's own error as `cause`.
 *
 * @example
 * ```ts
 * try { await warehouse.execute('SELEC 1'); } catch (error) { if (error instanceof DuckDbWarehouseError) console.error(error.message); }
 * ```
 */
export class DuckDbWarehouseError extends KicksawError {
  constructor(message: string, cause: unknown) {
    super(message, { code: 'DUCKDB_ERROR', cause });
  }
}
