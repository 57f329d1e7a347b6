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

/** One mapping of {@link fromDuckDbError}: a DuckDB message pattern and the Snowflake error it becomes. */
type ErrorRule = [RegExp, (match: RegExpExecArray, message: string, sql: string) => SnowflakeSqlError];

const afterKind = (message: string) => message.replace(/^.*?Error: /, '');

/** The mappings, first match wins. */
const DUCKDB_ERRORS: ErrorRule[] = [
  [
    /Table with name (\S+?) does not exist/,
    (m) => SnowflakeSqlError.objectMissing('Object', stripQuotes(m[1] as string)),
  ],
  [
    /(?:Table|View) with name (\S+?) (?:does not exist|not found)/,
    (m) => SnowflakeSqlError.objectMissing('Object', stripQuotes(m[1] as string)),
  ],
  [
    /Schema with name (\S+?) does not exist/,
    (m) => SnowflakeSqlError.objectMissing('Schema', stripQuotes(m[1] as string)),
  ],
  [
    /Catalog "?([^"\s]+)"? does not exist/,
    (m) => SnowflakeSqlError.objectMissing('Database', stripQuotes(m[1] as string)),
  ],
  [
    /with name "?([^"\s]+)"? already exists/,
    (m) =>
      new SnowflakeSqlError(`SQL compilation error:\nObject '${stripQuotes(m[1] as string)}' already exists.`, {
        sfCode: '002002',
        sqlState: '42710',
      }),
  ],
  [
    // A TIMESTAMP_TZ value (a struct of instant and offset, see sql/timestamp-tz.ts) where DuckDB cannot use it;
    // only the first line of the message counts.
    /^[^\n]*(?:sf_instant|__KICKSAW_TZ|struct_extract)/i,
    (_, message) => {
      const what = message.replace(/^\w+ Error: /, '').split('\n')[0] ?? '';
      return SnowflakeSqlError.unsupported(
        `this use of a TIMESTAMP_TZ value (${what.replaceAll(/STRUCT\(sf_instant TIMESTAMP WITH TIME ZONE, sf_offset SMALLINT\)/g, 'TIMESTAMP_TZ').slice(0, 200)}); cast it to TIMESTAMP_LTZ or TIMESTAMP_NTZ first`,
      );
    },
  ],
  [/Division by zero/, () => new SnowflakeSqlError('Division by zero', { sfCode: '100051', sqlState: '22012' })],
  [
    /Parser Error: syntax error at or near "([^"]*)"/,
    (m, _, sql) => {
      const near = m[1] as string;
      return SnowflakeSqlError.syntax(`unexpected '${near}'`, sql, Math.max(0, sql.indexOf(near)));
    },
  ],
  [
    /^Parser Error/,
    (_, message) =>
      new SnowflakeSqlError(`SQL compilation error:\n${message.replace(/^Parser Error: /, '')}`, {
        sfCode: '001003',
        sqlState: '42000',
      }),
  ],
  [/Referenced column "?([^"\s]+)"? not found/, (m) => SnowflakeSqlError.invalidIdentifier(m[1] as string)],
  [/column "?([^"\s]+)"? (?:not found|does not exist)/i, (m) => SnowflakeSqlError.invalidIdentifier(m[1] as string)],
  [
    /NOT NULL constraint failed/,
    (_, message) => {
      const column = /NOT NULL constraint failed: \S+?\.(\S+)/.exec(message)?.[1];
      return new SnowflakeSqlError(`NULL result in a non-nullable column${column ? ` '${column}'` : ''}`, {
        sfCode: '100072',
        sqlState: '22000',
      });
    },
  ],
  [
    /Could not convert string (?:'([^']*)'|"([^"]*)") to (?:INT|DECIMAL|DOUBLE|BIGINT|HUGEINT|FLOAT)/,
    (m) =>
      new SnowflakeSqlError(`Numeric value '${m[1] ?? m[2]}' is not recognized`, {
        sfCode: '100038',
        sqlState: '22018',
      }),
  ],
  [
    /Could not convert string '([^']*)' to (?:DATE|TIMESTAMP|TIME)/,
    (m) => new SnowflakeSqlError(`Timestamp '${m[1]}' is not recognized`, { sfCode: '100035', sqlState: '22007' }),
  ],
  [
    /Could not convert string '([^']*)' to BOOL/,
    (_, message) => {
      const value = /string '([^']*)'/.exec(message)?.[1] ?? '';
      return new SnowflakeSqlError(`Boolean value '${value}' is not recognized`, {
        sfCode: '100037',
        sqlState: '22018',
      });
    },
  ],
  [
    /Malformed JSON/i,
    (_, message) =>
      new SnowflakeSqlError(`Error parsing JSON: ${afterKind(message)}`, { sfCode: '100069', sqlState: '22P02' }),
  ],
  [
    /Out of Range Error|out of range|Overflow/i,
    (_, message) =>
      new SnowflakeSqlError(`Number out of representable range: ${afterKind(message)}`, {
        sfCode: '100046',
        sqlState: '22003',
      }),
  ],
  [
    /Conflict on|TransactionContext Error/,
    (_, message) =>
      new SnowflakeSqlError(`Transaction conflict: ${afterKind(message)}`, { sfCode: '000625', sqlState: '57014' }),
  ],
  [
    /Binder Error|Catalog Error/,
    (_, message) =>
      new SnowflakeSqlError(`SQL compilation error:\n${message.replace(/^\w+ Error: /, '')}`, {
        sfCode: '002028',
        sqlState: '42601',
      }),
  ],
  [/INTERRUPT/i, () => new SnowflakeSqlError('SQL execution canceled', { sfCode: '000604', sqlState: '57014' })],
];

/**
 * Maps a DuckDB error message to the Snowflake error the driver would get for the same mistake.
 * Messages without a Snowflake counterpart keep DuckDB's text under code `100000`-range codes.
 */
export function fromDuckDbError(error: unknown, sql: string): SnowflakeSqlError {
  if (error instanceof SnowflakeSqlError) return error;
  const message = error instanceof Error ? error.message : String(error);
  for (const [pattern, map] of DUCKDB_ERRORS) {
    const match = pattern.exec(message);
    if (match) return withCause(map(match, message, sql), error);
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
