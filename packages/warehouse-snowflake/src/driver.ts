import type { Logger } from '@kicksaw/core';
import snowflake from 'snowflake-sdk';
import { SnowflakeWarehouseError } from './errors.js';

/** The driver's statement with rows (a RowStatement). */
export type Statement = snowflake.RowStatement;

/** Retry settings for transient driver errors. */
export interface RetryPolicy {
  /** Attempts after the first. */
  retries: number;
  /** First wait; doubled after each attempt. */
  baseDelayMs: number;
}

/** Driver error codes of network failures and 5xx answers (snowflake-sdk's `ErrorCode`). */
const TRANSIENT_DRIVER_CODES = new Set([401001, 401002, 402001, 402002]);

/**
 * Whether a driver error is transient (network, 5xx) and worth a retry of an idempotent statement. SQL errors
 * (compilation, constraint, permission) never are.
 */
export function isTransient(error: unknown): boolean {
  const e = error as { code?: unknown; response?: { statusCode?: number }; message?: string; cause?: unknown };
  if (typeof e?.code === 'number' && TRANSIENT_DRIVER_CODES.has(e.code)) return true;
  if (typeof e?.response?.statusCode === 'number' && e.response.statusCode >= 500) return true;
  const text = `${e?.message ?? ''} ${(e?.cause as { code?: string } | undefined)?.code ?? ''}`;
  return /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|socket hang up/i.test(text);
}

function describeStatement(sql: string): string {
  return sql.replace(/\s+/g, ' ').trim().slice(0, 160);
}

/** The error thrown for a failed statement: Snowflake's code, its message and the statement's start. */
export function statementError(sql: string, error: unknown): SnowflakeWarehouseError {
  if (error instanceof SnowflakeWarehouseError) return error;
  const e = error as { code?: unknown; message?: string };
  const code = e?.code === undefined ? undefined : String(e.code);
  return new SnowflakeWarehouseError(
    `Snowflake${code ? ` ${code}` : ''}: ${e?.message ?? String(error)} (statement: ${describeStatement(sql)})`,
    { cause: error, snowflakeCode: code },
  );
}

/** One snowflake-sdk connection (one Snowflake session) and the calls the engine makes on it. */
export class DriverSession {
  constructor(
    readonly connection: snowflake.Connection,
    private readonly retry: RetryPolicy,
    private readonly logger: Logger,
  ) {}

  /** Runs a statement and collects its (small) result. Retried on transient errors only when `idempotent`. */
  async run(
    sqlText: string,
    binds?: snowflake.Binds,
    options: { idempotent?: boolean } = {},
  ): Promise<{ statement: Statement; rows: Record<string, unknown>[] }> {
    return this.attempt(
      sqlText,
      options.idempotent === true,
      () =>
        new Promise((resolve, reject) => {
          this.connection.execute({
            sqlText,
            ...(binds ? { binds } : {}),
            fetchAsString: ['Number'],
            complete: (error, statement, rows) =>
              error
                ? reject(error)
                : resolve({ statement: statement as Statement, rows: (rows ?? []) as Record<string, unknown>[] }),
          });
        }),
    );
  }

  /** Starts a statement whose rows are streamed (`statement.streamRows()`). Retried like {@link run}. */
  async start(sqlText: string, binds: snowflake.Binds | undefined, idempotent: boolean): Promise<Statement> {
    return this.attempt(
      sqlText,
      idempotent,
      () =>
        new Promise<Statement>((resolve, reject) => {
          this.connection.execute({
            sqlText,
            ...(binds ? { binds } : {}),
            streamResult: true,
            fetchAsString: ['Number'],
            complete: (error, statement) => (error ? reject(error) : resolve(statement as Statement)),
          });
        }),
    );
  }

  private async attempt<T>(sqlText: string, idempotent: boolean, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (!idempotent || attempt >= this.retry.retries || !isTransient(error)) throw statementError(sqlText, error);
        const delay = this.retry.baseDelayMs * 2 ** attempt;
        this.logger.warn('Transient Snowflake error; retrying the statement', {
          attempt: attempt + 1,
          delayMs: delay,
          reason: (error as Error)?.message,
          statement: describeStatement(sqlText),
        });
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  async destroy(): Promise<void> {
    if (!this.connection.isUp()) return;
    await new Promise<void>((resolve) => this.connection.destroy(() => resolve()));
  }
}

/** Opens a connection (one Snowflake session) and logs in; login failures name the account and the reason. */
export async function openDriverSession(
  options: snowflake.ConnectionOptions,
  retry: RetryPolicy,
  logger: Logger,
): Promise<DriverSession> {
  let connection: snowflake.Connection;
  try {
    connection = snowflake.createConnection(options);
  } catch (error) {
    throw new SnowflakeWarehouseError(
      `Bad Snowflake connection options: ${error instanceof Error ? error.message : String(error)}`,
      { code: 'SNOWFLAKE_CONFIG', cause: error },
    );
  }
  for (let attempt = 0; ; attempt++) {
    try {
      await new Promise<void>((resolve, reject) => connection.connect((error) => (error ? reject(error) : resolve())));
      break;
    } catch (error) {
      // A login is idempotent: retried on network errors and 5xx like any idempotent statement.
      if (attempt < retry.retries && isTransient(error)) {
        await new Promise((resolve) => setTimeout(resolve, retry.baseDelayMs * 2 ** attempt));
        connection = snowflake.createConnection(options);
        continue;
      }
      const e = error as { code?: unknown; message?: string };
      throw new SnowflakeWarehouseError(
        `Cannot connect to Snowflake account ${options.account ?? '(none)'} as ${options.username ?? '(no user)'}: ${e?.message ?? String(error)}`,
        {
          code: 'SNOWFLAKE_CONNECT_FAILED',
          cause: error,
          snowflakeCode: e?.code === undefined ? undefined : String(e.code),
        },
      );
    }
  }
  return new DriverSession(connection, retry, logger);
}
