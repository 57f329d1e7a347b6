/** Bulk API 2.0 column delimiters by name. */
export const DELIMITERS: Record<string, string> = {
  BACKQUOTE: '`',
  CARET: '^',
  COMMA: ',',
  PIPE: '|',
  SEMICOLON: ';',
  TAB: '\t',
};

/** Thrown for CSV that cannot be read (an unclosed quote at the end of the data). */
export class CsvSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvSyntaxError';
  }
}

/**
 * An incremental RFC 4180 parser over text chunks: quoted values may hold delimiters, quotes and line
 * breaks. Records split across chunks are parsed again from their start when the next chunk arrives.
 * In LF mode a `\r` right before the line feed is dropped (files written with CRLF still read).
 */
export class CsvParser {
  private rest = '';
  private readonly delimiter: string;
  private readonly crlf: boolean;
  private first: boolean;
  /** Line number (1-based) of the next record's first line. */
  line = 1;
  /** The text the last `feed` parsed (what its `spans` offsets point into). */
  text = '';

  /** `stripBom`: drop a byte order mark at the start of the data (false to parse a record out of its data). */
  constructor(delimiter: string, lineEnding: 'LF' | 'CRLF', stripBom = true) {
    this.delimiter = delimiter;
    this.crlf = lineEnding === 'CRLF';
    this.first = stripBom;
  }

  /**
   * Parses what it can of `text`; complete records are pushed to `out`. `final` flushes the last record.
   * With `spans`, each record pushed also pushes its start and end offsets in {@link CsvParser.text} (line
   * break excluded): parsing that slice alone gives the same values.
   */
  feed(text: string, out: string[][], final = false, spans?: number[]): void {
    let s = this.rest.length > 0 ? this.rest + text : text;
    if (this.first && s.length > 0) {
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
      this.first = false;
    }
    this.text = s;
    const n = s.length;
    const delim = this.delimiter;
    const crlf = this.crlf;
    let i = 0;
    let nextDelim = -2;
    let nextNl = -2;
    let recordStart = 0;
    let fields: string[] = [];
    let lines = 0;
    outer: while (true) {
      if (i >= n) {
        if (fields.length > 0) {
          // Data ended right after a delimiter: an empty last field.
          if (!final) break;
          fields.push('');
          out.push(fields);
          spans?.push(recordStart, n);
          fields = [];
        }
        recordStart = n;
        break;
      }
      let value: string;
      let end: number; // index of the char after the value (delimiter, line break or n)
      if (s.charCodeAt(i) === 34 /* " */) {
        let j = i + 1;
        let parts: string[] | undefined;
        let segmentStart = j;
        while (true) {
          const q = s.indexOf('"', j);
          if (q === -1) {
            if (!final) break outer;
            throw new CsvSyntaxError(`Unclosed quote in the record starting on line ${this.line + lines}`);
          }
          if (q + 1 < n && s.charCodeAt(q + 1) === 34) {
            if (!parts) parts = [];
            parts.push(s.slice(segmentStart, q + 1));
            j = q + 2;
            segmentStart = j;
            continue;
          }
          if (q + 1 >= n && !final) break outer;
          const last = s.slice(segmentStart, q);
          value = parts ? parts.join('') + last : last;
          end = q + 1;
          break;
        }
        // Lenient: characters after the closing quote up to the delimiter or line break are kept.
        if (end < n && s[end] !== delim && s.charCodeAt(end) !== 10 && s.charCodeAt(end) !== 13) {
          let k = end;
          while (k < n && s[k] !== delim && s.charCodeAt(k) !== 10) k++;
          if (k >= n && !final) break;
          let tail = s.slice(end, k);
          if (tail.endsWith('\r') && k < n) tail = tail.slice(0, -1);
          value += tail;
          end = tail.length + end;
        }
        for (let k = i; k < end; k++) if (s.charCodeAt(k) === 10) lines++;
      } else {
        if (nextDelim !== -1 && nextDelim < i) nextDelim = s.indexOf(delim, i);
        if (nextNl !== -1 && nextNl < i) nextNl = s.indexOf('\n', i);
        if (crlf) {
          // In CRLF mode only \r\n ends a record; a lone \n is data.
          while (nextNl !== -1 && (nextNl === 0 || s.charCodeAt(nextNl - 1) !== 13)) {
            nextNl = s.indexOf('\n', nextNl + 1);
          }
        }
        let stop: number;
        if (nextDelim !== -1 && (nextNl === -1 || nextDelim < nextNl)) stop = nextDelim;
        else if (nextNl !== -1) stop = nextNl;
        else {
          if (!final) break;
          stop = n;
        }
        end = stop;
        if (stop === nextNl && stop > i && s.charCodeAt(stop - 1) === 13) {
          value = s.slice(i, stop - 1);
          end = stop - 1;
        } else if (stop === nextNl && stop === i) {
          value = '';
        } else {
          value = s.slice(i, stop);
        }
        if (crlf && stop === n && value.endsWith('\r')) value = value.slice(0, -1);
      }
      fields.push(value);
      // What follows the value?
      if (end >= n) {
        if (!final) break;
        out.push(fields);
        spans?.push(recordStart, n);
        fields = [];
        recordStart = n;
        i = n;
        continue;
      }
      const c = s.charCodeAt(end);
      if (s[end] === delim) {
        i = end + 1;
        continue;
      }
      // A line break: \r\n or \n (or a lone \r before the end of data).
      let next = end;
      if (c === 13) {
        if (end + 1 >= n) {
          if (!final) break;
          next = end + 1;
        } else if (s.charCodeAt(end + 1) === 10) {
          next = end + 2;
        } else {
          next = end + 1;
        }
      } else {
        next = end + 1;
      }
      lines++;
      if (!(fields.length === 1 && fields[0] === '')) {
        out.push(fields);
        spans?.push(recordStart, end);
      }
      fields = [];
      i = next;
      recordStart = next;
      this.line += lines;
      lines = 0;
    }
    this.rest = recordStart < n ? s.slice(recordStart) : '';
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

/** Quotes one value for a results CSV: always in double quotes, inner quotes doubled. */
export function quote(value: string): string {
  return value.indexOf('"') === -1 ? `"${value}"` : `"${value.replace(/"/g, '""')}"`;
}

/** Formats a value read from the org for a Bulk query CSV. */
export function formatCsvValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
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
 * buffers: they all make strings.
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
