import { KicksawError } from '@kicksaw/core';

/**
 * The exit codes of `kicksaw`, as documented in the README.
 *
 * @example
 * ```ts
 * if (code === EXIT_CODES.rowFailures) console.log('some rows failed: see the report');
 * ```
 */
export const EXIT_CODES = {
  /** Done, and every row succeeded. */
  ok: 0,
  /** The command failed: what failed, what was done before it and what to do are printed. */
  failed: 1,
  /** A usage error: an unknown option, a missing argument, a bad value. */
  usage: 2,
  /** Done with row failures; the report is named. */
  rowFailures: 3,
} as const;

/**
 * An error of the command itself, with what to do next (`hint`) and what was done before it (`done`).
 *
 * @example
 * ```ts
 * throw new CliError('No org named "prod"', { code: 'ORG_UNKNOWN', hint: 'Run `kicksaw org login --alias prod ...`' });
 * ```
 */
export class CliError extends KicksawError {
  /** What the user can do about it. */
  readonly hint: string | undefined;
  /** What had been done before the failure (job ids, files written). */
  readonly done: string[];
  /** The process exit code: 1, or 2 for a usage error. */
  readonly exitCode: number;
  constructor(
    message: string,
    options: { code?: string; hint?: string; done?: string[]; cause?: unknown; exitCode?: number } = {},
  ) {
    super(message, { code: options.code ?? 'CLI_FAILED', cause: options.cause });
    this.hint = options.hint;
    this.done = options.done ?? [];
    this.exitCode = options.exitCode ?? EXIT_CODES.failed;
  }
}

/**
 * A usage error (exit code 2): a bad combination of options, a bad value.
 *
 * @example
 * ```ts
 * throw new UsageError('Give either --into or --out, not both');
 * ```
 */
export class UsageError extends CliError {
  constructor(message: string, options: { hint?: string; code?: string } = {}) {
    super(message, {
      code: options.code ?? 'USAGE',
      exitCode: EXIT_CODES.usage,
      ...(options.hint ? { hint: options.hint } : {}),
    });
  }
}
