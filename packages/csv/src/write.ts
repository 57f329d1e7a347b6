import { ConfigError, InputError, OUTCOME_CODES, type SalesforceError, type SalesforceRecord } from '@kicksaw/core';
import { Stringifier } from 'csv-stringify';
import { batchesOf } from './batches.js';

/** The column delimiters a Bulk API 2.0 ingest job accepts (its `columnDelimiter`). */
export type BulkDelimiter = 'COMMA' | 'TAB' | 'SEMICOLON' | 'PIPE' | 'CARET' | 'BACKQUOTE';

/** The line endings a Bulk API 2.0 ingest job accepts (its `lineEnding`). */
export type BulkLineEnding = 'LF' | 'CRLF';

/** Options of {@link toBulkCsv}. */
export interface WriteCsvOptions {
  /** The columns, in order: the header of every part. Fields of a record not listed here are not written. */
  fields: readonly string[];
  /** The job's `columnDelimiter`. Default `'COMMA'`. */
  delimiter?: BulkDelimiter;
  /** The job's `lineEnding`. Default `'LF'`. */
  lineEnding?: BulkLineEnding;
  /**
   * What to do with a record field that is not in `fields`: `'ignore'` (default: e.g. a delete job sends only
   * `Id`) or `'error'` (throw an `InputError`: a mapping that produces a field the job does not declare).
   */
  unknownFields?: 'ignore' | 'error';
}

/**
 * A record {@link splitCsv} could not put in any part, given to `onRejected`.
 *
 * @example
 * ```ts
 * const onRejected = (r: RejectedRecord) => report.write({ row: r.row, status: 'failed', id: null, created: false, errors: r.errors, record: r.record });
 * ```
 */
export interface RejectedRecord {
  row: number;
  /** The physical line in the source file, when the input was a {@link mapRows} row. */
  line?: number;
  /** The record; for a failed {@link mapRows} row, its source record (or `{ raw }` when it could not be read). */
  record: SalesforceRecord;
  /** Its size in bytes as CSV (0 when it could not be written at all). */
  bytes: number;
  /**
   * Why: `KICKSAW_RECORD_TOO_LARGE` (larger than `maxBytes` with the header), `KICKSAW_INVALID_VALUE`, or for a
   * failed {@link mapRows} row its first error.
   */
  error: SalesforceError;
  /** Every error (a failed {@link mapRows} row may have several). */
  errors: SalesforceError[];
}

/**
 * Options of {@link splitCsv}.
 *
 * @example
 * ```ts
 * const options: SplitCsvOptions = { fields: ['Id', 'Email'], delimiter: 'TAB', lineEnding: 'CRLF', maxBytes: 50_000_000, onRejected };
 * ```
 */
export interface SplitCsvOptions extends WriteCsvOptions {
  /** Largest part in bytes, header included. Default 100,000,000 (Bulk API 2.0 takes about 100 MB of CSV per job). */
  maxBytes?: number;
  /** Most records in a part. Default 150,000,000 (the Bulk API 2.0 records-per-job limit). */
  maxRows?: number;
  /**
   * Receives each record that cannot be sent (larger than `maxBytes` even alone, or holding a value that cannot
   * be written, such as `NaN`). Without it such a record throws an `InputError`: a row is never dropped silently.
   */
  onRejected?: (rejected: RejectedRecord) => void | Promise<void>;
}

/**
 * One part of {@link splitCsv}: a whole CSV (header and records) no larger than `maxBytes`.
 * `rows` lists the input row numbers it holds, in order: record `i` of the part is input row `rows[i]`.
 *
 * @example
 * ```ts
 * // part.csv = 'LastName\nDoe\nRoe\n', part.rows = [1, 3]: row 2 was rejected or filtered out
 * ```
 */
export interface CsvPart {
  csv: Buffer;
  rows: number[];
  /** `csv.length`. */
  bytes: number;
  /** 1-based part number. */
  part: number;
}

/**
 * What {@link splitCsv} accepts per item: a record with its input row number (a {@link mapRows} item is one; its
 * `ok: false` rows go to `onRejected`), or a bare record (numbered 1, 2, ...).
 */
export type SplitCsvInput =
  | { row: number; record: SalesforceRecord }
  | { ok: false; row: number; line?: number; errors: SalesforceError[]; source?: Record<string, string>; raw?: string }
  | SalesforceRecord;

const DELIMITERS: Record<BulkDelimiter, string> = {
  COMMA: ',',
  TAB: '\t',
  SEMICOLON: ';',
  PIPE: '|',
  CARET: '^',
  BACKQUOTE: '`',
};

interface StringifyApi {
  stringify(record: unknown[], isHeader?: boolean): [Error | undefined, string | undefined];
}

type Encoded = { text: string } | { error: SalesforceError };

/** Turns records into CSV lines for one job's fields, delimiter and line ending (csv-stringify does the quoting). */
class RecordEncoder {
  readonly eol: string;
  readonly header: string;
  readonly #fields: readonly string[];
  readonly #known: Set<string> | undefined;
  readonly #api: StringifyApi;
  readonly #values: unknown[];
  readonly #delimiter: string;
  readonly #special: RegExp;

  constructor(options: WriteCsvOptions) {
    const fields = options.fields;
    if (!Array.isArray(fields) || fields.length === 0 || fields.some((f) => typeof f !== 'string' || f === '')) {
      throw new ConfigError('must be a non-empty array of field names', { setting: 'fields' });
    }
    if (new Set(fields).size !== fields.length) {
      throw new ConfigError('lists a field twice', { setting: 'fields' });
    }
    const delimiter = DELIMITERS[options.delimiter ?? 'COMMA'];
    if (delimiter === undefined) {
      throw new ConfigError(`must be one of ${Object.keys(DELIMITERS).join(', ')}`, { setting: 'delimiter' });
    }
    const lineEnding = options.lineEnding ?? 'LF';
    if (lineEnding !== 'LF' && lineEnding !== 'CRLF')
      throw new ConfigError("must be 'LF' or 'CRLF'", { setting: 'lineEnding' });
    this.eol = lineEnding === 'CRLF' ? '\r\n' : '\n';
    this.#fields = fields;
    this.#known = options.unknownFields === 'error' ? new Set(fields) : undefined;
    // quote_record_delimiter: quote a value holding any CR or LF, also when the job's line ending is CRLF
    // (csv-stringify's default then quotes only CRLF, leaving a lone LF bare, which many readers split on).
    const stringifier = new Stringifier({
      delimiter,
      record_delimiter: this.eol,
      quote_record_delimiter: true,
      header: false,
      eof: false,
    });
    const api = (stringifier as unknown as { api?: StringifyApi }).api;
    if (api === undefined || typeof api.stringify !== 'function') {
      throw new Error(
        '@kicksaw/csv: this csv-stringify version does not expose Stringifier#api; install csv-stringify ^6.9',
      );
    }
    this.#api = api;
    this.#delimiter = delimiter;
    this.#special = new RegExp(`[${delimiter.replace(/[\\^\]-]/g, '\\$&')}"\r\n]`);
    this.#values = new Array(fields.length);
    this.header = this.#line(fields as string[]) + this.eol;
  }

  encode(record: SalesforceRecord): Encoded {
    const fields = this.#fields;
    const values = this.#values;
    if (this.#known !== undefined) {
      for (const key in record) {
        if (!this.#known.has(key)) {
          throw new InputError(`A record has field "${key}", which is not among the declared fields`, {
            code: 'CSV_UNKNOWN_FIELD',
            field: key,
          });
        }
      }
    }
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i] as string;
      const value = record[field];
      if (typeof value === 'string') values[i] = value;
      else if (value === null) values[i] = '#N/A';
      else if (value === undefined) values[i] = '';
      else if (typeof value === 'boolean') values[i] = value ? 'true' : 'false';
      else if (typeof value === 'number' && Number.isFinite(value)) values[i] = String(value);
      else {
        return {
          error: {
            statusCode: OUTCOME_CODES.INVALID_VALUE,
            message: `Field ${field} has a value that cannot be written to CSV: ${String(value)}`,
            fields: [field],
          },
        };
      }
    }
    return { text: this.#line(values) + this.eol };
  }

  /**
   * Values that need no quoting are written as they are (csv-stringify writes them verbatim too); a value with a
   * delimiter, quote or line break is quoted by csv-stringify, one field at a time (fields are independent).
   */
  #line(values: unknown[]): string {
    const special = this.#special;
    const delimiter = this.#delimiter;
    let line = '';
    for (let i = 0; i < values.length; i++) {
      const value = values[i] as string;
      if (i > 0) line += delimiter;
      line += special.test(value) ? this.#quote(value) : value;
    }
    return line;
  }

  #quote(value: string): string {
    const [error, text] = this.#api.stringify([value]);
    if (error !== undefined) throw error;
    return text ?? '';
  }
}

/**
 * Writes records as one Bulk API 2.0 CSV string: a header of `fields`, then one line per record; `null` becomes
 * `#N/A` (set the field to null), `undefined` and `''` stay empty (leave the field as is). For large inputs use
 * {@link splitCsv}, which streams.
 *
 * @example
 * ```ts
 * toBulkCsv([{ LastName: 'Doe', Email: null }], { fields: ['LastName', 'Email'] });
 * // 'LastName,Email\nDoe,#N/A\n'
 * ```
 */
export function toBulkCsv(records: Iterable<SalesforceRecord>, options: WriteCsvOptions): string {
  const encoder = new RecordEncoder(options);
  let out = encoder.header;
  let row = 0;
  for (const record of records) {
    row++;
    const encoded = encoder.encode(record);
    if ('error' in encoded) {
      throw new InputError(encoded.error.message, {
        code: encoded.error.statusCode,
        row,
        field: encoded.error.fields[0],
      });
    }
    out += encoded.text;
  }
  return out;
}

/**
 * Streams records into CSV parts for Bulk API 2.0 jobs, cut on record boundaries: no part is over `maxBytes`
 * (header included) or `maxRows`, every part starts with the same header (from `fields`), and each part lists
 * the input row numbers it holds. A record too large for any part goes to `onRejected` (or throws).
 *
 * Memory: one part at a time, written into a buffer of `maxBytes` whose untouched pages cost nothing; so the
 * resident memory of a part is its real size, at most `maxBytes` (default 100 MB). Lower `maxBytes` to bound it.
 *
 * @example
 * ```ts
 * for await (const part of splitCsv(rows, { fields: ['LastName', 'Email'], maxBytes: 50_000_000 })) {
 *   await uploadJobData(part.csv); // part.rows: the input row numbers in this part
 * }
 * ```
 */
export async function* splitCsv(
  records: Iterable<SplitCsvInput> | AsyncIterable<SplitCsvInput>,
  options: SplitCsvOptions,
): AsyncGenerator<CsvPart, void, undefined> {
  const plan = planParts(options);
  let buffer: Buffer | undefined;
  let used = 0;
  let rows: number[] = [];
  let part = 0;
  for await (const batch of encodedBatches(records, plan, options)) {
    for (let b = 0; b < batch.length; b++) {
      const line = batch[b] as EncodedLine;
      if (rows.length > 0 && (used + line.bytes > plan.maxBytes || rows.length >= plan.maxRows)) {
        yield { csv: (buffer as Buffer).subarray(0, used), rows, bytes: used, part: ++part };
        buffer = undefined;
        rows = [];
      }
      if (buffer === undefined) {
        // Pages of a large allocation are only backed by memory once written: a part costs its real size.
        buffer = Buffer.allocUnsafeSlow(plan.maxBytes);
        used = buffer.write(plan.header, 0, 'utf8');
      }
      used += buffer.write(line.text, used, 'utf8');
      rows.push(line.row);
    }
  }
  if (rows.length > 0) yield { csv: (buffer as Buffer).subarray(0, used), rows, bytes: used, part: ++part };
}

/**
 * One part of {@link splitCsvStream}: the same cut as {@link splitCsv}, but the CSV comes as a stream of chunks,
 * so memory never holds a whole part. `rows` and `bytes` grow while `body` is read and are final when it ends.
 */
export interface CsvPartStream {
  /** 1-based part number. */
  part: number;
  /** The part's CSV (header first) in chunks of about 256 KiB. Read it to the end before asking for the next part. */
  body: AsyncIterable<Buffer>;
  /** Input row numbers in the part so far, in order. */
  rows: number[];
  /** Bytes of the part so far (header included). */
  bytes: number;
}

const STREAM_CHUNK = 256 * 1024;

/**
 * {@link splitCsv} for callers that can send a part as a stream (an HTTP upload with chunked transfer encoding,
 * a file): each part's CSV comes in chunks, so memory stays flat whatever `maxBytes` is. Parts are cut exactly
 * as `splitCsv` cuts them. Each part's `body` must be read to its end before the next part is asked for.
 *
 * @example
 * ```ts
 * for await (const part of splitCsvStream(rows, { fields, maxBytes: 100_000_000 })) {
 *   await pipeline(Readable.from(part.body), createWriteStream(`part-${part.part}.csv`));
 *   console.log(part.part, part.rows.length, part.bytes);
 * }
 * ```
 */
export async function* splitCsvStream(
  records: Iterable<SplitCsvInput> | AsyncIterable<SplitCsvInput>,
  options: SplitCsvOptions,
): AsyncGenerator<CsvPartStream, void, undefined> {
  const plan = planParts(options);
  const source = encodedBatches(records, plan, options)[Symbol.asyncIterator]();
  let batch: EncodedLine[] = [];
  let index = 0;
  /** Makes `batch[index]` the next line; false at the end of the input. One await per batch, not per line. */
  const fill = async (): Promise<boolean> => {
    while (index >= batch.length) {
      const next = await source.next();
      if (next.done) return false;
      batch = next.value;
      index = 0;
    }
    return true;
  };
  try {
    let part = 0;
    while (await fill()) {
      const current = { part: ++part, rows: [], bytes: 0 } as unknown as CsvPartStream;
      let finished = false;
      current.body = (async function* body(): AsyncGenerator<Buffer, void, undefined> {
        let chunk = Buffer.allocUnsafe(Math.max(STREAM_CHUNK, plan.headerBytes));
        let used = chunk.write(plan.header, 0, 'utf8');
        let bytes = used;
        const rows = current.rows;
        while (index < batch.length || (await fill())) {
          const line = batch[index] as EncodedLine;
          if (rows.length > 0 && (bytes + line.bytes > plan.maxBytes || rows.length >= plan.maxRows)) break;
          if (used + line.bytes > chunk.length) {
            current.bytes = bytes;
            if (used > 0) yield chunk.subarray(0, used);
            chunk = Buffer.allocUnsafe(Math.max(STREAM_CHUNK, line.bytes));
            used = 0;
          }
          used += chunk.write(line.text, used, 'utf8');
          rows.push(line.row);
          bytes += line.bytes;
          index++;
        }
        current.bytes = bytes;
        if (used > 0) yield chunk.subarray(0, used);
        finished = true;
      })();
      yield current;
      if (!finished) {
        throw new Error("splitCsvStream: read each part's body to its end before asking for the next part");
      }
    }
  } finally {
    await source.return?.();
  }
}

/** A record ready for a part. */
interface EncodedLine {
  row: number;
  text: string;
  bytes: number;
}

interface PartPlan {
  encoder: RecordEncoder;
  header: string;
  headerBytes: number;
  maxBytes: number;
  maxRows: number;
}

function planParts(options: SplitCsvOptions): PartPlan {
  const encoder = new RecordEncoder(options);
  const maxBytes = whole(options.maxBytes, 100_000_000, 'maxBytes');
  const maxRows = whole(options.maxRows, 150_000_000, 'maxRows');
  const header = encoder.header;
  const headerBytes = Buffer.byteLength(header);
  if (headerBytes >= maxBytes) {
    throw new ConfigError(`is ${maxBytes} bytes, not enough for the header line alone (${headerBytes} bytes)`, {
      setting: 'maxBytes',
    });
  }
  return { encoder, header, headerBytes, maxBytes, maxRows };
}

/** Encodes records in batches; records that can never be sent go to `onRejected` (or throw). */
async function* encodedBatches(
  records: Iterable<SplitCsvInput> | AsyncIterable<SplitCsvInput>,
  plan: PartPlan,
  options: SplitCsvOptions,
): AsyncGenerator<EncodedLine[], void, undefined> {
  const { encoder, headerBytes, maxBytes } = plan;
  const reject = async (rejected: RejectedRecord): Promise<void> => {
    if (options.onRejected === undefined) {
      throw new InputError(
        `Row ${rejected.row} cannot be sent: ${rejected.error.message}; pass onRejected to report such rows`,
        { code: rejected.error.statusCode, row: rejected.row },
      );
    }
    await options.onRejected(rejected);
  };
  let sequence = 0;
  for await (const batch of batchesOf(records)) {
    const out: EncodedLine[] = [];
    for (let b = 0; b < batch.length; b++) {
      const item = batch[b] as SplitCsvInput;
      sequence++;
      let row: number;
      let record: SalesforceRecord;
      const candidate = item as { row?: unknown; record?: unknown; ok?: unknown };
      if (candidate.ok === false) {
        const failed = item as Extract<SplitCsvInput, { ok: false }>;
        const errors = failed.errors;
        await reject({
          row: failed.row,
          line: failed.line,
          record: failed.source ?? { raw: failed.raw ?? '' },
          bytes: 0,
          error: errors[0] ?? { statusCode: OUTCOME_CODES.INVALID_VALUE, message: 'Row failed', fields: [] },
          errors,
        });
        continue;
      }
      if (typeof candidate.row === 'number' && typeof candidate.record === 'object' && candidate.record !== null) {
        row = candidate.row;
        record = candidate.record as SalesforceRecord;
      } else {
        row = sequence;
        record = item as SalesforceRecord;
      }
      const encoded = encoder.encode(record);
      if ('error' in encoded) {
        await reject({ row, record, bytes: 0, error: encoded.error, errors: [encoded.error] });
        continue;
      }
      const text = encoded.text;
      const bytes = Buffer.byteLength(text);
      if (headerBytes + bytes > maxBytes) {
        const error = {
          statusCode: OUTCOME_CODES.RECORD_TOO_LARGE,
          message: `Record is ${bytes} bytes as CSV; with the header it cannot fit in a part of maxBytes ${maxBytes}`,
          fields: [],
        };
        await reject({ row, record, bytes, error, errors: [error] });
        continue;
      }
      out.push({ row, text, bytes });
    }
    if (out.length > 0) yield out;
  }
}

function whole(value: number | undefined, fallback: number, setting: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError(`must be a whole number of at least 1, got ${String(value)}`, { setting });
  }
  return value;
}
