import { KicksawError, type KicksawErrorOptions } from '@kicksaw/core';

/**
 * An error of `@kicksaw/lakehouse`: a setup or input problem (unknown object, bad option, a table that
 * does not fit), or a failed sync. `code` says which; the message says what to do.
 *
 * @example
 * ```ts
 * try { await sync(options); } catch (error) { if (error instanceof LakehouseError && error.code === 'SYNC_FAILED') console.error(error.message); }
 * ```
 */
export class LakehouseError extends KicksawError {
  constructor(message: string, options: KicksawErrorOptions = {}) {
    super(message, { code: options.code ?? 'LAKEHOUSE_ERROR', cause: options.cause });
  }
}
