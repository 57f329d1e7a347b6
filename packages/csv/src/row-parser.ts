/**
 * The row parser of every kicksaw package that reads CSV (`readCsv` here, Bulk API results in `@kicksaw/sf-bulk`,
 * uploads in `@kicksaw/sf-emulator`). Hand-written rather than csv-parse because it is several times faster on
 * the same input (csv-parse walks every byte through a state machine and copies each field into a buffer of its
 * own; this walks a string with `charCodeAt` and slices the fields out; figures in the README), because
 * csv-parse's streaming parser can only be driven synchronously through an undocumented member (`Parser#api`),
 * and because the callers need what csv-parse does not give: the physical line where a record starts, the
 * offsets of its text (to resume a file mid-way or to parse one record again), and a lenient mode for the text
 * Salesforce writes.
 *
 * Why one file of about 450 lines, with `parse` at about 150: it is the hot loop of every CSV read (one pass per
 * character), one state machine whose states share the position, record and line locals. Split into functions
 * per state it would add calls, and a hand-over of those locals, per field in the loop the README's benchmark
 * times; the helpers that run once per record or per error (`#breakAt`, `#valueEnd`, `#error`) are apart.
 */

import { InputError } from '@kicksaw/core';

/** A line break a file may use: LF, CRLF, or CR (classic Mac). */
export type LineBreak = '\n' | '\r\n' | '\r';

/** Options of {@link RowParser}. */
export interface RowParserOptions {
  /** The field delimiter, one character other than a quote or a line break. Default `,`. */
  delimiter?: string;
  /**
   * The line breaks that end a record. Default `['\r\n', '\n']` (CRLF, and a lone LF as well). `['\r\n']` makes a
   * lone LF data; `['\n']` makes a CR before an LF data; `['\r']` reads classic-Mac files.
   */
  lineBreaks?: readonly LineBreak[];
  /**
   * `false` (default): text after a closing quote is kept as part of the value (`"ab"c` reads `abc`) and a quote
   * inside an unquoted value is data, as Salesforce's own readers do. `true`: both are a {@link CsvSyntaxError}
   * (`CSV_INVALID_QUOTE`), which is how a broken file shows itself.
   */
  strict?: boolean;
  /**
   * Largest record, in characters (UTF-16 code units) of its text, line break excluded; a larger one, complete
   * or not, is a {@link CsvSyntaxError} (`CSV_RECORD_TOO_LARGE`) as soon as it is seen, so the memory a broken
   * file can take is bounded. Default none.
   */
  maxRecordLength?: number;
  /** Drop a byte-order mark (U+FEFF) at the very start of the text. Default `true`. */
  bom?: boolean;
  /** The line number of the first line of the text. Default 1. */
  firstLine?: number;
}

/**
 * Receives each record: its fields, the 1-based physical line where it starts, and the offsets of its text
 * counted from the start of all text pushed (after a dropped byte-order mark): `start` of its first character,
 * `end` just past its last field, `next` just past its line break (where the next record or empty line starts).
 */
export type RecordSink = (fields: string[], line: number, start: number, end: number, next: number) => void;

/** The codes of {@link CsvSyntaxError}. */
export type CsvSyntaxCode = 'CSV_UNCLOSED_QUOTE' | 'CSV_INVALID_QUOTE' | 'CSV_RECORD_TOO_LARGE';

/**
 * CSV text that cannot be parsed: a quote never closed before the end (`CSV_UNCLOSED_QUOTE`), in strict mode
 * a quote in the wrong place (`CSV_INVALID_QUOTE`), or a record over `maxRecordLength` (`CSV_RECORD_TOO_LARGE`).
 * `line` is the line where the record starts and `start` its offset, as a {@link RecordSink} counts them.
 *
 * @example
 * ```ts
 * import { CsvSyntaxError, parseRows } from '@kicksaw/csv';
 *
 * try {
 *   parseRows('a,b\n1,"open\n');
 * } catch (error) {
 *   if (error instanceof CsvSyntaxError) console.log(error.code, error.line); // CSV_UNCLOSED_QUOTE 2
 * }
 * ```
 */
export class CsvSyntaxError extends InputError {
  override readonly code: CsvSyntaxCode;
  /** The line where the broken record starts. */
  readonly line: number;
  /** The offset where the broken record starts. */
  readonly start: number;

  constructor(code: CsvSyntaxCode, message: string, line: number, start: number) {
    // The line is in the message already (and on `line`), not given again as the input location.
    super(message, { code });
    this.code = code;
    this.line = line;
    this.start = start;
  }
}

const QUOTE = 34;
const LF = 10;
const CR = 13;
const WAIT_QUOTE = 1;
const WAIT_BREAK = 2;

/**
 * A streaming CSV row parser over text: `push` text as it arrives (records may span pushes; a byte stream is
 * decoded first, e.g. with `StringDecoder`), `end()` after the last, and `parse(sink)` hands out every complete
 * record. Quoted values may hold delimiters, doubled quotes and line breaks; empty lines are skipped (and
 * counted as lines); a record of one quoted empty value (`""`) is a record of one empty field. Memory: the text
 * not parsed yet, which is one chunk plus the start of an unfinished record.
 *
 * @example
 * ```ts
 * import { RowParser } from '@kicksaw/csv';
 *
 * const parser = new RowParser({ delimiter: ';' });
 * const rows: string[][] = [];
 * for (const chunk of ['id;note\r\n1;"two\r\nlines"\r', '\n2;"say ""hi"""\r\n']) {
 *   parser.push(chunk);
 *   parser.parse((fields) => rows.push(fields));
 * }
 * parser.end();
 * parser.parse((fields) => rows.push(fields));
 * // rows: [['id', 'note'], ['1', 'two\r\nlines'], ['2', 'say "hi"']]
 * ```
 */
export class RowParser {
  /**
   * The text being parsed: an offset handed out is `offset` plus an index in it. Both change in `push` and at the
   * start of `parse` (text kept aside is joined then); they stay as they are during a {@link RecordSink} call and
   * until the next `push` or `parse`.
   */
  text = '';
  /** The offset (counted from the start of all text pushed) of `text[0]`. */
  offset = 0;
  /** The physical line where the next record (or empty line) starts; during a {@link RecordSink} call, the line after the record. */
  line: number;
  #position = 0;
  #ended = false;
  /** What the unfinished record at `#position` waits for: nothing known, a quote, or a line break. */
  #wait = 0;
  /** Text pushed while waiting, not joined yet. */
  #pending: string[] = [];
  #pendingLength = 0;
  #bom: boolean;
  readonly #delimiter: number;
  readonly #lf: boolean;
  readonly #crlf: boolean;
  readonly #cr: boolean;
  /** What counts a physical line inside a quoted value: LF, or CR in a file of CR line breaks only. */
  readonly #lineChar: string;
  readonly #strict: boolean;
  readonly #maxRecordLength: number;

  constructor(options: RowParserOptions = {}) {
    const delimiter = options.delimiter ?? ',';
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
      throw new TypeError(`delimiter must be one character other than a quote or a line break, got ${delimiter}`);
    }
    const breaks = options.lineBreaks ?? ['\r\n', '\n'];
    if (breaks.length === 0 || breaks.some((b) => b !== '\n' && b !== '\r\n' && b !== '\r')) {
      throw new TypeError(`lineBreaks must list '\\n', '\\r\\n' or '\\r', got ${JSON.stringify(breaks)}`);
    }
    this.#delimiter = delimiter.charCodeAt(0);
    this.#lf = breaks.includes('\n');
    this.#crlf = breaks.includes('\r\n');
    this.#cr = breaks.includes('\r');
    this.#lineChar = this.#cr && !this.#lf && !this.#crlf ? '\r' : '\n';
    this.#strict = options.strict === true;
    this.#maxRecordLength = options.maxRecordLength ?? Number.POSITIVE_INFINITY;
    this.#bom = options.bom !== false;
    this.line = options.firstLine ?? 1;
  }

  /** Adds text after what was pushed before. */
  push(chunk: string): void {
    if (this.#ended) throw new Error('RowParser: push after end()');
    let text = chunk;
    if (this.#bom && text.length > 0) {
      this.#bom = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.#wait !== 0) {
      // An unfinished record cannot end in text without a quote (inside a quoted value) or without a line break
      // (in an unquoted value): keep such text aside instead of parsing the record again from its start, so a
      // huge record costs its length once, not once per chunk.
      const can =
        this.#wait === WAIT_QUOTE ? text.indexOf('"') !== -1 : text.indexOf('\n') !== -1 || text.indexOf('\r') !== -1;
      if (!can) {
        this.#pending.push(text);
        this.#pendingLength += text.length;
        return;
      }
      this.#wait = 0;
    }
    this.#join(text);
  }

  /** Makes `text` the text not parsed yet, the text kept aside and `more`. */
  #join(more: string): void {
    let text = more;
    if (this.#pending.length > 0) {
      text = this.#pending.join('') + more;
      this.#pending = [];
      this.#pendingLength = 0;
    }
    if (this.#position >= this.text.length) {
      this.offset += this.text.length;
      this.text = text;
    } else {
      this.offset += this.#position;
      this.text = this.#position === 0 ? this.text + text : this.text.slice(this.#position) + text;
    }
    this.#position = 0;
  }

  /** Says no more text comes: the last record ends at the end of the text. */
  end(): void {
    this.#ended = true;
  }

  /** True once `end()` was called. */
  get ended(): boolean {
    return this.#ended;
  }

  /** True once `end()` was called and every record was handed out. */
  get done(): boolean {
    return this.#ended && this.#position >= this.text.length;
  }

  /**
   * Hands every complete record of the text pushed so far to `sink` (at most `max`), in order; returns how many.
   * A record cut by the end of the text waits for the next `push` (or `end()`). Throws a {@link CsvSyntaxError}
   * for broken text; the records before it were handed out, and the parser should not be used any more.
   * One loop kept whole on purpose: it is the hot path of every CSV read, its state held in locals across
   * records (position, quote state, field start), which calls per field would have to pass back and forth.
   */
  parse(sink: RecordSink, max = Number.POSITIVE_INFINITY): number {
    if (this.#pendingLength > 0) {
      if (!this.#ended) {
        if (this.text.length - this.#position + this.#pendingLength > this.#maxRecordLength) {
          this.#join('');
          throw this.#error('CSV_RECORD_TOO_LARGE', this.#position, this.line);
        }
        return 0;
      }
      this.#join('');
    }
    this.#wait = 0;
    const s = this.text;
    const n = s.length;
    const final = this.#ended;
    const delimiter = this.#delimiter;
    const lf = this.#lf;
    const crlf = this.#crlf;
    const cr = this.#cr;
    const strict = this.#strict;
    let pos = this.#position;
    let line = this.line;
    let count = 0;
    records: while (count < max && pos < n) {
      // Empty lines.
      const first = s.charCodeAt(pos);
      if (first === LF || first === CR) {
        const width = this.#breakAt(s, pos, first, final);
        if (width === -1) break;
        if (width > 0) {
          pos += width;
          line++;
          continue;
        }
      }
      const fields: string[] = [];
      let i = pos;
      let breaks = 0;
      for (;;) {
        let value: string;
        let c = i < n ? s.charCodeAt(i) : -1;
        if (c === QUOTE) {
          let j = i + 1;
          let parts: string | undefined;
          let segment = j;
          let close: number;
          for (;;) {
            const q = s.indexOf('"', j);
            if (q === -1) {
              if (final) throw this.#error('CSV_UNCLOSED_QUOTE', pos, line);
              this.#checkSize(pos, n, line);
              this.#wait = WAIT_QUOTE;
              break records;
            }
            if (q + 1 >= n && !final) {
              this.#checkSize(pos, n, line);
              break records;
            }
            if (s.charCodeAt(q + 1) === QUOTE) {
              parts = parts === undefined ? s.slice(segment, q + 1) : parts + s.slice(segment, q + 1);
              j = q + 2;
              segment = j;
              continue;
            }
            close = q;
            break;
          }
          const last = s.slice(segment, close);
          value = parts === undefined ? last : parts + last;
          if (value.length > 0) breaks += countOf(value, this.#lineChar);
          i = close + 1;
          c = i < n ? s.charCodeAt(i) : -1;
          if (c !== -1 && c !== delimiter && !(c === LF && lf) && c !== CR) {
            if (strict) throw this.#error('CSV_INVALID_QUOTE', pos, line, 'closing');
            const k = this.#valueEnd(s, i, n, pos, line);
            value += s.slice(i, k);
            i = k;
            c = i < n ? s.charCodeAt(i) : -1;
          } else if (c === CR && !cr) {
            // A CR after a closing quote must start the CRLF line break (unless CR ends lines by itself).
            if (crlf && i + 1 >= n && !final) {
              this.#checkSize(pos, n, line);
              break records;
            }
            const crlfHere = crlf && (i + 1 >= n || s.charCodeAt(i + 1) === LF);
            if (!crlfHere) {
              if (strict) throw this.#error('CSV_INVALID_QUOTE', pos, line, 'closing');
              const k = this.#valueEnd(s, i, n, pos, line);
              value += s.slice(i, k);
              i = k;
              c = i < n ? s.charCodeAt(i) : -1;
            }
          }
        } else {
          const k = this.#valueEnd(s, i, n, pos, line);
          value = s.slice(i, k);
          i = k;
          c = i < n ? s.charCodeAt(i) : -1;
        }
        if (c === -1) {
          // The text ends after this value.
          if (!final) {
            this.#checkSize(pos, n, line);
            this.#wait = WAIT_BREAK;
            break records;
          }
          fields.push(value);
          this.#checkSize(pos, n, line);
          const at = line;
          line += breaks + 1;
          this.line = line;
          sink(fields, at, this.offset + pos, this.offset + n, this.offset + n);
          pos = n;
          count++;
          continue records;
        }
        fields.push(value);
        if (c === delimiter) {
          i++;
          continue;
        }
        // A line break (valueEnd stops only at the delimiter or a line break).
        const width = this.#breakAt(s, i, c, final);
        if (width === -1) {
          this.#checkSize(pos, n, line);
          break records;
        }
        this.#checkSize(pos, i, line);
        const at = line;
        line += breaks + 1;
        this.line = line;
        sink(fields, at, this.offset + pos, this.offset + i, this.offset + i + width);
        pos = i + width;
        count++;
        continue records;
      }
    }
    this.#position = pos;
    this.line = line;
    return count;
  }

  /**
   * The width of the line break at `at` (whose char code is `c`, LF or CR): 1 or 2, 0 when it is data, -1 when
   * the text ends inside what may be a CRLF.
   */
  #breakAt(s: string, at: number, c: number, final: boolean): number {
    if (c === LF) return this.#lf ? 1 : 0;
    if (this.#crlf) {
      if (at + 1 >= s.length) {
        if (!final) return -1;
        return 1; // a CR alone at the very end: the cut-off line break of the last line
      }
      if (s.charCodeAt(at + 1) === LF) return 2;
    }
    return this.#cr ? 1 : 0;
  }

  /**
   * The end of an unquoted value (or of the text after a closing quote): the next delimiter or line break (a CR
   * that may start a CRLF cut by the end of the text included). In strict mode a quote on the way is an error.
   */
  #valueEnd(s: string, from: number, n: number, record: number, line: number): number {
    const delimiter = this.#delimiter;
    const lf = this.#lf;
    const crlf = this.#crlf;
    const cr = this.#cr;
    const strict = this.#strict;
    let k = from;
    for (; k < n; k++) {
      const c = s.charCodeAt(k);
      if (c === delimiter) return k;
      if (c === LF) {
        if (lf) return k;
      } else if (c === CR) {
        if (cr || (crlf && (k + 1 >= n || s.charCodeAt(k + 1) === LF))) return k;
      } else if (c === QUOTE && strict) {
        throw this.#error('CSV_INVALID_QUOTE', record, line, 'opening');
      }
    }
    return k;
  }

  /** Throws when the record text from `from` to `to` is over `maxRecordLength`. */
  #checkSize(from: number, to: number, line: number): void {
    if (to - from > this.#maxRecordLength) throw this.#error('CSV_RECORD_TOO_LARGE', from, line);
  }

  #error(code: CsvSyntaxCode, at: number, line: number, detail?: string): CsvSyntaxError {
    this.line = line;
    this.#position = at;
    let message: string;
    if (code === 'CSV_UNCLOSED_QUOTE') message = `Unclosed quote in the record starting on line ${line}`;
    else if (code === 'CSV_RECORD_TOO_LARGE')
      message = `The record starting on line ${line} is larger than maxRecordLength (${this.#maxRecordLength})`;
    else if (detail === 'closing')
      message = `A closing quote is followed by other characters in the record starting on line ${line}`;
    else message = `A quote appears inside an unquoted value in the record starting on line ${line}`;
    return new CsvSyntaxError(code, message, line, this.offset + at);
  }
}

function countOf(text: string, char: string): number {
  let count = 0;
  for (let i = text.indexOf(char); i !== -1; i = text.indexOf(char, i + 1)) count++;
  return count;
}

/**
 * Parses a whole CSV text into rows of fields (see {@link RowParser} for the rules and options). For a stream,
 * use {@link RowParser} or `readCsv`.
 *
 * @example
 * ```ts
 * import { parseRows } from '@kicksaw/csv';
 *
 * parseRows('Name,Note\r\nAcme,"a, b"\r\n'); // [['Name', 'Note'], ['Acme', 'a, b']]
 * parseRows('a|b\n1|2\n', { delimiter: '|' }); // [['a', 'b'], ['1', '2']]
 * ```
 */
export function parseRows(text: string, options: RowParserOptions = {}): string[][] {
  const parser = new RowParser(options);
  const rows: string[][] = [];
  parser.push(text);
  parser.end();
  parser.parse((fields) => rows.push(fields));
  return rows;
}
