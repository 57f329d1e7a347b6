import { KicksawError } from '@kicksaw/core';

/** Options of a {@link SnowflakeSqlError}. */
export interface SnowflakeSqlErrorOptions {
  /** Snowflake's error code, six digits as text (`002003`). */
  sfCode: string;
  /** The SQLSTATE Snowflake reports with it (`02000`). */
  sqlState: string;
  cause?: unknown;
}

/**
 * An error the local Snowflake answers a statement with, shaped as Snowflake's: a six-digit `sfCode`,
 * a `sqlState` and Snowflake's message text. The driver surfaces `sfCode` as `err.code` and
 * `sqlState` as `err.sqlState`.
 *
 * @example
 * ```ts
 * throw SnowflakeSqlError.objectMissing('Object', 'DB.PUBLIC.T');
 * // code 002003, sqlState 02000: "SQL compilation error:\nObject 'DB.PUBLIC.T' does not exist or not authorized."
 * ```
 */
export class SnowflakeSqlError extends KicksawError {
  readonly sfCode: string;
  readonly sqlState: string;

  constructor(message: string, options: SnowflakeSqlErrorOptions) {
    super(message, { code: 'SNOWFLAKE_SQL_ERROR', cause: options.cause });
    this.sfCode = options.sfCode;
    this.sqlState = options.sqlState;
  }

  /** `001003`: a syntax error at a position of the statement. */
  static syntax(detail: string, sql: string, offset: number): SnowflakeSqlError {
    const { line, column } = position(sql, offset);
    return new SnowflakeSqlError(`SQL compilation error:\nsyntax error line ${line} at position ${column} ${detail}.`, {
      sfCode: '001003',
      sqlState: '42000',
    });
  }

  /** `002003`: a table, view, schema, database or stage that does not exist. */
  static objectMissing(kind: 'Object' | 'Schema' | 'Database' | 'Stage', name: string): SnowflakeSqlError {
    const what = kind === 'Stage' ? 'Stage' : kind;
    return new SnowflakeSqlError(`SQL compilation error:\n${what} '${name}' does not exist or not authorized.`, {
      sfCode: '002003',
      sqlState: '02000',
    });
  }

  /** `000002`: a construct this emulator does not run (never answered with a wrong result). */
  static unsupported(construct: string): SnowflakeSqlError {
    return new SnowflakeSqlError(`unsupported in the local Snowflake: ${construct}`, {
      sfCode: '000002',
      sqlState: '0A000',
    });
  }

  /** `000904`: a column name that does not resolve. */
  static invalidIdentifier(name: string): SnowflakeSqlError {
    return new SnowflakeSqlError(`SQL compilation error: error line 1 at position 0\ninvalid identifier '${name}'`, {
      sfCode: '000904',
      sqlState: '42000',
    });
  }
}

function position(sql: string, offset: number): { line: number; column: number } {
  const before = sql.slice(0, Math.max(0, offset));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines.at(-1) ?? '').length };
}

/**
 * A problem of the emulator's own setup (bad options, a port in use, a persist file that is not a
 * DuckDB database), thrown by `startSnowflakeEmulator`.
 *
 * @example
 * ```ts
 * try {
 *   await startSnowflakeEmulator({ port: 8765 });
 * } catch (error) {
 *   if (error instanceof SnowflakeEmulatorError && error.code === 'LISTEN_FAILED') console.error('port 8765 is taken');
 * }
 * ```
 */
export class SnowflakeEmulatorError extends KicksawError {
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, { code: options.code ?? 'SNOWFLAKE_EMULATOR_ERROR', cause: options.cause });
  }
}

/**
 * Maps a DuckDB error message to the Snowflake error the driver would get for the same mistake.
 * Messages without a Snowflake counterpart keep DuckDB's text under code `100000`-range codes.
 */
export function fromDuckDbError(error: unknown, sql: string): SnowflakeSqlError {
  if (error instanceof SnowflakeSqlError) return error;
  const message = error instanceof Error ? error.message : String(error);
  let match = /Table with name (\S+?) does not exist/.exec(message);
  if (match) return withCause(SnowflakeSqlError.objectMissing('Object', stripQuotes(match[1] as string)), error);
  match = /(?:Table|View) with name (\S+?) (?:does not exist|not found)/.exec(message);
  if (match) return withCause(SnowflakeSqlError.objectMissing('Object', stripQuotes(match[1] as string)), error);
  match = /Schema with name (\S+?) does not exist/.exec(message);
  if (match) return withCause(SnowflakeSqlError.objectMissing('Schema', stripQuotes(match[1] as string)), error);
  match = /Catalog "?([^"\s]+)"? does not exist/.exec(message);
  if (match) return withCause(SnowflakeSqlError.objectMissing('Database', stripQuotes(match[1] as string)), error);
  match = /with name "?([^"\s]+)"? already exists/.exec(message);
  if (match)
    return new SnowflakeSqlError(
      `SQL compilation error:\nObject '${stripQuotes(match[1] as string)}' already exists.`,
      {
        sfCode: '002002',
        sqlState: '42710',
        cause: error,
      },
    );
  if (/sf_instant|__KICKSAW_TZ|struct_extract/i.test(message.split('\n')[0] ?? '')) {
    // A TIMESTAMP_TZ value (a struct of instant and offset, see sql/timestamp-tz.ts) where DuckDB cannot use it.
    const what = message.replace(/^\w+ Error: /, '').split('\n')[0] ?? '';
    return withCause(
      SnowflakeSqlError.unsupported(
        `this use of a TIMESTAMP_TZ value (${what.replaceAll(/STRUCT\(sf_instant TIMESTAMP WITH TIME ZONE, sf_offset SMALLINT\)/g, 'TIMESTAMP_TZ').slice(0, 200)}); cast it to TIMESTAMP_LTZ or TIMESTAMP_NTZ first`,
      ),
      error,
    );
  }
  if (/Division by zero/.test(message)) {
    return new SnowflakeSqlError('Division by zero', { sfCode: '100051', sqlState: '22012', cause: error });
  }
  match = /Parser Error: syntax error at or near "([^"]*)"/.exec(message);
  if (match) {
    const near = match[1] as string;
    const at = Math.max(0, sql.indexOf(near));
    return withCause(SnowflakeSqlError.syntax(`unexpected '${near}'`, sql, at), error);
  }
  if (message.startsWith('Parser Error')) {
    return new SnowflakeSqlError(`SQL compilation error:\n${message.replace(/^Parser Error: /, '')}`, {
      sfCode: '001003',
      sqlState: '42000',
      cause: error,
    });
  }
  match = /Referenced column "?([^"\s]+)"? not found/.exec(message);
  if (match) return withCause(SnowflakeSqlError.invalidIdentifier(match[1] as string), error);
  match = /column "?([^"\s]+)"? (?:not found|does not exist)/i.exec(message);
  if (match) return withCause(SnowflakeSqlError.invalidIdentifier(match[1] as string), error);
  if (/NOT NULL constraint failed/.test(message)) {
    const column = /NOT NULL constraint failed: \S+?\.(\S+)/.exec(message)?.[1];
    return new SnowflakeSqlError(`NULL result in a non-nullable column${column ? ` '${column}'` : ''}`, {
      sfCode: '100072',
      sqlState: '22000',
      cause: error,
    });
  }
  match = /Could not convert string (?:'([^']*)'|"([^"]*)") to (?:INT|DECIMAL|DOUBLE|BIGINT|HUGEINT|FLOAT)/.exec(
    message,
  );
  if (match)
    return new SnowflakeSqlError(`Numeric value '${match[1] ?? match[2]}' is not recognized`, {
      sfCode: '100038',
      sqlState: '22018',
      cause: error,
    });
  match = /Could not convert string '([^']*)' to (?:DATE|TIMESTAMP|TIME)/.exec(message);
  if (match)
    return new SnowflakeSqlError(`Timestamp '${match[1]}' is not recognized`, {
      sfCode: '100035',
      sqlState: '22007',
      cause: error,
    });
  if (/Could not convert string '([^']*)' to BOOL/.test(message)) {
    const value = /string '([^']*)'/.exec(message)?.[1] ?? '';
    return new SnowflakeSqlError(`Boolean value '${value}' is not recognized`, {
      sfCode: '100037',
      sqlState: '22018',
      cause: error,
    });
  }
  if (/Malformed JSON/i.test(message)) {
    return new SnowflakeSqlError(`Error parsing JSON: ${message.replace(/^.*?Error: /, '')}`, {
      sfCode: '100069',
      sqlState: '22P02',
      cause: error,
    });
  }
  if (/Out of Range Error|out of range|Overflow/i.test(message)) {
    return new SnowflakeSqlError(`Number out of representable range: ${message.replace(/^.*?Error: /, '')}`, {
      sfCode: '100046',
      sqlState: '22003',
      cause: error,
    });
  }
  if (/Conflict on|TransactionContext Error/.test(message)) {
    return new SnowflakeSqlError(`Transaction conflict: ${message.replace(/^.*?Error: /, '')}`, {
      sfCode: '000625',
      sqlState: '57014',
      cause: error,
    });
  }
  if (/Binder Error|Catalog Error/.test(message)) {
    return new SnowflakeSqlError(`SQL compilation error:\n${message.replace(/^\w+ Error: /, '')}`, {
      sfCode: '002028',
      sqlState: '42601',
      cause: error,
    });
  }
  if (/INTERRUPT/i.test(message)) {
    return new SnowflakeSqlError('SQL execution canceled', { sfCode: '000604', sqlState: '57014', cause: error });
  }
  return new SnowflakeSqlError(`SQL execution error: ${message}`, {
    sfCode: '100000',
    sqlState: '22000',
    cause: error,
  });
}

function withCause(error: SnowflakeSqlError, cause: unknown): SnowflakeSqlError {
  return new SnowflakeSqlError(error.message, { sfCode: error.sfCode, sqlState: error.sqlState, cause });
}

function stripQuotes(name: string): string {
  return name.replace(/^"|"$/g, '').replaceAll('"."', '.');
}
