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
  /** Offset (in UTF-8 bytes fed) where reading resumed after the broken line, when that is known already. */
  end?: number;
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

/**
 * The record delimiters to accept, from the first line break of the input: a CRLF file also accepts a lone LF
 * (files edited on two systems), an LF file only LF, a CR file (classic Mac) only CR. csv-parse checks each one
 * at every byte, so fewer is faster.
 */
export function lineEndingsOf(text: Buffer): string[] {
  const lf = text.indexOf(LF);
  const cr = text.indexOf(CR);
  if (cr === -1) return ['\n'];
  if (lf === -1 || cr < lf - 1) return lf === -1 ? ['\r'] : ['\r\n', '\n', '\r'];
  return cr === lf - 1 ? ['\r\n', '\n'] : ['\n'];
}

function createApi(delimiter: string, lineEndings: string[], maxRecordBytes: number): CsvParseApi {
  const parser = new Parser({
    delimiter,
    bom: false,
    encoding: 'utf8',
    relax_column_count: true,
    record_delimiter: lineEndings,
    skip_empty_lines: true,
    max_record_size: maxRecordBytes,
  });
  const api = (parser as unknown as { api?: CsvParseApi }).api;
  if (api === undefined || typeof api.parse !== 'function' || typeof api.info !== 'object') {
    throw new Error('@kicksaw/csv: this csv-parse version does not expose Parser#api; install csv-parse ^6.2');
  }
  return api;
}

function countOf(text: string, char: string): number {
  let count = 0;
  for (let i = text.indexOf(char); i !== -1; i = text.indexOf(char, i + 1)) count++;
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
  readonly #lineEndings: string[];
  /** What ends a physical line: LF, or CR in a classic-Mac file. */
  readonly #lineChar: string;
  readonly #lineByte: number;
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

  constructor(delimiter: string, lineEndings: string[], maxRecordBytes: number, sink: EngineSink, firstLine = 1) {
    this.#nextLine = firstLine;
    this.#delimiter = delimiter;
    this.#lineEndings = lineEndings;
    this.#lineChar = lineEndings.length === 1 && lineEndings[0] === '\r' ? '\r' : '\n';
    this.#lineByte = this.#lineChar === '\r' ? CR : LF;
    this.#maxRecordBytes = maxRecordBytes;
    this.#sink = sink;
    this.#api = createApi(delimiter, lineEndings, maxRecordBytes);
  }

  /** Parses one chunk of UTF-8 bytes. */
  feed(chunk: Buffer): void {
    let buf = chunk;
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

  /** The physical line where the input after the last record (or problem) given to the sink starts. */
  get nextLine(): number {
    return this.#nextLine;
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
    const lineChar = this.#lineChar;
    for (let i = 0; i < record.length; i++) {
      const field = record[i] as string;
      if (field.length > 0 && field.indexOf(lineChar) !== -1) breaks += countOf(field, lineChar);
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
      if (tail[i] === this.#lineByte) line++;
      i++;
    }
    const br = tail.indexOf(this.#lineByte, i);
    let rawEnd = br === -1 ? tail.length : br;
    if (rawEnd > i && tail[rawEnd - 1] === CR) rawEnd--;
    const raw = clip(tail.toString('utf8', i, Math.min(rawEnd, i + RAW_LIMIT * 4)));
    this.#nextLine = line + 1;
    const problem: EngineProblem = { ...describe(error, this.#maxRecordBytes), raw, line };
    if (br !== -1) problem.end = this.#recordEnd + br + 1;
    this.#sink.problem(problem);
    this.#emptySeen = 0;
    this.#api = createApi(this.#delimiter, this.#lineEndings, this.#maxRecordBytes);
    if (br === -1) {
      // The rest of this line is not here yet: drop bytes until the next line break, keeping none.
      this.#skipping = true;
      this.#chunks = [];
      this.#chunksStart = this.#chunksEnd;
      return undefined;
    }
    const next = br + 1;
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
    const br = buf.indexOf(this.#lineByte);
    if (br === -1) {
      this.#chunksEnd += buf.length;
      this.#chunksStart = this.#chunksEnd;
      return EMPTY;
    }
    const next = br + 1;
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
