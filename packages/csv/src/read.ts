import { ConfigError, InputError } from '@kicksaw/core';
import { type Batched, flatIterator } from './batches.js';
import { type CsvEncoding, feedFor, openFeed, SNIFF_BYTES, type Utf8Feed } from './encoding.js';
import { clip, type EngineProblem, lineEndingsOf, RecordEngine } from './engine.js';
import { bytesOf, type CsvSource } from './source.js';

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

const DEFAULT_MAX_FIELD_BYTES = 1024 * 1024;
const DEFAULT_MAX_RECORD_BYTES = 8 * 1024 * 1024;
const CANDIDATES = [',', ';', '\t', '|'];

/**
 * Reads a CSV file, stream or async iterable of chunks as an async iterable of rows, streaming with flat memory.
 *
 * Each item is `{ row, line, record }` or, for a row that cannot be read (too many or too few fields, an
 * unterminated quote, a record over the size limit, undecodable bytes), `{ row, line, problem }`; reading goes on
 * after a problem. Problems in the file as a whole (empty file, binary file, undeclared non-UTF-8 encoding, empty
 * or duplicate header names) throw an `InputError` before any row. A header-only file gives no rows.
 *
 * @example
 * ```ts
 * for await (const item of readCsv('contacts.csv', { encoding: 'auto', trim: true })) {
 *   if ('problem' in item) console.warn(`row ${item.row} (line ${item.line}): ${item.problem.message}`);
 *   else console.log(item.record.Email);
 * }
 * ```
 */
export function readCsv(source: CsvSource, options: ReadCsvOptions = {}): CsvReader {
  return new Reader(source, options);
}

interface State {
  format: CsvFormat;
  it: AsyncIterator<Buffer>;
  queue: CsvRow[];
  done: boolean;
  /** Decodes and parses one source chunk; rows land in `queue`. */
  push(chunk: Buffer): void;
  /** Ends the input. */
  finish(): void;
}

/** Bytes of a source chunk parsed at a time (see `#batches`). */
const FEED_BYTES = 16 * 1024;

class Reader implements CsvReader {
  readonly #source: CsvSource;
  readonly #options: ReadCsvOptions;
  readonly #name: string | undefined;
  readonly #maxField: number;
  readonly #maxRecord: number;
  #state: Promise<State> | undefined;
  #iterated = false;

  constructor(source: CsvSource, options: ReadCsvOptions) {
    this.#source = source;
    this.#options = options;
    this.#name = options.source ?? (typeof source === 'string' ? source : undefined);
    this.#maxRecord = positive(options.maxRecordBytes, DEFAULT_MAX_RECORD_BYTES, 'maxRecordBytes');
    this.#maxField = Math.min(
      positive(options.maxFieldBytes, DEFAULT_MAX_FIELD_BYTES, 'maxFieldBytes'),
      this.#maxRecord,
    );
  }

  async header(): Promise<string[]> {
    return (await this.#start()).format.header.slice();
  }

  async format(): Promise<CsvFormat> {
    const { format } = await this.#start();
    return { ...format, header: format.header.slice() };
  }

  async close(): Promise<void> {
    this.#iterated = true;
    if (this.#state === undefined) return;
    const state = await this.#state.catch(() => undefined);
    if (state === undefined) return;
    state.done = true;
    state.queue = [];
    await state.it.return?.();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<CsvRow> {
    return flatIterator(this.batches());
  }

  batches(): AsyncIterable<CsvRow[]> {
    if (this.#iterated) throw new Error('readCsv: this reader was already iterated; call readCsv again');
    this.#iterated = true;
    return this.#batches();
  }

  #start(): Promise<State> {
    this.#state ??= this.#open();
    return this.#state;
  }

  async *#batches(): AsyncGenerator<CsvRow[]> {
    const state = await this.#start();
    const strict = this.#options.strict === true;
    // A source chunk is parsed a slice at a time, the next slice only once the rows of the last one
    // were taken: a whole chunk parsed at once would leave hundreds of rows waiting while the
    // consumer works through them, long enough for the garbage collector to move them all to the
    // old generation, where they pile up as garbage until a full collection.
    let pending: Buffer | undefined;
    let at = 0;
    try {
      for (;;) {
        if (state.queue.length > 0) {
          const batch = state.queue;
          state.queue = [];
          if (strict) {
            const bad = batch.findIndex((item) => 'problem' in item);
            if (bad !== -1) {
              if (bad > 0) yield batch.slice(0, bad);
              const item = batch[bad] as CsvProblemRow;
              throw new InputError(item.problem.message, {
                code: item.problem.code,
                source: this.#name,
                line: item.line,
                row: item.row,
              });
            }
          }
          yield batch;
        }
        if (pending !== undefined) {
          const end = Math.min(pending.length, at + FEED_BYTES);
          const slice = pending.subarray(at, end);
          at = end;
          if (at >= pending.length) pending = undefined;
          state.push(slice);
          continue;
        }
        if (state.done) return;
        const next = await state.it.next();
        if (next.done) {
          state.done = true;
          state.finish();
        } else {
          pending = next.value;
          at = 0;
        }
      }
    } finally {
      await state.it.return?.();
    }
  }

  async #open(): Promise<State> {
    const start = this.#options.start;
    if (start !== undefined) checkStart(start);
    const it = bytesOf(this.#source, this.#name, start?.position.offset);
    try {
      return start === undefined ? await this.#prologue(it) : this.#resume(it, start);
    } catch (error) {
      await it.return?.();
      throw error;
    }
  }

  /** Reads the start of the file: encoding, delimiter, line breaks, then the header line. */
  async #prologue(it: AsyncIterator<Buffer>): Promise<State> {
    const name = this.#name;
    const first: Buffer[] = [];
    let size = 0;
    let done = false;
    while (size < SNIFF_BYTES) {
      const next = await it.next();
      if (next.done) {
        done = true;
        break;
      }
      first.push(next.value);
      size += next.value.length;
    }
    const window = first.length === 1 ? (first[0] as Buffer) : Buffer.concat(first);
    if (window.length === 0) throw new InputError('The file is empty', { code: 'CSV_EMPTY', source: name });
    const { feed, bomLength } = openFeed(window, this.#options.encoding, name);
    const text = feed.push(window.subarray(bomLength));
    const declared = this.#options.delimiter;
    const delimiter = declared === undefined || declared === 'auto' ? detectDelimiter(text) : declared;
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
      throw new ConfigError(
        `must be one character other than a quote or a line break, got ${JSON.stringify(delimiter)}`,
        {
          setting: 'delimiter',
        },
      );
    }
    const format: CsvFormat = {
      header: [],
      delimiter,
      encoding: feed.encoding,
      line: 1,
      lineBreaks: lineEndingsOf(text),
    };
    const parse = this.#parser(it, done, feed, format, { offset: bomLength, row: 0, line: 1 }, undefined);
    const { state } = parse;
    parse.feedChecked(text);
    if (state.done) state.finish();
    while (parse.header() === undefined && parse.headerProblem() === undefined && !state.done) {
      const next = await it.next();
      if (next.done) {
        state.done = true;
        state.finish();
      } else {
        state.push(next.value);
      }
    }
    const headerProblem = parse.headerProblem();
    if (headerProblem !== undefined) {
      throw new InputError(
        `The header line cannot be read: ${headerProblem.message.replace(/; reading resumed.*$/, '')}`,
        {
          code: 'CSV_BAD_HEADER',
          source: name,
          line: headerProblem.line,
        },
      );
    }
    const header = parse.header();
    if (header === undefined) {
      throw new InputError('The file is empty: it has no header line', { code: 'CSV_EMPTY', source: name });
    }
    state.format = { ...format, header, line: parse.headerLine() };
    return state;
  }

  /** Starts mid-file at a known position with a known format (see {@link ReadCsvOptions.start}). */
  #resume(it: AsyncIterator<Buffer>, start: CsvStart): State {
    const format = {
      ...start.format,
      header: start.format.header.slice(),
      lineBreaks: start.format.lineBreaks.slice(),
    };
    return this.#parser(it, false, feedFor('utf-8'), format, start.position, format.header).state;
  }

  /**
   * The record engine and what turns its records into rows. Without `header`, the first record read is the
   * header line (checked, not a row). `at` is where the bytes fed begin: source offset, rows and line before it.
   */
  #parser(
    it: AsyncIterator<Buffer>,
    done: boolean,
    feed: Utf8Feed,
    format: CsvFormat,
    at: CsvPosition,
    header: string[] | undefined,
  ) {
    const name = this.#name;
    let headerFields: { fields: string[]; line: number } | undefined =
      header === undefined ? undefined : { fields: header, line: format.line };
    let headerProblem: EngineProblem | undefined;
    const state: State = {
      format,
      it,
      queue: [],
      done,
      push: () => {},
      finish: () => {},
    };
    let rows = at.row;
    let names: string[] = header ?? [];
    let width = names.length;
    let sawNul = false;
    let headerError: unknown;
    const trim = this.#options.trim === true;
    const maxField = this.#maxField;
    // Engine offsets count the UTF-8 bytes fed; they are source offsets only when the source is UTF-8.
    const positions = this.#options.offsets === true && feed.encoding === 'utf-8';
    const base = at.offset;
    const engine = new RecordEngine(
      format.delimiter,
      format.lineBreaks,
      this.#maxRecord,
      {
        record: (fields, line, start, end) => {
          if (fields.length === 1 && (fields[0] as string).trim() === '') return; // a blank line
          if (headerFields === undefined) {
            if (headerProblem !== undefined) return;
            headerFields = { fields, line };
            try {
              names = checkHeader(fields, line, name);
              width = names.length;
            } catch (error) {
              headerError = error;
            }
            return;
          }
          if (headerError !== undefined) return;
          rows++;
          let item: CsvRow;
          if (fields.length !== width) {
            const more = fields.length > width;
            item = {
              row: rows,
              line,
              problem: {
                code: more ? 'CSV_TOO_MANY_FIELDS' : 'CSV_TOO_FEW_FIELDS',
                message: `Row has ${fields.length} field(s) but the header has ${width} column(s)`,
                raw: engine.raw(start, end),
              },
            };
          } else {
            const record: Record<string, string> = {};
            let problem: CsvProblem | undefined;
            for (let i = 0; i < width; i++) {
              const value = fields[i] as string;
              if (value.length * 3 > maxField && Buffer.byteLength(value) > maxField) {
                problem ??= {
                  code: 'CSV_FIELD_TOO_LARGE',
                  message: `Column "${names[i]}" holds ${Buffer.byteLength(value)} bytes, more than maxFieldBytes (${maxField})`,
                  raw: engine.raw(start, end),
                };
              }
              record[names[i] as string] = trim ? value.trim() : value;
            }
            if (problem === undefined && feed.invalid)
              problem = encodingProblem(fields, feed.encoding, () => engine.raw(start, end));
            if (problem === undefined && sawNul) problem = nulProblem(fields, () => engine.raw(start, end));
            item = problem === undefined ? { row: rows, line, record } : { row: rows, line, problem };
          }
          if (positions) item.end = { offset: base + end, row: rows, line: engine.nextLine };
          state.queue.push(item);
        },
        problem: (problem) => {
          if (headerFields === undefined) {
            headerProblem ??= problem;
            return;
          }
          rows++;
          const { line, end, ...rest } = problem;
          const item: CsvRow = { row: rows, line, problem: rest };
          if (positions && end !== undefined) item.end = { offset: base + end, row: rows, line: engine.nextLine };
          state.queue.push(item);
        },
      },
      at.line,
    );
    const feedChecked = (bytes: Buffer): void => {
      if (!sawNul && bytes.indexOf(0) !== -1) sawNul = true;
      engine.feed(bytes);
    };
    state.push = (chunk) => feedChecked(feed.push(chunk));
    state.finish = () => {
      feedChecked(feed.end());
      engine.end();
    };
    return {
      state,
      feedChecked,
      /** The checked header names, once the header line was read; throws its `InputError` if it is bad. */
      header: (): string[] | undefined => {
        if (headerError !== undefined) throw headerError;
        return headerFields === undefined ? undefined : names;
      },
      headerLine: (): number => headerFields?.line ?? format.line,
      headerProblem: (): EngineProblem | undefined => headerProblem,
    };
  }
}

function checkStart(start: CsvStart): void {
  const { format, position } = start;
  const bad = (why: string) => new ConfigError(why, { setting: 'start' });
  if (format?.encoding !== 'utf-8') {
    throw bad(
      `can resume only a UTF-8 file (offsets count source bytes), got encoding ${JSON.stringify(format?.encoding)}`,
    );
  }
  if (!Array.isArray(format.header) || format.header.length === 0) throw bad('needs the header of the file');
  if (!Array.isArray(format.lineBreaks) || format.lineBreaks.length === 0)
    throw bad('needs the line breaks of the file (format.lineBreaks)');
  for (const key of ['offset', 'row', 'line'] as const) {
    const value = position?.[key];
    if (!Number.isInteger(value) || (value as number) < (key === 'line' ? 1 : 0)) {
      throw bad(
        `position.${key} must be a whole number${key === 'line' ? ' of at least 1' : ' of at least 0'}, got ${String(value)}`,
      );
    }
  }
}

function checkHeader(fields: string[], line: number, source: string | undefined): string[] {
  const names = fields.map((field, i) => (i === 0 ? field.replace(/^\uFEFF/, '') : field).trim());
  const seen = new Map<string, number>();
  names.forEach((name, i) => {
    if (name === '') {
      throw new InputError(`Header column ${i + 1} has no name: every column needs a unique name`, {
        code: 'CSV_BAD_HEADER',
        source,
        line,
        column: i + 1,
      });
    }
    if (name === '__proto__') {
      throw new InputError('Header has a column named "__proto__", which cannot be a record key: rename it', {
        code: 'CSV_BAD_HEADER',
        source,
        line,
        column: i + 1,
        field: name,
      });
    }
    const before = seen.get(name);
    if (before !== undefined) {
      throw new InputError(`Header has a duplicate column "${name}" (columns ${before + 1} and ${i + 1})`, {
        code: 'CSV_BAD_HEADER',
        source,
        line,
        column: i + 1,
        field: name,
      });
    }
    seen.set(name, i);
  });
  return names;
}

function encodingProblem(fields: string[], encoding: string, raw: () => string): CsvProblem | undefined {
  if (!fields.some((field) => field.includes('\uFFFD'))) return undefined;
  const fix =
    encoding === 'utf-8'
      ? "; declare the file's encoding, e.g. { encoding: 'windows-1252' }"
      : ' (a broken character: a lone surrogate or a cut-off byte)';
  return {
    code: 'CSV_ENCODING',
    message: `Row holds bytes that are not valid ${encoding.toUpperCase()} (shown as \uFFFD)${fix}`,
    raw: raw(),
  };
}

function nulProblem(fields: string[], raw: () => string): CsvProblem | undefined {
  if (!fields.some((field) => field.includes('\u0000'))) return undefined;
  return {
    code: 'CSV_BINARY',
    message: 'Row holds NUL bytes (binary data)',
    raw: clip(raw().replaceAll('\u0000', '\\0')),
  };
}

/** Picks the delimiter from the header line: the most frequent of `,` `;` tab `|` outside quotes, else `,`. */
function detectDelimiter(text: Buffer): string {
  const counts = [0, 0, 0, 0];
  let quoted = false;
  let content = false;
  const limit = text.length;
  for (let i = 0; i < limit; i++) {
    const c = text[i];
    if (c === 0x22) {
      quoted = !quoted;
      content = true;
    } else if (!quoted) {
      if (c === 0x0a || c === 0x0d) {
        if (content) break;
        continue;
      }
      if (c !== 0x20) content = true;
      const k = c === 0x2c ? 0 : c === 0x3b ? 1 : c === 0x09 ? 2 : c === 0x7c ? 3 : -1;
      if (k !== -1) counts[k] = (counts[k] as number) + 1;
    }
  }
  let best = 0;
  for (let i = 1; i < counts.length; i++) if ((counts[i] as number) > (counts[best] as number)) best = i;
  return CANDIDATES[best] as string;
}

function positive(value: number | undefined, fallback: number, setting: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError(`must be a whole number of bytes of at least 1, got ${String(value)}`, { setting });
  }
  return value;
}
