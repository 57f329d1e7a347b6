import { describe, expect, it } from 'vitest';
import { CsvParser, CsvSyntaxError, quote } from '../src/bulk/csv.js';

function parse(text: string, options: { delimiter?: string; lineEnding?: 'LF' | 'CRLF'; chunk?: number } = {}) {
  const parser = new CsvParser(options.delimiter ?? ',', options.lineEnding ?? 'LF');
  const out: string[][] = [];
  const size = options.chunk ?? text.length;
  for (let i = 0; i < text.length; i += size) parser.feed(text.slice(i, i + size), out, false);
  parser.feed('', out, true);
  return out;
}

describe('Bulk CSV parser', () => {
  const sample = 'Name,Description,Amount\n"Acme, Inc.","He said ""hi""\nthen left",10\nGlobex,,#N/A\n';

  it('reads quoted delimiters, doubled quotes and line breaks inside quotes', () => {
    expect(parse(sample)).toEqual([
      ['Name', 'Description', 'Amount'],
      ['Acme, Inc.', 'He said "hi"\nthen left', '10'],
      ['Globex', '', '#N/A'],
    ]);
  });

  it('gives the same records whatever the chunk boundaries', () => {
    const whole = parse(sample);
    for (const chunk of [1, 2, 3, 5, 7, 11]) expect(parse(sample, { chunk })).toEqual(whole);
  });

  it('reads CRLF files, other delimiters, a BOM and a last line without line break', () => {
    expect(parse('\uFEFFa|b\r\n1|"x|y"\r\n2|z', { delimiter: '|', lineEnding: 'CRLF', chunk: 3 })).toEqual([
      ['a', 'b'],
      ['1', 'x|y'],
      ['2', 'z'],
    ]);
    // In CRLF mode a bare LF is data.
    expect(parse('a,b\r\n1,x\ny\r\n', { lineEnding: 'CRLF' })).toEqual([
      ['a', 'b'],
      ['1', 'x\ny'],
    ]);
    // In LF mode a CR before the LF is dropped.
    expect(parse('a,b\r\n1,2\r\n')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('keeps empty trailing fields and skips blank lines', () => {
    expect(parse('a,b,c\n1,,\n\n2,3,\n')).toEqual([
      ['a', 'b', 'c'],
      ['1', '', ''],
      ['2', '3', ''],
    ]);
  });

  it('rejects an unclosed quote at the end of the data', () => {
    expect(() => parse('a,b\n1,"open\n')).toThrow(CsvSyntaxError);
  });

  it('quotes values for results', () => {
    expect(quote('plain')).toBe('"plain"');
    expect(quote('say "x", y')).toBe('"say ""x"", y"');
  });
});
