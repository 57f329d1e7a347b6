/**
 * Options every kicksaw error accepts.
 */
export interface KicksawErrorOptions {
  /** A stable, machine-readable code, e.g. `CONFIG_MISSING` or `CSV_MALFORMED`. */
  code?: string;
  /** The error that led to this one. */
  cause?: unknown;
}

/**
 * The base class of every error thrown by a kicksaw package.
 *
 * Catch this to handle anything kicksaw throws; switch on {@link KicksawError.code} for specifics.
 * Per-row problems (a rejected record, a value that cannot be coerced) are never thrown: they are
 * data, reported as row outcomes.
 *
 * @example
 * ```ts
 * try {
 *   await run();
 * } catch (error) {
 *   if (error instanceof KicksawError) logger.error(error.message, { code: error.code });
 *   throw error;
 * }
 * ```
 */
export class KicksawError extends Error {
  /** A stable, machine-readable code. */
  readonly code: string;

  constructor(message: string, options: KicksawErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code ?? 'KICKSAW_ERROR';
  }
}

/** Where a {@link ConfigError}'s setting comes from and how to set it. */
export interface ConfigErrorOptions extends KicksawErrorOptions {
  /** The setting's name as the user writes it: an option path (`salesforce.instanceUrl`) or an environment variable. */
  setting: string;
  /** How to fix it, e.g. `Set SF_INSTANCE_URL to your org's URL, such as https://acme.my.salesforce.com`. */
  hint?: string;
}

/**
 * A setting is missing or invalid. The message names the setting and says how to set it.
 *
 * @example
 * ```ts
 * throw new ConfigError('is required', { setting: 'SF_INSTANCE_URL', hint: 'Set it to https://<domain>.my.salesforce.com' });
 * // message: "Setting SF_INSTANCE_URL is required. Set it to https://<domain>.my.salesforce.com"
 * ```
 */
export class ConfigError extends KicksawError {
  /** The name of the missing or bad setting. */
  readonly setting: string;
  /** How to fix it, when known. */
  readonly hint: string | undefined;

  constructor(problem: string, options: ConfigErrorOptions) {
    const hint = options.hint ? ` ${options.hint}` : '';
    super(`Setting ${options.setting} ${problem}.${hint}`, {
      code: options.code ?? 'CONFIG_INVALID',
      cause: options.cause,
    });
    this.setting = options.setting;
    this.hint = options.hint;
  }
}

/** Where in the input a problem sits. Every part is optional; give what you know. */
export interface InputLocation {
  /** A file path, an S3 URI (`s3://bucket/key`) or another name of the source. */
  source?: string;
  /** 1-based physical line in the source. */
  line?: number;
  /** 1-based data row (the header is not a row). */
  row?: number;
  /** 1-based column number. */
  column?: number;
  /** The field or column name. */
  field?: string;
}

/** Options of an {@link InputError}. */
export interface InputErrorOptions extends KicksawErrorOptions, InputLocation {}

/**
 * The input is unusable as a whole: a malformed file, an event of the wrong kind, a header with
 * duplicate names. The message says where (source, line, row, column, field) when that is known.
 *
 * @example
 * ```ts
 * throw new InputError('Header has a duplicate column "Email"', { source: 's3://in/contacts.csv', line: 1, field: 'Email' });
 * // message: 'Header has a duplicate column "Email" (s3://in/contacts.csv, line 1, field "Email")'
 * ```
 */
export class InputError extends KicksawError {
  /** Where the problem is. */
  readonly location: InputLocation;

  constructor(problem: string, options: InputErrorOptions = {}) {
    const { code, cause, ...location } = options;
    const where = describeLocation(location);
    super(where ? `${problem} (${where})` : problem, { code: code ?? 'INPUT_INVALID', cause });
    this.location = location;
  }
}

/**
 * Rows were not all accounted for: the counts of a run's outcomes do not add up to its input.
 * This is a bug or a lost result, never a normal outcome; the message gives the figures.
 */
export class AccountingError extends KicksawError {
  constructor(message: string, options: KicksawErrorOptions = {}) {
    super(message, { code: options.code ?? 'ROWS_UNACCOUNTED', cause: options.cause });
  }
}

/** Renders an {@link InputLocation} as `source, line 3, row 2, column 4, field "Email"`. */
export function describeLocation(location: InputLocation): string {
  const parts: string[] = [];
  if (location.source) parts.push(location.source);
  if (location.line !== undefined) parts.push(`line ${location.line}`);
  if (location.row !== undefined) parts.push(`row ${location.row}`);
  if (location.column !== undefined) parts.push(`column ${location.column}`);
  if (location.field !== undefined) parts.push(`field "${location.field}"`);
  return parts.join(', ');
}
