import { describe, expect, it } from 'vitest';
import { CsvParser, CsvSyntaxError, parseRecord, quote } from '../src/bulk/csv.js';

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

  it('reports spans from which each record parses again to the same values', () => {
    const cases: Array<{ text: string; lineEnding: 'LF' | 'CRLF'; delimiter?: string }> = [
      { text: sample, lineEnding: 'LF' },
      { text: '\ufeffA,B\r\n"x\r\ny",2\r\nlone\nfeed,3\r\n\r\nlast,\r', lineEnding: 'CRLF' },
      { text: 'A,B\r\n"q"tail,1\rnext,2\n,\n\n"",x\nend,"', lineEnding: 'LF' },
      { text: 'A|B\n\ufeffbom|"a|b"\nz|', lineEnding: 'LF', delimiter: '|' },
    ];
    for (const { text, lineEnding, delimiter = ',' } of cases) {
      for (const size of [1, 2, 3, 5, 7, text.length]) {
        const parser = new CsvParser(delimiter, lineEnding);
        const out: string[][] = [];
        const again: string[][] = [];
        let threw = false;
        try {
          for (let i = 0; i <= text.length; i += size) {
            const final = i + size > text.length;
            const spans: number[] = [];
            const before = out.length;
            parser.feed(text.slice(i, i + size), out, final, spans);
            expect(spans.length).toBe(2 * (out.length - before));
            for (let k = 0; k < spans.length; k += 2) {
              again.push(parseRecord(parser.text.slice(spans[k], spans[k + 1]), delimiter, lineEnding));
            }
            if (final) break;
          }
        } catch (error) {
          threw = error instanceof CsvSyntaxError;
          if (!threw) throw error;
        }
        expect(out.length).toBeGreaterThan(1);
        expect(again).toEqual(out);
      }
    }
  });

  it('quotes values for results', () => {
    expect(quote('plain')).toBe('"plain"');
    expect(quote('say "x", y')).toBe('"say ""x"", y"');
  });
});
