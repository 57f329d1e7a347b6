/**
 * A first pass over CSV bytes that finds where each record starts and ends without making a string: a caller
 * that keeps the bytes (an upload held in memory) locates its records with it and parses each with
 * {@link RowParser} only when it needs the values. The rules are `RowParser`'s lenient mode (`strict: false`)
 * with LF and CRLF line breaks: the same records, lines and offsets (a test holds it to the parser over random
 * text cut at random places).
 *
 * A record that lies whole in a chunk is found with `Buffer#indexOf` (native, many bytes a nanosecond): its line
 * feed, its quotes, and a quote's closing one; about three calls a record of the usual kind. What that does not
 * settle (a record cut by the end of a chunk, a CR at its start, a quote at the very end of a chunk) goes one byte
 * at a time through a small state machine whose state survives between pushes, so a record cut by the end of a
 * chunk costs nothing more (no text kept aside). Bytes of 128 and up are data (the delimiter is ASCII), so UTF-8
 * text of any language scans as it is.
 */

import { CsvSyntaxError } from './row-parser.js';

/** Options of {@link RecordScanner}. */
export interface RecordScannerOptions {
  /** The field delimiter, one ASCII character other than a quote or a line break. Default `,`. */
  delimiter?: string;
  /**
   * The line breaks that end a record: `['\r\n', '\n']` (default: CRLF, and a lone LF as well) or `['\r\n']` (a
   * lone LF is data) or `['\n']` (a CR before an LF is data). Classic-Mac CR breaks are not scanned.
   */
  lineBreaks?: ReadonlyArray<'\n' | '\r\n'>;
  /** Skip a UTF-8 byte-order mark (EF BB BF) at the very start. Default `true`. */
  bom?: boolean;
  /** The line number of the first line. Default 1. */
  firstLine?: number;
}

/**
 * Receives each record: the byte offsets of its text counted from the first byte pushed (a skipped byte-order
 * mark counted), `start` of its first byte and `end` just past its last field (line break excluded), and the
 * 1-based physical line where it starts. Parsing the bytes from `start` to `end` alone gives its fields.
 */
export type RecordEndSink = (start: number, end: number, line: number) => void;

const QUOTE = 34;
const LF = 10;
const CR = 13;

/** Between records (an empty line is skipped here). */
const START = 0;
/** After a CR at the start of a record: an empty CRLF line, or the record's first byte. */
const START_CR = 1;
/** Right after a delimiter: a quote here opens a quoted value. */
const FIELD = 2;
/** In an unquoted value, or in the text after a closing quote: quotes are data. */
const UNQUOTED = 3;
/** Inside a quoted value. */
const QUOTED = 4;
/** A quote inside a quoted value: a doubled quote when a quote follows, else the closing one. */
const QUOTE_SEEN = 5;
/** After a CR outside quotes: the record ends there when an LF follows, else the CR is data. */
const RECORD_CR = 6;

const BOM = [0xef, 0xbb, 0xbf];

/**
 * Finds the records of CSV bytes pushed chunk by chunk: `push(bytes, sink)` for each chunk, `end(sink)` after the
 * last. Each complete record goes to the sink with its start and end offsets and its line, as soon as its line
 * break is seen (the last one at `end`). Empty lines are skipped and counted; quoted values may hold delimiters,
 * doubled quotes and line breaks; a quote never closed is a {@link CsvSyntaxError} `CSV_UNCLOSED_QUOTE` from
 * `end` (with the `line` and `start` of the broken record, the message `RowParser` gives). Memory: none a record.
 *
 * @example
 * ```ts
 * import { RecordScanner } from '@kicksaw/csv';
 *
 * const bytes = Buffer.from('id,note\n1,"two\nlines"\n\n2,x');
 * const scanner = new RecordScanner();
 * const spans: number[][] = [];
 * const sink = (start: number, end: number, line: number) => spans.push([start, end, line]);
 * scanner.push(bytes.subarray(0, 12), sink); // records may span pushes
 * scanner.push(bytes.subarray(12), sink);
 * scanner.end(sink);
 * // spans: [[0, 7, 1], [8, 21, 2], [23, 26, 5]]; bytes.toString('utf8', 8, 21) is '1,"two\nlines"'
 * ```
 */
export class RecordScanner {
  #state = START;
  /** Offset of the current record's first byte. */
  #start = 0;
  /** Offset of a CR that may start a CRLF. */
  #cr = 0;
  /** Offset of the next byte pushed. */
  #offset = 0;
  /** The line where the current (or next) record starts. */
  #line: number;
  /** Line breaks inside the current record's quoted values. */
  #breaks = 0;
  /** Bytes of a byte-order mark matched at the very start (3 when done or not wanted). */
  #bom: number;
  #ended = false;
  /**
   * Within the chunk being pushed: the first quote at or after some earlier position (-1: none after it; -2: not
   * known). Positions only grow within a chunk, so it stays true for any later one it is not before.
   */
  #quoteAt = -2;
  /** What {@link RecordScanner.#whole} found: the record's end and the line breaks inside its quoted values. */
  #wholeEnd = 0;
  #wholeBreaks = 0;
  readonly #delimiter: number;
  readonly #lf: boolean;
  readonly #crlf: boolean;

  constructor(options: RecordScannerOptions = {}) {
    const delimiter = options.delimiter ?? ',';
    const code = delimiter.charCodeAt(0);
    if (delimiter.length !== 1 || code >= 128 || code === QUOTE || code === LF || code === CR) {
      throw new TypeError(`delimiter must be one ASCII character other than a quote or a line break, got ${delimiter}`);
    }
    const breaks = options.lineBreaks ?? ['\r\n', '\n'];
    if (breaks.length === 0 || breaks.some((b) => b !== '\n' && b !== '\r\n')) {
      throw new TypeError(`lineBreaks must list '\\n' or '\\r\\n', got ${JSON.stringify(breaks)}`);
    }
    this.#delimiter = code;
    this.#lf = breaks.includes('\n');
    this.#crlf = breaks.includes('\r\n');
    this.#bom = options.bom === false ? 3 : 0;
    this.#line = options.firstLine ?? 1;
  }

  /** The line where the next record (or empty line) starts. */
  get line(): number {
    return this.#line;
  }

  /** Bytes pushed so far. */
  get offset(): number {
    return this.#offset;
  }

  /** Scans `bytes`, the bytes after those pushed before; returns how many records it handed to `sink`. */
  push(chunk: Uint8Array, sink: RecordEndSink): number {
    if (this.#ended) throw new Error('RecordScanner: push after end()');
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const n = bytes.length;
    this.#quoteAt = -2;
    let i = 0;
    if (this.#bom < 3) {
      i = this.#skipBom(bytes);
      if (i === n) {
        this.#offset += n;
        return 0;
      }
    }
    const base = this.#offset;
    const delimiter = this.#delimiter;
    const lf = this.#lf;
    const crlf = this.#crlf;
    let state = this.#state;
    let start = this.#start;
    let cr = this.#cr;
    let line = this.#line;
    let breaks = this.#breaks;
    let count = 0;
    while (i < n) {
      if (state === UNQUOTED) {
        for (; i < n; i++) {
          const c = bytes[i] as number;
          if (c === delimiter) {
            state = FIELD;
            break;
          }
          if (c === LF) {
            if (lf) {
              sink(start, base + i, line);
              line += breaks + 1;
              count++;
              state = START;
              break;
            }
          } else if (c === CR && crlf) {
            cr = base + i;
            state = RECORD_CR;
            break;
          }
        }
        i++;
      } else if (state === QUOTED) {
        for (; i < n; i++) {
          const c = bytes[i] as number;
          if (c === QUOTE) {
            state = QUOTE_SEEN;
            break;
          }
          if (c === LF) breaks++;
        }
        i++;
      } else if (state === FIELD) {
        if (bytes[i] === QUOTE) {
          state = QUOTED;
          i++;
        } else state = UNQUOTED;
      } else if (state === QUOTE_SEEN) {
        // A doubled quote stays in the value; any other byte follows the closing quote (as unquoted text does).
        if (bytes[i] === QUOTE) {
          state = QUOTED;
          i++;
        } else state = UNQUOTED;
      } else if (state === START) {
        const c = bytes[i] as number;
        if (c === LF && lf) {
          line++;
          i++;
          continue;
        }
        if (c !== CR && c !== LF) {
          const next = this.#whole(bytes, i);
          if (next !== -1) {
            sink(base + i, base + this.#wholeEnd, line);
            line += this.#wholeBreaks + 1;
            count++;
            i = next;
            continue;
          }
        }
        start = base + i;
        breaks = 0;
        if (c === CR && crlf) {
          cr = start;
          state = START_CR;
          i++;
        } else if (c === QUOTE) {
          state = QUOTED;
          i++;
        } else state = UNQUOTED;
      } else if (state === START_CR) {
        if (bytes[i] === LF) {
          line++;
          state = START;
          i++;
        } else state = UNQUOTED; // the CR is the record's first byte: data
      } else {
        // RECORD_CR
        if (bytes[i] === LF) {
          sink(start, cr, line);
          line += breaks + 1;
          count++;
          state = START;
          i++;
        } else state = UNQUOTED; // a CR alone is data
      }
    }
    this.#offset = base + n;
    this.#state = state;
    this.#start = start;
    this.#cr = cr;
    this.#line = line;
    this.#breaks = breaks;
    return count;
  }

  /**
   * The record starting at `pos` (its first byte neither CR nor LF) when it lies whole in `bytes` and its end can be
   * told without looking past them: where the next record (or empty line) starts, its end and line breaks in
   * {@link RecordScanner.#wholeEnd} and {@link RecordScanner.#wholeBreaks}. Else -1 (the state machine takes it).
   */
  #whole(bytes: Buffer, pos: number): number {
    const n = bytes.length;
    const delimiter = this.#delimiter;
    let lfAt = bytes.indexOf(LF, pos);
    if (lfAt === -1) return -1;
    let quoteAt = this.#quoteAt;
    if (quoteAt !== -1 && quoteAt < pos) quoteAt = bytes.indexOf(QUOTE, pos);
    let breaks = 0;
    let j = pos;
    for (;;) {
      if (quoteAt === -1 || quoteAt > lfAt) {
        // No quote before this LF: it ends the record, with the CR before it when CRLF is a line break.
        const crBefore = lfAt > pos && bytes[lfAt - 1] === CR;
        if (this.#lf) {
          this.#wholeEnd = this.#crlf && crBefore ? lfAt - 1 : lfAt;
          break;
        }
        if (crBefore) {
          this.#wholeEnd = lfAt - 1;
          break;
        }
        // CRLF only: a lone LF is data.
        j = lfAt + 1;
        lfAt = bytes.indexOf(LF, j);
        if (lfAt === -1) break;
        continue;
      }
      if (quoteAt === pos || bytes[quoteAt - 1] === delimiter) {
        // An opening quote: find its closing one (a doubled quote is data), counting the line feeds on the way.
        let k = quoteAt + 1;
        let close = -1;
        for (;;) {
          const q = bytes.indexOf(QUOTE, k);
          if (q === -1 || q + 1 >= n) {
            lfAt = -1;
            break;
          }
          if (bytes[q + 1] === QUOTE) {
            k = q + 2;
            continue;
          }
          close = q;
          break;
        }
        if (lfAt === -1) break;
        while (lfAt !== -1 && lfAt < close) {
          breaks++;
          lfAt = bytes.indexOf(LF, lfAt + 1);
        }
        if (lfAt === -1) break;
        j = close + 1;
      } else j = quoteAt + 1; // a quote inside an unquoted value (or after a closing quote) is data
      quoteAt = bytes.indexOf(QUOTE, j);
    }
    if (lfAt === -1) {
      this.#quoteAt = -2;
      return -1;
    }
    this.#quoteAt = quoteAt;
    this.#wholeBreaks = breaks;
    return lfAt + 1;
  }

  /** Matches a byte-order mark at the very start; returns where scanning goes on in `bytes`. */
  #skipBom(bytes: Uint8Array): number {
    let i = 0;
    while (this.#bom < 3 && i < bytes.length) {
      if (bytes[i] !== BOM[this.#bom]) {
        this.#unmatchedBom();
        return i;
      }
      this.#bom++;
      i++;
    }
    return i;
  }

  /** The bytes matched as the start of a byte-order mark were data: the first record starts at 0 with them. */
  #unmatchedBom(): void {
    if (this.#bom > 0 && this.#bom < 3) {
      this.#start = 0;
      this.#breaks = 0;
      this.#state = UNQUOTED; // a byte of 128 or more begins an unquoted value
    }
    this.#bom = 3;
  }

  /** Says no more bytes come: the last record ends at the end; returns how many records it handed to `sink`. */
  end(sink: RecordEndSink): number {
    if (this.#ended) return 0;
    this.#ended = true;
    if (this.#bom < 3) this.#unmatchedBom();
    const state = this.#state;
    this.#state = START;
    if (state === START) return 0;
    if (state === START_CR) {
      this.#line++; // a CR alone at the very end: an empty line with its line break cut off
      return 0;
    }
    if (state === QUOTED) {
      const line = this.#line;
      throw new CsvSyntaxError(
        'CSV_UNCLOSED_QUOTE',
        `Unclosed quote in the record starting on line ${line}`,
        line,
        this.#start,
      );
    }
    // A CR at the very end is the last line's line break, cut off.
    sink(this.#start, state === RECORD_CR ? this.#cr : this.#offset, this.#line);
    this.#line += this.#breaks + 1;
    return 1;
  }
}
