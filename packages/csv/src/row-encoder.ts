/**
 * The row encoder of every kicksaw package that writes CSV (Bulk API upload parts in `@kicksaw/sf-bulk`, error
 * reports in `@kicksaw/error-report`, results in `@kicksaw/sf-emulator`). Hand-written rather than
 * csv-stringify because a row is one string concatenation here, with no stream, no options object and no
 * callback per row (csv-stringify's synchronous per-row call, `Stringifier#api`, is undocumented); the rules it
 * follows are csv-stringify's with `quote_record_delimiter: true` (a test compares the two), plus the options
 * below. Figures in the README.
 */

/**
 * When a value is quoted: `'minimal'` when it holds the delimiter, a quote, CR or LF (RFC 4180); `'edge-spaces'`
 * also when it starts or ends with white space (Salesforce's Bulk API trims unquoted values); `'always'` every
 * value, the empty ones included; `'strings'` every string value, the empty string included, and other values
 * as `'minimal'` does, so that an empty string (`""`) stays apart from `null` (empty, unquoted): what database
 * bulk loaders read with `NULL ''` (DuckDB and PostgreSQL `COPY`, Snowflake `EMPTY_FIELD_AS_NULL`).
 */
export type QuoteRule = 'minimal' | 'edge-spaces' | 'always' | 'strings';

/**
 * How {@link encodeRow} and {@link RowEncoder} write a row.
 *
 * @example
 * ```ts
 * import type { RowFormat } from '@kicksaw/csv';
 *
 * const bulkUpload: RowFormat = { nullAs: '#N/A', quote: 'edge-spaces' };
 * const spreadsheet: RowFormat = { lineEnding: '\r\n', neutralizeFormulas: true };
 * ```
 */
export interface RowFormat {
  /** The field delimiter, one character other than a quote or a line break. Default `,`. */
  delimiter?: string;
  /** What ends every row. Default `'\n'`. */
  lineEnding?: '\n' | '\r\n';
  /** When a value is quoted. Default `'minimal'`. */
  quote?: QuoteRule;
  /**
   * What `null` is written as. Default `''` (empty, as `undefined`). Salesforce's Bulk API reads `#N/A` as "set
   * the field to null" and an empty value as "leave it as it is".
   */
  nullAs?: string;
  /**
   * Prefix a string value that a spreadsheet would run as a formula with `'` (see {@link neutralizeFormula}).
   * Default `false`.
   */
  neutralizeFormulas?: boolean;
  /**
   * The text of a `Date`. Default ISO 8601 ({@link cellText}); a database load may want its own timestamp form,
   * e.g. `YYYY-MM-DD HH:MM:SS.sss` in UTC.
   */
  dateText?: (date: Date) => string;
}

/**
 * The text of one value: a string as it is, `null` as `nullAs`, `undefined` as empty, numbers, bigints and
 * booleans as `String()` writes them, a `Date` as ISO 8601 (an invalid one as empty), anything else as JSON.
 *
 * @example
 * ```ts
 * import { cellText } from '@kicksaw/csv';
 *
 * cellText(null); // ''
 * cellText(null, '#N/A'); // '#N/A'
 * cellText(true); // 'true'
 * cellText({ a: 1 }); // '{"a":1}'
 * ```
 */
export function cellText(value: unknown, nullAs = ''): string {
  if (typeof value === 'string') return value;
  if (value === null) return nullAs;
  if (value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString();
  return JSON.stringify(value) ?? '';
}

/** The characters OWASP lists as starting a spreadsheet formula (CSV injection). */
const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r']);
const PLAIN_NUMBER = /^[+-](?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Neutralizes a value that a spreadsheet would read as a formula, by prefixing a single quote (OWASP "CSV
 * Injection" advice). A plain signed number (`-5`, `+1.5e3`) is data, not a formula, and is left alone.
 *
 * @example
 * ```ts
 * import { neutralizeFormula } from '@kicksaw/csv';
 *
 * neutralizeFormula('=HYPERLINK("http://x")'); // "'=HYPERLINK(\"http://x\")"
 * neutralizeFormula('plain'); // 'plain'
 * neutralizeFormula('-42.5'); // '-42.5'
 * ```
 */
export function neutralizeFormula(value: string): string {
  const first = value[0];
  if (first === undefined || !FORMULA_START.has(first)) return value;
  if (PLAIN_NUMBER.test(value)) return value;
  return `'${value}`;
}

const QUOTE = 34;
const LF = 10;
const CR = 13;

/**
 * Whether a UTF-16 code unit is white space as the regular expression class `\s` has it: what the
 * `'edge-spaces'` quote rule looks for at either end of a value.
 *
 * @example
 * ```ts
 * import { isWhiteSpace } from '@kicksaw/csv';
 *
 * isWhiteSpace(' '.charCodeAt(0)); // true
 * isWhiteSpace(0xa0); // true (no-break space)
 * isWhiteSpace('a'.charCodeAt(0)); // false
 * ```
 */
export function isWhiteSpace(ch: number): boolean {
  if (ch <= 32) return ch === 32 || (ch >= 9 && ch <= 13);
  if (ch < 160) return false;
  return (
    ch === 160 ||
    ch === 5760 ||
    (ch >= 8192 && ch <= 8202) ||
    ch === 8232 ||
    ch === 8233 ||
    ch === 8239 ||
    ch === 8287 ||
    ch === 12288 ||
    ch === 65279
  );
}

/**
 * Writes rows of one format: build it once, then call {@link RowEncoder.encode} per row (the options are
 * checked and resolved once, which is what a hot loop wants). A row of one empty value is written as `""`, so
 * that it is not read back as an empty line (which every reader skips), whatever the quote rule.
 *
 * @example
 * ```ts
 * import { RowEncoder } from '@kicksaw/csv';
 *
 * const encoder = new RowEncoder({ nullAs: '#N/A', quote: 'edge-spaces' });
 * encoder.encode(['Id', 'Name']); // 'Id,Name\n'
 * encoder.encode(['001', null]); // '001,#N/A\n'
 * encoder.encode([' padded', 'a "b", c']); // '" padded","a ""b"", c"\n'
 * ```
 */
export class RowEncoder {
  /** The delimiter. */
  readonly delimiter: string;
  /** The line ending. */
  readonly lineEnding: string;
  readonly #delimiterCode: number;
  readonly #quote: QuoteRule;
  readonly #nullAs: string;
  readonly #neutralize: boolean;
  readonly #dateText: ((date: Date) => string) | undefined;

  constructor(format: RowFormat = {}) {
    const delimiter = format.delimiter ?? ',';
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
      throw new TypeError(`delimiter must be one character other than a quote or a line break, got ${delimiter}`);
    }
    const lineEnding = format.lineEnding ?? '\n';
    if (lineEnding !== '\n' && lineEnding !== '\r\n') {
      throw new TypeError(`lineEnding must be '\\n' or '\\r\\n', got ${JSON.stringify(lineEnding)}`);
    }
    const quote = format.quote ?? 'minimal';
    if (quote !== 'minimal' && quote !== 'edge-spaces' && quote !== 'always' && quote !== 'strings') {
      throw new TypeError(`quote must be 'minimal', 'edge-spaces', 'always' or 'strings', got ${String(quote)}`);
    }
    this.delimiter = delimiter;
    this.lineEnding = lineEnding;
    this.#delimiterCode = delimiter.charCodeAt(0);
    this.#quote = quote;
    this.#nullAs = format.nullAs ?? '';
    this.#neutralize = format.neutralizeFormulas === true;
    this.#dateText = format.dateText;
  }

  /**
   * One row, line ending included. A row of one empty value is written `""` (see the class), except under the
   * `'strings'` rule, where `""` is an empty string and a lone `null` stays an empty line.
   */
  encode(cells: readonly unknown[]): string {
    const n = cells.length;
    if (n === 1) {
      const only = this.cell(cells[0]);
      return (only === '' && this.#quote !== 'strings' ? '""' : only) + this.lineEnding;
    }
    let line = n > 0 ? this.cell(cells[0]) : '';
    for (let i = 1; i < n; i++) line += this.delimiter + this.cell(cells[i]);
    return line + this.lineEnding;
  }

  /** One value as it goes between delimiters: its text ({@link cellText}), neutralized and quoted as the format says. */
  cell(value: unknown): string {
    if (typeof value === 'string') {
      const text = this.#neutralize ? neutralizeFormula(value) : value;
      if (this.#quote !== 'strings') return this.quoted(text);
      return text.indexOf('"') === -1 ? `"${text}"` : `"${text.replaceAll('"', '""')}"`;
    }
    const dateText = this.#dateText;
    return this.quoted(
      dateText !== undefined && value instanceof Date ? dateText(value) : cellText(value, this.#nullAs),
    );
  }

  /** Text quoted (with inner quotes doubled) if the format's quote rule says so; otherwise as it is. */
  quoted(text: string): string {
    const n = text.length;
    const rule = this.#quote;
    if (rule === 'always') return text.indexOf('"') === -1 ? `"${text}"` : `"${text.replaceAll('"', '""')}"`;
    if (n === 0) return text;
    // A character scan rather than a regular expression: this runs for every value written.
    const delimiter = this.#delimiterCode;
    let quote = rule === 'edge-spaces' && (isWhiteSpace(text.charCodeAt(0)) || isWhiteSpace(text.charCodeAt(n - 1)));
    let inner = false;
    for (let i = 0; !quote && i < n; i++) {
      const ch = text.charCodeAt(i);
      if (ch === QUOTE) {
        quote = true;
        inner = true;
      } else quote = ch === delimiter || ch === LF || ch === CR;
    }
    if (!quote) return text;
    if (!inner && text.indexOf('"') === -1) return `"${text}"`;
    return `"${text.replaceAll('"', '""')}"`;
  }
}

const ENCODERS = new Map<string, RowEncoder>();

/**
 * One CSV row (line ending included) from values of any type: see {@link RowFormat} for the options and
 * {@link cellText} for how a value becomes text. For many rows, build one {@link RowEncoder} instead.
 *
 * @example
 * ```ts
 * import { encodeRow } from '@kicksaw/csv';
 *
 * encodeRow(['Acme, Inc.', null, 42, true]); // '"Acme, Inc.",,42,true\n'
 * encodeRow(['x', null], { nullAs: '#N/A', delimiter: ';', lineEnding: '\r\n' }); // 'x;#N/A\r\n'
 * encodeRow(['=1+1'], { neutralizeFormulas: true }); // "'=1+1\n"
 * ```
 */
export function encodeRow(cells: readonly unknown[], format: RowFormat = {}): string {
  // A date formatter cannot be a cache key: such a format gets an encoder of its own each call.
  if (format.dateText !== undefined) return new RowEncoder(format).encode(cells);
  const key = `${format.delimiter ?? ','}\u0000${format.lineEnding ?? '\n'}\u0000${format.quote ?? 'minimal'}\u0000${
    format.neutralizeFormulas === true ? 1 : 0
  }\u0000${format.nullAs ?? ''}`;
  let encoder = ENCODERS.get(key);
  if (encoder === undefined) {
    encoder = new RowEncoder(format);
    if (ENCODERS.size < 64) ENCODERS.set(key, encoder);
  }
  return encoder.encode(cells);
}
