import { cellText as anyCellText, neutralizeFormula as neutralize, RowEncoder } from '@kicksaw/csv';

/**
 * The report's CSV rules, written by `@kicksaw/csv`'s `RowEncoder`: Python's `csv.writer` with its defaults
 * (`QUOTE_MINIMAL`, `"` doubled inside quotes, `\r\n` after every record, a record of one empty cell as `""`),
 * which is what the error reports of the Python kicksaw-integration-utils were made with; `null` is empty; string
 * cells that a spreadsheet would run as formulas are neutralized unless told otherwise. The functions below are
 * kept for callers of this package; they delegate to `@kicksaw/csv`.
 */

/**
 * Neutralizes a cell that a spreadsheet would read as a formula, by prefixing a single quote
 * (OWASP "CSV Injection" advice). Other values are returned unchanged. The same as `@kicksaw/csv`'s.
 *
 * @example
 * ```ts
 * neutralizeFormula('=HYPERLINK("http://x")'); // "'=HYPERLINK(\"http://x\")"
 * neutralizeFormula('plain'); // 'plain'
 * neutralizeFormula('-42.5'); // '-42.5' (a plain number is left alone)
 * ```
 */
export function neutralizeFormula(value: string): string {
  return neutralize(value);
}

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
  return anyCellText(value);
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

const ENCODERS = new WeakMap<CsvFormat, { key: string; encoder: RowEncoder }>();

/** The `RowEncoder` of a format (kept per format object, built again if the object was changed). */
export function encoderOf(format: CsvFormat): RowEncoder {
  const key = `${format.delimiter}\u0000${format.lineEnding}\u0000${format.neutralizeFormulas}`;
  const known = ENCODERS.get(format);
  if (known !== undefined && known.key === key) return known.encoder;
  const encoder = new RowEncoder({
    delimiter: format.delimiter,
    lineEnding: format.lineEnding as '\n' | '\r\n',
    neutralizeFormulas: format.neutralizeFormulas,
  });
  ENCODERS.set(format, { key, encoder });
  return encoder;
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
  return encoderOf(format).cell(value);
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
  return encoderOf(format).encode(cells);
}
