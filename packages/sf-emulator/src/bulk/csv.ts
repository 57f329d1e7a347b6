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
