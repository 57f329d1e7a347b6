import { isAscii } from 'node:buffer';
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
  record(fields: string[], line: number, start: number, end: number): void;
  problem(problem: EngineProblem): void;
}

const LF = 0x0a;
const CR = 0x0d;
const HIGH = /[\x80-\xff]/;

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

/** UTF-8 bytes held one per character (latin1) back to text. */
function utf8(bytes: string): string {
  return HIGH.test(bytes) ? Buffer.from(bytes, 'latin1').toString('utf8') : bytes;
}

/**
 * Drives the {@link RowParser} (strict mode) over UTF-8 chunks and adds what a file reader needs: byte offsets
 * and recovery. The bytes are handed to the parser one character per byte (latin1, a copy without decoding), so
 * every offset it gives is a byte offset of the input, exactly, whatever the bytes are; fields are decoded as
 * UTF-8 afterwards, only those of chunks that are not pure ASCII. When the parser stops on a broken record (an
 * unterminated or misplaced quote, a record over the size limit), the engine reports the record's first physical
 * line as a problem and starts a fresh parser at the next physical line, so one bad record never ends the file
 * and never swallows the rows after it. Text kept in memory: the current record plus the current chunk; while
 * skipping the rest of an oversized line, nothing.
 */
export class RecordEngine {
  readonly #delimiter: string;
  readonly #maxRecordBytes: number;
  readonly #lineBreaks: LineBreak[];
  /** What ends a physical line: LF, or CR in a classic-Mac file. */
  readonly #lineChar: string;
  readonly #sink: EngineSink;
  #parser: RowParser;
  /** Offset (in bytes fed) of the current parser's first byte. */
  #origin = 0;
  /** Bytes fed so far. */
  #fed = 0;
  /** Offset just past the last chunk that was not pure ASCII (its fields need decoding). */
  #highEnd = 0;
  #skipping = false;

  constructor(delimiter: string, lineEndings: string[], maxRecordBytes: number, sink: EngineSink, firstLine = 1) {
    this.#delimiter = delimiter;
    this.#lineBreaks = lineEndings as LineBreak[];
    this.#lineChar = lineEndings.length === 1 && lineEndings[0] === '\r' ? '\r' : '\n';
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
      maxRecordLength: this.#maxRecordBytes,
      firstLine,
    });
  }

  /** Parses one chunk of UTF-8 bytes. */
  feed(chunk: Buffer): void {
    if (chunk.length === 0) return;
    let text = chunk.toString('latin1');
    const at = this.#fed;
    this.#fed += chunk.length;
    if (!isAscii(chunk)) this.#highEnd = this.#fed;
    if (this.#skipping) {
      const br = text.indexOf(this.#lineChar);
      if (br === -1) return;
      this.#skipping = false;
      this.#origin = at + br + 1;
      this.#parser = this.#newParser(this.#parser.line);
      text = text.slice(br + 1);
      if (text.length === 0) return;
    }
    this.#parser.push(text);
    this.#run();
  }

  /** Ends the input: flushes the last record. */
  end(): void {
    if (this.#skipping) return;
    this.#parser.end();
    this.#run();
  }

  /** The physical line where the input after the last record (or problem) given to the sink starts. */
  get nextLine(): number {
    return this.#parser.line;
  }

  /** The raw text between two offsets given to {@link EngineSink.record}; only valid during that call. */
  raw(start: number, end: number): string {
    const parser = this.#parser;
    const base = this.#origin + parser.offset;
    const text = utf8(parser.text.slice(start - base, end - base));
    return clip(text.replace(/^[\r\n]+/, '').replace(/\r?\n$|\r$/, ''));
  }

  readonly #push = (fields: string[], line: number, start: number, _end: number, next: number): void => {
    const origin = this.#origin;
    if (this.#highEnd > origin + start) {
      for (let i = 0; i < fields.length; i++) fields[i] = utf8(fields[i] as string);
    }
    this.#sink.record(fields, line, origin + start, origin + next);
  };

  #run(): void {
    for (;;) {
      try {
        this.#parser.parse(this.#push);
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
    const raw = clip(utf8(text.slice(from, Math.min(rawEnd, from + RAW_LIMIT * 4))));
    const problem: EngineProblem = { ...describe(error, this.#maxRecordBytes), raw, line };
    const resume = this.#origin + parser.offset + br + 1;
    if (br !== -1) problem.end = resume;
    // The next parser starts at the next line: give it the line number before the sink reads nextLine.
    this.#parser = this.#newParser(line + 1);
    this.#sink.problem(problem);
    if (br === -1) {
      // The rest of this line is not here yet: drop text until the next line break, keeping none.
      this.#skipping = true;
      return false;
    }
    this.#origin = resume;
    const rest = text.slice(br + 1);
    if (rest.length > 0) this.#parser.push(rest);
    if (parser.ended) this.#parser.end();
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
