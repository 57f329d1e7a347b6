import { encodeRow } from '@kicksaw/csv';
import { describe, expect, it } from 'vitest';
import { type CsvFormat, cellText, encodeCell, encodeLine, neutralizeFormula } from '../src/index.js';

const format: CsvFormat = { delimiter: ',', lineEnding: '\r\n', neutralizeFormulas: true };

describe("the report's CSV rules (Python csv.writer's, through @kicksaw/csv)", () => {
  it('writes null and undefined as empty, CRLF after every record, quotes only what needs it', () => {
    expect(encodeLine(['Contact', 'line\nbreak', 42, null, undefined, 'a,b', 'say "hi"'], format)).toBe(
      'Contact,"line\nbreak",42,,,"a,b","say ""hi"""\r\n',
    );
    expect(cellText(null)).toBe('');
    expect(cellText({ a: 1 })).toBe('{"a":1}');
  });

  it('writes a record of one empty cell as "" (not a blank line)', () => {
    expect(encodeLine([''], format)).toBe('""\r\n');
    expect(encodeLine([null], format)).toBe('""\r\n');
  });

  it('neutralizes formula-like strings by default, not numbers; the option turns it off', () => {
    expect(encodeCell('=1+1', format)).toBe("'=1+1");
    expect(encodeCell(-5, format)).toBe('-5');
    expect(encodeCell('-42.5', format)).toBe('-42.5');
    expect(neutralizeFormula('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(encodeCell('=1+1', { ...format, neutralizeFormulas: false })).toBe('=1+1');
  });

  it("is @kicksaw/csv's encodeRow with the report's options, and follows a format object changed in place", () => {
    const cells = ['=x', null, 'a;b', 'plain'];
    const semicolon: CsvFormat = { delimiter: ';', lineEnding: '\n', neutralizeFormulas: true };
    expect(encodeLine(cells, semicolon)).toBe(
      encodeRow(cells, { delimiter: ';', lineEnding: '\n', neutralizeFormulas: true }),
    );
    semicolon.delimiter = ',';
    expect(encodeLine(cells, semicolon)).toBe("'=x,,a;b,plain\n");
  });
});
