import { StringDecoder } from 'node:string_decoder';
import { CsvSyntaxError, type LineBreak, RowParser } from './row-parser.js';

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
  /** A record: its fields and the physical line where it starts ({@link RecordEngine.recordEnd} and {@link RecordEngine.raw} say more). */
  record(fields: string[], line: number): void;
  problem(problem: EngineProblem): void;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * The record delimiters to accept, from the first line break of the input: a CRLF file also accepts a lone LF
 * (files edited on two systems), an LF file only LF, a CR file (classic Mac) only CR.
 */
export function lineEndingsOf(text: Buffer): string[] {
  const lf = text.indexOf(LF);
  const cr = text.indexOf(CR);
  if (cr === -1) return ['\n'];
  if (lf === -1 || cr < lf - 1) return lf === -1 ? ['\r'] : ['\r\n', '\n', '\r'];
  return cr === lf - 1 ? ['\r\n', '\n'] : ['\n'];
}

/** Cuts a string to {@link RAW_LIMIT} characters. */
export function clip(text: string): string {
  return text.length > RAW_LIMIT ? `${text.slice(0, RAW_LIMIT)}…` : text;
}

/**
 * Drives the {@link RowParser} (strict mode) over UTF-8 chunks and adds what a file reader needs: byte offsets
 * and recovery. Chunks are decoded as they come (a `StringDecoder` carries a character cut between two chunks),
 * so fields come out as text without a second decoding. The parser counts characters; the engine turns a
 * character position into a byte offset of the input only when one is asked for (a row's end, where reading
 * resumes after a problem) or when text the parser is about to drop must be counted: it keeps one anchor, a
 * character position with its byte offset, and measures the UTF-8 length of the text between the anchor and
 * the position asked for, moving the anchor there. Each character is measured at most once, so offsets cost one
 * pass over the text however many are asked for.
 *
 * This replaced parsing the bytes as latin1 (one character per byte, offsets exact for free) and decoding each
 * field afterwards: on a 1,000,000-row file where half the rows hold accented names, the per-field check and
 * decode were a third of the reader's CPU time (see the package README).
 *
 * When the parser stops on a broken record (an unterminated or misplaced quote, a record over the size limit),
 * the engine reports the record's first physical line as a problem and starts a fresh parser at the next
 * physical line, so one bad record never ends the file and never swallows the rows after it. Text kept in
 * memory: the current record plus the current chunk; while skipping the rest of an oversized line, nothing.
 */
export class RecordEngine {
  readonly #delimiter: string;
  readonly #maxRecordBytes: number;
  readonly #lineBreaks: LineBreak[];
  /** What ends a physical line: LF, or CR in a classic-Mac file. */
  readonly #lineChar: string;
  readonly #lineByte: number;
  readonly #sink: EngineSink;
  #decoder = new StringDecoder('utf8');
  #parser: RowParser;
  /** Bytes fed so far. */
  #fed = 0;
  /** The anchor: a character position of the current parser and the byte offset of the input it stands at. */
  #anchorChar = 0;
  #anchorByte = 0;
  /** The parser's text and its offset when last noted (see #catchUp). */
  #seenText = '';
  #seenOffset = 0;
  /** The record being handed to the sink: where its text starts and where the next record starts (characters). */
  #recordStart = 0;
  #recordNext = 0;
  #skipping = false;

  constructor(delimiter: string, lineEndings: string[], maxRecordBytes: number, sink: EngineSink, firstLine = 1) {
    this.#delimiter = delimiter;
    this.#lineBreaks = lineEndings as LineBreak[];
    this.#lineChar = lineEndings.length === 1 && lineEndings[0] === '\r' ? '\r' : '\n';
    this.#lineByte = this.#lineChar === '\r' ? CR : LF;
    this.#maxRecordBytes = maxRecordBytes;
    this.#sink = sink;
    this.#parser = this.#newParser(firstLine);
  }

  #newParser(firstLine: number): RowParser {
    return new RowParser({
      delimiter: this.#delimiter,
      lineBreaks: this.#lineBreaks,
      strict: true,
      bom: false,
      // Characters: a record within it may still be over the limit in bytes (see #record).
      maxRecordLength: this.#maxRecordBytes,
      firstLine,
    });
  }

  /** Parses one chunk of UTF-8 bytes. */
  feed(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const at = this.#fed;
    this.#fed += chunk.length;
    let bytes = chunk;
    if (this.#skipping) {
      const br = chunk.indexOf(this.#lineByte);
      if (br === -1) return;
      this.#skipping = false;
      this.#restart(this.#parser.line, at + br + 1);
      bytes = chunk.subarray(br + 1);
    }
    const text = this.#decoder.write(bytes);
    if (text.length === 0) return;
    this.#give(text);
    this.#run();
  }

  /** Ends the input: flushes the last record. */
  end(): void {
    if (this.#skipping) return;
    const rest = this.#decoder.end();
    if (rest.length > 0) this.#give(rest);
    this.#parser.end();
    this.#run();
  }

  /** The physical line where the input after the last record (or problem) given to the sink starts. */
  get nextLine(): number {
    return this.#parser.line;
  }

  /**
   * Where the input after the record being handed to {@link EngineSink.record} starts (a byte offset of the input
   * fed); only valid during that call.
   */
  recordEnd(): number {
    return this.#byteAt(this.#recordNext);
  }

  /** The raw text of the record being handed to {@link EngineSink.record}; only valid during that call. */
  raw(): string {
    const parser = this.#parser;
    const text = parser.text.slice(this.#recordStart - parser.offset, this.#recordNext - parser.offset);
    return clip(text.replace(/^[\r\n]+/, '').replace(/\r?\n$|\r$/, ''));
  }

  /** Gives the parser more text. */
  #give(text: string): void {
    this.#catchUp();
    this.#remember();
    this.#parser.push(text);
    this.#catchUp();
  }

  /** Notes the parser's text as it is now: what it drops next (at its next `push` or `parse`) is counted from it. */
  #remember(): void {
    this.#seenText = this.#parser.text;
    this.#seenOffset = this.#parser.offset;
  }

  /**
   * Moves the anchor to the parser's first character when the parser dropped text since {@link #remember} (records
   * handed out, blank lines it skipped), counting the dropped text's bytes.
   */
  #catchUp(): void {
    const offset = this.#parser.offset;
    if (offset <= this.#anchorChar) return;
    const dropped = this.#seenText.slice(this.#anchorChar - this.#seenOffset, offset - this.#seenOffset);
    this.#anchorByte += Buffer.byteLength(dropped, 'utf8');
    this.#anchorChar = offset;
  }

  /** The byte offset of character position `at` (not before the anchor, in the parser's text); moves the anchor there. */
  #byteAt(at: number): number {
    this.#catchUp();
    if (at === this.#anchorChar) return this.#anchorByte;
    const parser = this.#parser;
    const span = parser.text.slice(this.#anchorChar - parser.offset, at - parser.offset);
    this.#anchorByte += Buffer.byteLength(span, 'utf8');
    this.#anchorChar = at;
    return this.#anchorByte;
  }

  /** A fresh parser (and decoder) whose first character is at byte `origin` of the input. */
  #restart(firstLine: number, origin: number): void {
    this.#parser = this.#newParser(firstLine);
    this.#decoder = new StringDecoder('utf8');
    this.#anchorChar = 0;
    this.#anchorByte = origin;
    this.#seenText = '';
    this.#seenOffset = 0;
    this.#recordStart = 0;
    this.#recordNext = 0;
  }

  readonly #record = (fields: string[], line: number, start: number, _end: number, next: number): void => {
    // The parser bounds a record in characters; a character takes up to 3 bytes (4 for a surrogate pair, 2
    // characters), so only a record over a third of the limit can be over it in bytes.
    if ((next - start) * 3 > this.#maxRecordBytes) this.#checkBytes(start, next, line);
    this.#recordStart = start;
    this.#recordNext = next;
    this.#sink.record(fields, line);
  };

  /** Throws the parser's own error for a record over the limit in bytes, so it is handled as the parser's are. */
  #checkBytes(start: number, next: number, line: number): void {
    const parser = this.#parser;
    const text = parser.text.slice(start - parser.offset, next - parser.offset);
    const bytes = Buffer.byteLength(text.replace(/\r?\n$|\r$/, ''), 'utf8');
    if (bytes > this.#maxRecordBytes) {
      throw new CsvSyntaxError(
        'CSV_RECORD_TOO_LARGE',
        `The record starting on line ${line} is larger than maxRecordLength (${this.#maxRecordBytes})`,
        line,
        start,
      );
    }
  }

  #run(): void {
    for (;;) {
      try {
        this.#catchUp();
        this.#remember();
        this.#parser.parse(this.#record);
        this.#catchUp();
        return;
      } catch (error) {
        if (!(error instanceof CsvSyntaxError)) throw error;
        if (!this.#resync(error)) return;
      }
    }
  }

  /** Reports the broken record, then restarts parsing at the next physical line. False when that is not here yet. */
  #resync(error: CsvSyntaxError): boolean {
    const parser = this.#parser;
    const text = parser.text;
    const from = error.start - parser.offset;
    const line = error.line;
    const br = text.indexOf(this.#lineChar, from);
    let rawEnd = br === -1 ? text.length : br;
    if (rawEnd > from && text.charCodeAt(rawEnd - 1) === CR) rawEnd--;
    const raw = clip(text.slice(from, Math.min(rawEnd, from + RAW_LIMIT + 1)));
    const problem: EngineProblem = { ...describe(error, this.#maxRecordBytes), raw, line };
    const ended = parser.ended;
    if (br === -1) {
      // The rest of this line is not here yet: drop text until the next line break, keeping none (the bytes
      // fed after this chunk are scanned for it in feed).
      this.#restart(line + 1, 0);
      this.#sink.problem(problem);
      this.#skipping = true;
      return false;
    }
    const resume = this.#byteAt(parser.offset + br + 1);
    problem.end = resume;
    const rest = text.slice(br + 1);
    // The next parser starts at the next line: give it the line number before the sink reads nextLine. The
    // decoder goes on: it holds the start of a character cut at the end of the last chunk, if any.
    const decoder = this.#decoder;
    this.#restart(line + 1, resume);
    this.#decoder = decoder;
    this.#sink.problem(problem);
    if (rest.length > 0) this.#parser.push(rest);
    if (ended) this.#parser.end();
    return true;
  }
}

function describe(error: CsvSyntaxError, maxRecordBytes: number): { code: string; message: string } {
  const resume = 'reading resumed at the next line';
  switch (error.code) {
    case 'CSV_UNCLOSED_QUOTE':
      return {
        code: 'CSV_UNCLOSED_QUOTE',
        message: `A quoted field is never closed (the file ends inside it); ${resume}`,
      };
    case 'CSV_RECORD_TOO_LARGE':
      return {
        code: 'CSV_RECORD_TOO_LARGE',
        message: `The record is larger than maxRecordBytes (${maxRecordBytes} bytes); ${resume}`,
      };
    default:
      if (error.message.startsWith('A closing quote')) {
        return {
          code: 'CSV_INVALID_QUOTE',
          message:
            'A closing quote is followed by other characters instead of a delimiter or a line end ' +
            `(an unterminated quote, or a quote that should be doubled); ${resume}`,
        };
      }
      return {
        code: 'CSV_INVALID_QUOTE',
        message: `A quote appears inside an unquoted field (quote the whole field and double the quote: ""); ${resume}`,
      };
  }
}
