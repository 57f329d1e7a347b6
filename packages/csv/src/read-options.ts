/** The options of {@link readCsv} and what it reads: positions, rows, problems, the format of a file. */
import type { Batched } from './batches.js';
import type { CsvEncoding } from './encoding.js';

/** A field delimiter {@link readCsv} detects or accepts. Any other single character may be declared too. */
export type CsvDelimiter = ',' | ';' | '\t' | '|' | (string & {});

/**
 * Options of {@link readCsv}.
 *
 * @example
 * ```ts
 * const options: ReadCsvOptions = { encoding: 'windows-1252', delimiter: ';', trim: true, source: 's3://in/export.csv' };
 * ```
 */
export interface ReadCsvOptions {
  /** Field delimiter, or `'auto'` (default): the most frequent of `,` `;` tab `|` in the header line, else `,`. */
  delimiter?: 'auto' | CsvDelimiter;
  /** How bytes are decoded; `'auto'` (default) is UTF-8 or UTF-16 by byte-order mark. See {@link CsvEncoding}. */
  encoding?: CsvEncoding;
  /** Trim white space around every value (header names are always trimmed). Default `false`. */
  trim?: boolean;
  /** Throw an `InputError` on the first row-level problem instead of yielding it. Default `false`. */
  strict?: boolean;
  /** A field larger than this (UTF-8 bytes) makes its row a problem (`CSV_FIELD_TOO_LARGE`). Default 1 MiB. */
  maxFieldBytes?: number;
  /**
   * A record larger than this (UTF-8 bytes) is a problem (`CSV_RECORD_TOO_LARGE`); reading resumes at the next
   * line and memory never holds more than about this much of one record. Default 8 MiB.
   */
  maxRecordBytes?: number;
  /** A name of the source for messages, e.g. `s3://bucket/key`. Defaults to the path when reading a file. */
  source?: string;
  /**
   * Give every row its {@link CsvRow.end | end}: the {@link CsvPosition} just past it, where a later read can
   * {@link ReadCsvOptions.start | start}. Only for UTF-8 sources (the default, with or without a byte-order mark):
   * rows of a file in another encoding carry no `end`, because their bytes are decoded before parsing. A problem
   * row carries none either when reading skipped the rest of its line (a record over `maxRecordBytes`). Default
   * `false` (the plain read path allocates nothing for positions).
   */
  offsets?: boolean;
  /**
   * Start reading mid-file, at a position an earlier read of the same file gave (a row's `end`), with that read's
   * {@link CsvFormat}: no header line is read, rows are numbered and lines counted from the position on. A file path
   * is opened at `position.offset`; a stream or iterable must begin there itself (an S3 `GetObject` with
   * `Range: bytes=<offset>-`). Only for UTF-8 files (`format.encoding` `utf-8`).
   *
   * @example
   * ```ts
   * const reader = readCsv('contacts.csv', { offsets: true });
   * const format = await reader.format();
   * let resumeAt: CsvPosition | undefined;
   * for await (const item of reader) {
   *   resumeAt = item.end;
   *   if (item.row === 1000) break;
   * }
   * // Later, maybe in another process: rows 1001 and on, with their row and line numbers.
   * for await (const item of readCsv('contacts.csv', { start: { format, position: resumeAt! } })) console.log(item.row);
   * ```
   */
  start?: CsvStart;
}

/**
 * A point between two rows of a file, as {@link ReadCsvOptions.offsets} gives it and {@link ReadCsvOptions.start}
 * takes it.
 *
 * @example
 * ```ts
 * // After the header line `a,b\n` and one row `1,2\n` of an LF file without a byte-order mark:
 * const position: CsvPosition = { offset: 8, row: 1, line: 3 };
 * ```
 */
export interface CsvPosition {
  /** Bytes of the source before the point (a byte-order mark counts): the first byte a ranged read asks for. */
  offset: number;
  /** Data rows before the point: the next row read is `row + 1`. */
  row: number;
  /** The physical line the point is at (one past the last line at the end of a file without a final line break). */
  line: number;
}

/**
 * Where and how {@link ReadCsvOptions.start} resumes a file.
 *
 * @example
 * ```ts
 * const start: CsvStart = { format: await reader.format(), position: { offset: 8, row: 1, line: 3 } };
 * ```
 */
export interface CsvStart {
  /** The format an earlier read of the file found (`reader.format()`). */
  format: CsvFormat;
  /** Where to start: a row's `end` from that read. */
  position: CsvPosition;
}

/**
 * Why a row could not be read. `raw` is the row's text as in the file (cut after 32 KiB, ending with `…`).
 *
 * @example
 * ```ts
 * const problem: CsvProblem = { code: 'CSV_TOO_FEW_FIELDS', message: 'Row has 1 field(s) but the header has 3 column(s)', raw: 'Doe' };
 * ```
 */
export interface CsvProblem {
  /**
   * `CSV_TOO_MANY_FIELDS`, `CSV_TOO_FEW_FIELDS`, `CSV_UNCLOSED_QUOTE`, `CSV_INVALID_QUOTE`, `CSV_RECORD_TOO_LARGE`,
   * `CSV_FIELD_TOO_LARGE`, `CSV_ENCODING` (bytes not valid UTF-8), `CSV_BINARY` (NUL bytes) or `CSV_MALFORMED`.
   */
  code: string;
  message: string;
  raw: string;
}

/** A row read from the file: column name (trimmed header) to value. */
export interface CsvRecordRow {
  /** 1-based data row number (the header is not a row; rows with problems count). */
  row: number;
  /** 1-based physical line where the row starts (empty lines and newlines inside quoted fields count). */
  line: number;
  record: Record<string, string>;
  /** The position just past the row (with {@link ReadCsvOptions.offsets}). */
  end?: CsvPosition;
}

/** A row that could not be read; see {@link CsvProblem}. */
export interface CsvProblemRow {
  row: number;
  line: number;
  problem: CsvProblem;
  /** The position just past the row (with {@link ReadCsvOptions.offsets}, when known). */
  end?: CsvPosition;
}

/**
 * One item of {@link readCsv}: a record or a problem. Tell them apart with `'problem' in item`.
 *
 * @example
 * ```ts
 * const text = 'problem' in item ? `row ${item.row}: ${item.problem.code}` : item.record.Email;
 * ```
 */
export type CsvRow = CsvRecordRow | CsvProblemRow;

/** What {@link readCsv} found out about a file before its first row. */
export interface CsvFormat {
  /** Column names, trimmed, in file order. */
  header: string[];
  /** The delimiter in use. */
  delimiter: string;
  /** The encoding in use, as `TextDecoder` names it (`utf-8`, `utf-16le`, `windows-1252`, ...). */
  encoding: string;
  /** Physical line of the header. */
  line: number;
  /**
   * The line breaks that end a record, from the first one in the file: `['\n']`, `['\r\n', '\n']` (a CRLF file
   * accepts a lone LF too) or `['\r']` (classic Mac).
   */
  lineBreaks: string[];
}

/**
 * The async iterable {@link readCsv} returns; iterate it once. `header()` and `format()` read just the start of the
 * file (and throw the header's `InputError`, if any) without losing rows for the iteration.
 */
export interface CsvReader extends Batched<CsvRow> {
  /** The column names (trimmed). */
  header(): Promise<string[]>;
  /** Header, delimiter and encoding. */
  format(): Promise<CsvFormat>;
  /**
   * Stops reading and closes the source (the file, the S3 body). Needed only when rows are never iterated to the
   * end, e.g. after `header()` showed the file is not wanted; breaking out of `for await` closes it too.
   */
  close(): Promise<void>;
}
