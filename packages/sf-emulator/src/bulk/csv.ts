import { CsvSyntaxError, cellText, RecordScanner, RowEncoder, RowParser } from '@kicksaw/csv';

/** Bulk API 2.0 column delimiters by name. */
export const DELIMITERS: Record<string, string> = {
  BACKQUOTE: '`',
  CARET: '^',
  COMMA: ',',
  PIPE: '|',
  SEMICOLON: ';',
  TAB: '\t',
};

/**
 * Thrown for CSV that cannot be read (an unclosed quote at the end of the data): `@kicksaw/csv`'s error, whose
 * message names the line where the broken record starts.
 */
/** `@kicksaw/csv`'s first pass over CSV bytes: each record's offsets and line, without a string (ASCII uploads). */
export { CsvSyntaxError, RecordScanner };

/**
 * An incremental RFC 4180 parser over text chunks, `@kicksaw/csv`'s {@link RowParser} in its lenient mode (text
 * after a closing quote is kept, a quote inside an unquoted value is data) with the Bulk API's line endings: in
 * LF mode a `\r` right before the line feed is dropped (files written with CRLF still read); in CRLF mode only
 * CRLF ends a record and a lone LF is data. Empty lines are skipped; a line `""` is a record of one empty value.
 */
export class CsvParser {
  private readonly parser: RowParser;
  /** Line number (1-based) of the next record's first line. */
  line = 1;
  /** The text the last `feed` parsed (what its `spans` offsets point into). */
  text = '';

  /** `stripBom`: drop a byte order mark at the start of the data (false to parse a record out of its data). */
  constructor(delimiter: string, lineEnding: 'LF' | 'CRLF', stripBom = true) {
    this.parser = new RowParser({
      delimiter,
      lineBreaks: lineEnding === 'CRLF' ? ['\r\n'] : ['\r\n', '\n'],
      bom: stripBom,
    });
  }

  /**
   * Parses what it can of `text`; complete records are pushed to `out`. `final` flushes the last record.
   * With `spans`, each record pushed also pushes its start and end offsets in {@link CsvParser.text} (line
   * break excluded): parsing that slice alone gives the same values.
   */
  feed(text: string, out: string[][], final = false, spans?: number[]): void {
    const parser = this.parser;
    if (text.length > 0) parser.push(text);
    if (final) parser.end();
    parser.parse(
      spans === undefined
        ? (fields) => {
            out.push(fields);
          }
        : (fields, _line, start, end) => {
            out.push(fields);
            // The parser's text may have grown at the start of parse (text it kept aside): read its offset now.
            spans.push(start - parser.offset, end - parser.offset);
          },
    );
    this.text = parser.text;
    this.line = parser.line;
  }
}

/**
 * Parses one record again from the slice a {@link CsvParser} reported in its `spans`: the same values the
 * parser gave.
 */
export function parseRecord(text: string, delimiter: string, lineEnding: 'LF' | 'CRLF'): string[] {
  const out: string[][] = [];
  new CsvParser(delimiter, lineEnding, false).feed(text, out, true);
  return out[0] ?? [''];
}

/** Writes results CSV values: every value in double quotes, inner quotes doubled (`@kicksaw/csv`). */
const RESULTS = new RowEncoder({ quote: 'always' });

/** Quotes one value for a results CSV: always in double quotes, inner quotes doubled. */
export function quote(value: string): string {
  return RESULTS.quoted(value);
}

/** Formats a value read from the org for a Bulk query CSV (`@kicksaw/csv`'s `cellText`: null as empty). */
export function formatCsvValue(value: unknown): string {
  return cellText(value);
}

/** A seeded Fisher-Yates shuffle in place. */
export function shuffleInPlace<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
}

/** Writes the decimal digits of a non-negative integer below 2^53 at `at`; returns the position after them. */
function writeDigits(buffer: Buffer, at: number, value: number): number {
  let length = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) length++;
  let position = at + length;
  let rest = value;
  do {
    const next = Math.floor(rest / 10);
    buffer[--position] = 48 + rest - next * 10;
    rest = next;
  } while (rest !== 0);
  return at + length;
}

/**
 * Writes CSV bytes straight into fixed-size buffers: results pages of a million rows are encoded without a
 * string per line or per page (no concatenation, flattening and re-encoding, little garbage). Full buffers
 * wait in {@link CsvByteWriter.ready} for the caller to send. Every cell method reserves room for its value
 * plus two bytes, so the delimiter or line ending after it ({@link CsvByteWriter.byte},
 * {@link CsvByteWriter.eol}) needs no check. Hand-written because no CSV library writes into reused byte
 * buffers: they all make strings, `@kicksaw/csv`'s `RowEncoder` included. Its rules are that encoder's with
 * `quote: 'always'` ({@link quote}) and `cellText` ({@link formatCsvValue}): test/perf-query-csv.test.ts holds
 * every method to them, byte for byte.
 */
export class CsvByteWriter {
  /** Filled buffers, in order, waiting to be sent. */
  readonly ready: Buffer[] = [];
  private buffer: Buffer;
  private position = 0;
  private readonly chunkBytes: number;
  private readonly crlf: boolean;
  /** Bytes written so far (sent or not). */
  written = 0;

  constructor(lineEnding: 'LF' | 'CRLF', chunkBytes = 256 * 1024) {
    this.chunkBytes = chunkBytes;
    this.crlf = lineEnding === 'CRLF';
    this.buffer = Buffer.allocUnsafeSlow(chunkBytes);
  }

  /** Makes sure `bytes` more fit in the current buffer (a full one moves to `ready`). */
  private room(bytes: number): void {
    if (this.position + bytes <= this.buffer.length) return;
    this.flush();
    if (bytes > this.buffer.length) this.buffer = Buffer.allocUnsafeSlow(Math.max(this.chunkBytes, bytes));
  }

  /** Moves what the current buffer holds to `ready` and starts a new one. */
  flush(): void {
    if (this.position === 0) return;
    this.ready.push(this.buffer.subarray(0, this.position));
    this.written += this.position;
    this.buffer = Buffer.allocUnsafeSlow(this.chunkBytes);
    this.position = 0;
  }

  /** Bytes written, the current buffer's included. */
  size(): number {
    return this.written + this.position;
  }

  /** One ASCII byte (a delimiter), in the room the previous cell reserved. */
  byte(code: number): void {
    this.buffer[this.position++] = code;
  }

  /** The line ending, in the room the previous cell reserved. */
  eol(): void {
    if (this.crlf) this.buffer[this.position++] = 13;
    this.buffer[this.position++] = 10;
  }

  /** `""`: a null value. */
  empty(): void {
    this.room(4);
    const b = this.buffer;
    b[this.position++] = 34;
    b[this.position++] = 34;
  }

  /** `"text"` with inner quotes doubled, UTF-8. */
  quoted(text: string): void {
    const n = text.length;
    this.room(3 * n + 4);
    const b = this.buffer;
    let p = this.position;
    b[p++] = 34;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 128) {
        // Not ASCII: the rest through the UTF-8 encoder (3 bytes a UTF-16 unit at most, reserved above).
        const rest = text.slice(i);
        p += b.write(rest.indexOf('"') === -1 ? rest : rest.replace(/"/g, '""'), p, 'utf8');
        break;
      }
      if (c === 34) b[p++] = 34;
      b[p++] = c;
    }
    b[p++] = 34;
    this.position = p;
  }

  /**
   * A datetime as stored (`2024-05-01T10:00:00.000+0000`) written as Bulk CSV writes it
   * (`"2024-05-01T10:00:00.000Z"`): true when done, false (nothing written) for any other text.
   */
  dateTime(text: string): boolean {
    if (text.length !== 28 || text.charCodeAt(23) !== 43 /* + */ || !text.endsWith('+0000')) return false;
    this.room(30);
    const b = this.buffer;
    let p = this.position;
    b[p++] = 34;
    for (let i = 0; i < 23; i++) {
      const c = text.charCodeAt(i);
      if (c >= 128 || c === 34) return false;
      b[p++] = c;
    }
    b[p++] = 90; // Z
    b[p++] = 34;
    this.position = p;
    return true;
  }

  /**
   * A number or boolean, quoted, exactly as `String(value)` writes it. Integers and numbers with at most two
   * decimals (most amounts) are written digit by digit: `String()` of a double costs several times more.
   */
  scalar(value: number | boolean): void {
    if (value === true) {
      this.ascii('"true"');
      return;
    }
    if (value === false) {
      this.ascii('"false"');
      return;
    }
    // Below 1e12 two-decimal values are at least 0.01 apart, far more than a double's spacing: when k / 100 is the
    // value, the shortest text that reads back as it (what String() writes) is k's digits with the point put back.
    const hundredths = Math.round(value * 100);
    if (hundredths / 100 === value && hundredths < 1e14 && hundredths > -1e14) {
      this.room(24);
      const b = this.buffer;
      let p = this.position;
      b[p++] = 34;
      let magnitude = hundredths;
      if (magnitude < 0) {
        b[p++] = 45; // -
        magnitude = -magnitude;
      }
      const whole = Math.floor(magnitude / 100);
      const fraction = magnitude - whole * 100;
      p = writeDigits(b, p, whole);
      if (fraction !== 0) {
        b[p++] = 46; // .
        const tens = Math.floor(fraction / 10);
        b[p++] = 48 + tens;
        if (fraction !== tens * 10) b[p++] = 48 + fraction - tens * 10;
      }
      b[p++] = 34;
      this.position = p;
      return;
    }
    const text = String(value);
    this.room(text.length + 4);
    const b = this.buffer;
    let p = this.position;
    b[p++] = 34;
    for (let i = 0; i < text.length; i++) b[p++] = text.charCodeAt(i);
    b[p++] = 34;
    this.position = p;
  }

  /** Any other value: {@link formatCsvValue}, quoted. */
  value(value: unknown): void {
    if (value === null || value === undefined) this.empty();
    else if (typeof value === 'string') this.quoted(value);
    else if (typeof value === 'number' || typeof value === 'boolean') this.scalar(value);
    else this.quoted(formatCsvValue(value));
  }

  /** Text known to be ASCII, as it is (no quoting). */
  ascii(text: string): void {
    this.room(text.length + 2);
    const b = this.buffer;
    let p = this.position;
    for (let i = 0; i < text.length; i++) b[p++] = text.charCodeAt(i);
    this.position = p;
  }

  /** Any text as it is, UTF-8 (no quoting). */
  text(text: string): void {
    this.room(3 * text.length + 2);
    this.position += this.buffer.write(text, this.position, 'utf8');
  }
}
