import { Parser } from 'csv-parse';

/** The part of csv-parse's parser we drive directly: one call per chunk, records pushed synchronously. */
interface CsvParseApi {
  parse(
    buf: Buffer | undefined,
    end: boolean,
    push: (record: string[]) => void,
    close: () => void,
  ): (Error & { code?: string }) | undefined;
  info: { bytes: number; empty_lines: number };
}

/** Longest raw text kept on a problem (characters); longer text is cut and ends with `…`. */
export const RAW_LIMIT = 32 * 1024;

/** A structural problem the engine recovered from by resuming at the next physical line. */
export interface EngineProblem {
  code: string;
  message: string;
  raw: string;
  line: number;
}

/** Receives what the engine finds, synchronously, in input order. */
export interface EngineSink {
  record(fields: string[], line: number, start: number, end: number): void;
  problem(problem: EngineProblem): void;
}

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);
const noop = () => {};

function createApi(delimiter: string, maxRecordBytes: number): CsvParseApi {
  const parser = new Parser({
    delimiter,
    bom: false,
    encoding: 'utf8',
    relax_column_count: true,
    record_delimiter: ['\r\n', '\n', '\r'],
    skip_empty_lines: true,
    max_record_size: maxRecordBytes,
  });
  const api = (parser as unknown as { api?: CsvParseApi }).api;
  if (api === undefined || typeof api.parse !== 'function' || typeof api.info !== 'object') {
    throw new Error('@kicksaw/csv: this csv-parse version does not expose Parser#api; install csv-parse ^6.2');
  }
  return api;
}

function countBreaks(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) count++;
    else if (c === CR) {
      count++;
      if (text.charCodeAt(i + 1) === LF) i++;
    }
  }
  return count;
}

/** Cuts a string to {@link RAW_LIMIT} characters. */
export function clip(text: string): string {
  return text.length > RAW_LIMIT ? `${text.slice(0, RAW_LIMIT)}…` : text;
}

/**
 * Drives csv-parse over UTF-8 chunks and keeps what csv-parse does not: the physical line where each record
 * starts (CRLF inside quoted fields counts once), the raw bytes of the current record (for problems), and
 * recovery. When csv-parse stops on a broken record (an unterminated or misplaced quote, a record over the size
 * limit), the engine reports the record's first physical line as a problem and starts a fresh parser at the
 * next physical line, so one bad record never ends the file and never swallows the rows after it. Bytes kept in
 * memory: the current record plus the current chunk; while skipping the rest of an oversized line, nothing.
 */
export class RecordEngine {
  readonly #delimiter: string;
  readonly #maxRecordBytes: number;
  readonly #sink: EngineSink;
  #api: CsvParseApi;
  /** Absolute offset (in UTF-8 bytes fed) of the current parser's first byte. */
  #origin = 0;
  /** Chunks not yet known to be behind the current record; `#chunksStart` is the offset of the first. */
  #chunks: Buffer[] = [];
  #chunksStart = 0;
  #chunksEnd = 0;
  /** Offset where the next record (or empty lines before it) starts. */
  #recordEnd = 0;
  /** Physical line at `#recordEnd`. */
  #nextLine = 1;
  #emptySeen = 0;
  #skipping = false;
  #dropLeadingLf = false;

  constructor(delimiter: string, maxRecordBytes: number, sink: EngineSink) {
    this.#delimiter = delimiter;
    this.#maxRecordBytes = maxRecordBytes;
    this.#sink = sink;
    this.#api = createApi(delimiter, maxRecordBytes);
  }

  /** Parses one chunk of UTF-8 bytes. */
  feed(chunk: Buffer): void {
    let buf = chunk;
    if (this.#dropLeadingLf && buf.length > 0) {
      this.#dropLeadingLf = false;
      if (buf[0] === LF) {
        buf = buf.subarray(1);
        this.#origin++;
        this.#recordEnd++;
        this.#chunksStart++;
        this.#chunksEnd++;
      }
    }
    if (this.#skipping) buf = this.#skip(buf);
    if (buf.length === 0) return;
    this.#chunks.push(buf);
    this.#chunksEnd += buf.length;
    this.#run(buf, false);
    this.#trim();
  }

  /** Ends the input: flushes the last record. */
  end(): void {
    if (this.#skipping) return;
    this.#run(undefined, true);
    this.#chunks = [];
  }

  /** The raw text between two offsets given to {@link EngineSink.record}; only valid during that call. */
  raw(start: number, end: number): string {
    const text = this.#slice(start, end).toString('utf8');
    return clip(text.replace(/^[\r\n]+/, '').replace(/\r?\n$|\r$/, ''));
  }

  readonly #push = (record: string[]): void => {
    const info = this.#api.info;
    const end = this.#origin + info.bytes;
    const line = this.#nextLine + (info.empty_lines - this.#emptySeen);
    this.#emptySeen = info.empty_lines;
    let breaks = 0;
    for (let i = 0; i < record.length; i++) {
      const field = record[i] as string;
      if (field.length > 0 && (field.indexOf('\n') !== -1 || field.indexOf('\r') !== -1)) {
        breaks += countBreaks(field);
      }
    }
    this.#nextLine = line + breaks + 1;
    const start = this.#recordEnd;
    this.#recordEnd = end;
    this.#sink.record(record, line, start, end);
  };

  #run(first: Buffer | undefined, end: boolean): void {
    let input = first;
    for (;;) {
      const error = this.#api.parse(input, end, this.#push, noop);
      if (error === undefined) return;
      const rest = this.#resync(error);
      if (rest === undefined) return;
      input = rest;
    }
  }

  /** Reports the broken record, then restarts parsing at the next physical line. Returns the bytes to re-parse. */
  #resync(error: Error & { code?: string }): Buffer | undefined {
    const tail = this.#slice(this.#recordEnd, this.#chunksEnd);
    let i = 0;
    let line = this.#nextLine;
    while (i < tail.length && (tail[i] === LF || tail[i] === CR)) {
      if (tail[i] === CR && tail[i + 1] === LF) i++;
      i++;
      line++;
    }
    const lf = tail.indexOf(LF, i);
    const cr = tail.indexOf(CR, i);
    const br = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
    const rawEnd = br === -1 ? tail.length : br;
    const raw = clip(tail.toString('utf8', i, Math.min(rawEnd, i + RAW_LIMIT * 4)));
    this.#sink.problem({ ...describe(error, this.#maxRecordBytes), raw, line });
    this.#nextLine = line + 1;
    this.#emptySeen = 0;
    this.#api = createApi(this.#delimiter, this.#maxRecordBytes);
    if (br === -1) {
      // The rest of this line is not here yet: drop bytes until the next line break, keeping none.
      this.#skipping = true;
      this.#chunks = [];
      this.#chunksStart = this.#chunksEnd;
      return undefined;
    }
    let next = br + 1;
    if (tail[br] === CR) {
      if (br + 1 < tail.length) {
        if (tail[br + 1] === LF) next++;
      } else {
        this.#dropLeadingLf = true;
      }
    }
    const resume = this.#recordEnd + next;
    const rest = tail.subarray(next);
    this.#origin = resume;
    this.#recordEnd = resume;
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#chunksStart = resume;
    return rest;
  }

  /** While skipping the rest of a broken line: returns the bytes after the next line break (or none). */
  #skip(buf: Buffer): Buffer {
    const lf = buf.indexOf(LF);
    const cr = buf.indexOf(CR);
    const br = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
    if (br === -1) {
      this.#chunksEnd += buf.length;
      this.#chunksStart = this.#chunksEnd;
      return EMPTY;
    }
    let next = br + 1;
    if (buf[br] === CR) {
      if (br + 1 < buf.length) {
        if (buf[br + 1] === LF) next++;
      } else {
        this.#dropLeadingLf = true;
      }
    }
    this.#skipping = false;
    this.#chunksEnd += next;
    this.#chunksStart = this.#chunksEnd;
    this.#origin = this.#chunksEnd;
    this.#recordEnd = this.#chunksEnd;
    this.#chunks = [];
    return buf.subarray(next);
  }

  #trim(): void {
    const chunks = this.#chunks;
    let drop = 0;
    let start = this.#chunksStart;
    while (drop < chunks.length && start + (chunks[drop] as Buffer).length <= this.#recordEnd) {
      start += (chunks[drop] as Buffer).length;
      drop++;
    }
    if (drop > 0) {
      this.#chunks = chunks.slice(drop);
      this.#chunksStart = start;
    }
  }

  #slice(from: number, to: number): Buffer {
    const parts: Buffer[] = [];
    let offset = this.#chunksStart;
    for (const chunk of this.#chunks) {
      const chunkEnd = offset + chunk.length;
      if (chunkEnd > from && offset < to) {
        parts.push(chunk.subarray(Math.max(0, from - offset), Math.min(chunk.length, to - offset)));
      }
      offset = chunkEnd;
    }
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }
}

function describe(error: Error & { code?: string }, maxRecordBytes: number): { code: string; message: string } {
  const resume = 'reading resumed at the next line';
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return {
        code: 'CSV_UNCLOSED_QUOTE',
        message: `A quoted field is never closed (the file ends inside it); ${resume}`,
      };
    case 'CSV_INVALID_CLOSING_QUOTE':
      return {
        code: 'CSV_INVALID_QUOTE',
        message:
          'A closing quote is followed by other characters instead of a delimiter or a line end ' +
          `(an unterminated quote, or a quote that should be doubled); ${resume}`,
      };
    case 'INVALID_OPENING_QUOTE':
      return {
        code: 'CSV_INVALID_QUOTE',
        message: `A quote appears inside an unquoted field (quote the whole field and double the quote: ""); ${resume}`,
      };
    case 'CSV_MAX_RECORD_SIZE':
      return {
        code: 'CSV_RECORD_TOO_LARGE',
        message: `The record is larger than maxRecordBytes (${maxRecordBytes} bytes); ${resume}`,
      };
    default:
      return { code: 'CSV_MALFORMED', message: `${error.message}; ${resume}` };
  }
}
