/**
 * {@link readCsv}: the reader of a CSV source. It opens the source (encoding, delimiter, line breaks, header:
 * the prologue) or resumes at a position, then hands out rows in batches; read-rows.ts turns records into rows,
 * read-checks.ts holds the checks, read-options.ts the public types.
 */
import { ConfigError, InputError } from '@kicksaw/core';
import { flatIterator } from './batches.js';
import { feedFor, openFeed, SNIFF_BYTES } from './encoding.js';
import { lineEndingsOf } from './engine.js';
import { checkStart, detectDelimiter, positive } from './read-checks.js';
import type { CsvFormat, CsvProblemRow, CsvReader, CsvRow, CsvStart, ReadCsvOptions } from './read-options.js';
import { type ParserSettings, rowParser, type State } from './read-rows.js';
import { bytesOf, type CsvSource } from './source.js';

export type {
  CsvDelimiter,
  CsvFormat,
  CsvPosition,
  CsvProblem,
  CsvProblemRow,
  CsvReader,
  CsvRecordRow,
  CsvRow,
  CsvStart,
  ReadCsvOptions,
} from './read-options.js';

const DEFAULT_MAX_FIELD_BYTES = 1024 * 1024;
const DEFAULT_MAX_RECORD_BYTES = 8 * 1024 * 1024;

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

/** Bytes of a source chunk parsed at a time (see `#batches`). */
const FEED_BYTES = 16 * 1024;

class Reader implements CsvReader {
  readonly #source: CsvSource;
  readonly #options: ReadCsvOptions;
  readonly #name: string | undefined;
  readonly #settings: ParserSettings;
  #state: Promise<State> | undefined;
  #iterated = false;

  constructor(source: CsvSource, options: ReadCsvOptions) {
    this.#source = source;
    this.#options = options;
    this.#name = options.source ?? (typeof source === 'string' ? source : undefined);
    const maxRecord = positive(options.maxRecordBytes, DEFAULT_MAX_RECORD_BYTES, 'maxRecordBytes');
    this.#settings = {
      name: this.#name,
      trim: options.trim === true,
      maxField: Math.min(positive(options.maxFieldBytes, DEFAULT_MAX_FIELD_BYTES, 'maxFieldBytes'), maxRecord),
      maxRecord,
      offsets: options.offsets === true,
    };
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
      // A copy: a file's chunks are read into reused buffers (see bytesOf), and this keeps several.
      first.push(Buffer.from(next.value));
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
    const parse = rowParser(this.#settings, it, done, feed, format, { offset: bomLength, row: 0, line: 1 }, undefined);
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
    return rowParser(this.#settings, it, false, feedFor('utf-8'), format, start.position, format.header).state;
  }
}
