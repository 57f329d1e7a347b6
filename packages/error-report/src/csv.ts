/**
 * CSV cell and line encoding, written to match Python's `csv.writer` with its defaults
 * (`QUOTE_MINIMAL`, `"` doubled inside quotes, `\r\n` after every record), which is what the
 * error reports of the Python kicksaw-integration-utils were made with.
 *
 * We do not use csv-stringify's quoting here: with a `\r\n` record delimiter it leaves a lone `\n`
 * or `\r` inside a value unquoted (adaltas/node-csv#467), which breaks the row apart for readers.
 */

/** The characters OWASP lists as starting a spreadsheet formula (CSV injection). */
const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r']);

/**
 * Neutralizes a cell that a spreadsheet would read as a formula, by prefixing a single quote
 * (OWASP "CSV Injection" advice). Other values are returned unchanged.
 *
 * @example
 * ```ts
 * neutralizeFormula('=HYPERLINK("http://x")'); // "'=HYPERLINK(\"http://x\")"
 * neutralizeFormula('plain'); // 'plain'
 * neutralizeFormula('-42.5'); // '-42.5' (a plain number is left alone)
 * ```
 */
export function neutralizeFormula(value: string): string {
  const first = value[0];
  if (first === undefined || !FORMULA_START.has(first)) return value;
  // A plain signed number (`-5`, `+1.5e3`) is data, not a formula: a spreadsheet reads it as a number.
  if (PLAIN_NUMBER.test(value)) return value;
  return `'${value}`;
}

const PLAIN_NUMBER = /^[+-](?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Turns any value into the text of one cell: strings as they are, numbers and booleans with
 * `String()`, `null`/`undefined` as empty, dates as ISO 8601, anything else as JSON.
 *
 * @example
 * ```ts
 * cellText(null); // ''
 * cellText(true); // 'true'
 * cellText({ a: 1 }); // '{"a":1}'
 * ```
 */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString();
  return JSON.stringify(value) ?? '';
}

/**
 * How cells and lines are written.
 *
 * @example
 * ```ts
 * const format: CsvFormat = { delimiter: ',', lineEnding: '\r\n', neutralizeFormulas: true };
 * ```
 */
export interface CsvFormat {
  /** Field delimiter, one character. Default `,`. */
  delimiter: string;
  /** Record terminator. Default `\r\n` (Python's csv module and RFC 4180). */
  lineEnding: string;
  /** Prefix formula-like string cells with `'`. Default `true`. */
  neutralizeFormulas: boolean;
}

/**
 * Encodes one cell: quoted (with `"` doubled) only when it holds the delimiter, a quote, `\r` or `\n`.
 * Formula neutralization applies to string values only (a number such as `-5` is not a formula).
 *
 * @example
 * ```ts
 * encodeCell('say "hi", then go', format); // '"say ""hi"", then go"'
 * encodeCell('=1+1', format); // "'=1+1"
 * ```
 */
export function encodeCell(value: unknown, format: CsvFormat): string {
  let text: string;
  if (typeof value === 'string') {
    text = format.neutralizeFormulas ? neutralizeFormula(value) : value;
  } else {
    text = cellText(value);
  }
  if (quoteTrigger(format.delimiter).test(text)) return `"${text.replaceAll('"', '""')}"`;
  return text;
}

const QUOTE_TRIGGERS = new Map<string, RegExp>();

/** A regular expression matching what makes a cell need quotes: the delimiter, `"`, CR or LF. */
function quoteTrigger(delimiter: string): RegExp {
  let pattern = QUOTE_TRIGGERS.get(delimiter);
  if (pattern === undefined) {
    pattern = new RegExp(`[${delimiter.replace(/[\\\]^-]/g, '\\$&')}"\r\n]`);
    QUOTE_TRIGGERS.set(delimiter, pattern);
  }
  return pattern;
}

/**
 * Encodes one record (a line with its terminator). Like Python's csv module, a record made of a
 * single empty cell is written as `""` so that it is not mistaken for a blank line.
 *
 * @example
 * ```ts
 * encodeLine(['Contact', 'line\nbreak', 42, null], format); // 'Contact,"line\nbreak",42,\r\n'
 * ```
 */
export function encodeLine(cells: readonly unknown[], format: CsvFormat): string {
  if (cells.length === 1 && cellText(cells[0]) === '') return `""${format.lineEnding}`;
  let line = '';
  for (let index = 0; index < cells.length; index++) {
    if (index > 0) line += format.delimiter;
    line += encodeCell(cells[index], format);
  }
  return line + format.lineEnding;
}
