import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, type LineBreak, parseRows, RowParser, type RowParserOptions } from '../src/index.js';

type Parsed = { fields: string[]; line: number; text: string; next: number };

/** Parses `text` pushed in pieces of `size`, keeping each record's line, text (start..end) and next offset. */
function parseIn(text: string, size: number, options: RowParserOptions = {}): Parsed[] {
  const parser = new RowParser(options);
  const out: Parsed[] = [];
  let all = '';
  const sink = (fields: string[], line: number, start: number, end: number, next: number) =>
    out.push({ fields, line, text: all.slice(start, end), next });
  for (let i = 0; i < text.length; i += size) {
    const piece = text.slice(i, i + size);
    parser.push(piece);
    all = all + (i === 0 && piece.charCodeAt(0) === 0xfeff && options.bom !== false ? piece.slice(1) : piece);
    parser.parse(sink);
  }
  parser.end();
  parser.parse(sink);
  expect(parser.done).toBe(true);
  return out;
}

const SAMPLE = 'Name,Description,Amount\r\n"Acme, Inc.","He said ""hi""\r\nthen left",10\r\n\r\nGlobex,,#N/A\r\n';

describe('RowParser', () => {
  it('reads quoted delimiters, doubled quotes and line breaks, skips empty lines, numbers physical lines', () => {
    const rows = parseIn(SAMPLE, SAMPLE.length);
    expect(rows.map((r) => r.fields)).toEqual([
      ['Name', 'Description', 'Amount'],
      ['Acme, Inc.', 'He said "hi"\r\nthen left', '10'],
      ['Globex', '', '#N/A'],
    ]);
    expect(rows.map((r) => r.line)).toEqual([1, 2, 5]);
    expect(rows[1]?.text).toBe('"Acme, Inc.","He said ""hi""\r\nthen left",10');
  });

  it('gives the same records, lines and offsets whatever the chunk boundaries', () => {
    const texts = [SAMPLE, '\uFEFFa|b\r\n1|"x|y"\r\n2|z', 'a,b\n"",x\n,\n\n"q""",2\n"end"', 'a\rb\r"c\rd"\r'];
    for (const text of texts) {
      const delimiter = text.includes('|') ? '|' : ',';
      const lineBreaks: LineBreak[] = text.includes('\r') && !text.includes('\n') ? ['\r'] : ['\r\n', '\n'];
      const whole = parseIn(text, text.length, { delimiter, lineBreaks });
      for (const size of [1, 2, 3, 5, 7, 11]) expect(parseIn(text, size, { delimiter, lineBreaks })).toEqual(whole);
    }
  });

  it('reads exactly what csv-parse reads, on random text, whatever the chunks (strict mode)', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const pieces = ['a', 'bc', ' ', 'é', '🙂', ';', '\t'];
    const value = (): string => {
      const n = Math.floor(random() * 4);
      let text = '';
      for (let i = 0; i < n; i++) text += pieces[Math.floor(random() * pieces.length)];
      if (random() < 0.3) {
        const inner = text + (random() < 0.5 ? ',\n""\r\n' : '');
        return `"${inner.replaceAll('"', '""')}"`;
      }
      return text;
    };
    for (let round = 0; round < 200; round++) {
      const lineBreak = random() < 0.5 ? '\n' : '\r\n';
      const lines: string[] = [];
      const rows = 1 + Math.floor(random() * 6);
      for (let r = 0; r < rows; r++) {
        const width = 1 + Math.floor(random() * 4);
        lines.push(Array.from({ length: width }, value).join(','));
        if (random() < 0.1) lines.push('');
      }
      const text = lines.join(lineBreak) + (random() < 0.5 ? lineBreak : '');
      const expected = parse(text, {
        relax_column_count: true,
        skip_empty_lines: true,
        record_delimiter: ['\r\n', '\n'],
      });
      for (const size of [1, 3, text.length]) {
        const ours = parseIn(text, size, { strict: true }).map((r) => r.fields);
        expect(ours, JSON.stringify(text)).toEqual(expected);
      }
    }
  });

  it('line breaks: CRLF only makes a lone LF data; LF only makes a CR data; CR reads classic-Mac files', () => {
    expect(parseRows('a,b\r\n1,x\ny\r\n', { lineBreaks: ['\r\n'] })).toEqual([
      ['a', 'b'],
      ['1', 'x\ny'],
    ]);
    expect(parseRows('a,b\r\n1,2\r\n', { lineBreaks: ['\n'] })).toEqual([
      ['a', 'b\r'],
      ['1', '2\r'],
    ]);
    expect(parseRows('a,b\r1,"2\r3"\r', { lineBreaks: ['\r'] })).toEqual([
      ['a', 'b'],
      ['1', '2\r3'],
    ]);
    expect(parseRows('a,b\r\n1,2\n3,4\r\n')).toEqual([
      ['a', 'b'],
      ['1', '2'],
      ['3', '4'],
    ]);
  });

  it('drops a byte-order mark at the start only, unless told not to', () => {
    expect(parseRows('\uFEFFa,b\n\uFEFFc,d\n')).toEqual([
      ['a', 'b'],
      ['\uFEFFc', 'd'],
    ]);
    expect(parseRows('\uFEFFa\n', { bom: false })).toEqual([['\uFEFFa']]);
  });

  it('lenient mode keeps text after a closing quote and a quote inside an unquoted value', () => {
    expect(parseRows('"ab"cd,x"y\n"q" ,z\n')).toEqual([
      ['abcd', 'x"y'],
      ['q ', 'z'],
    ]);
  });

  it('strict mode makes a misplaced quote a CsvSyntaxError (CSV_INVALID_QUOTE) with the line of its record', () => {
    for (const text of ['a\n"ab"cd,x\n', 'a\nx"y,z\n']) {
      const error = (() => {
        try {
          parseRows(text, { strict: true });
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(CsvSyntaxError);
      expect(error).toMatchObject({ code: 'CSV_INVALID_QUOTE', line: 2, start: 2 });
    }
  });

  it('an unclosed quote at the end is a CsvSyntaxError (CSV_UNCLOSED_QUOTE), after the records before it', () => {
    const parser = new RowParser();
    const rows: string[][] = [];
    parser.push('a,b\n1,2\n3,"open\nmore');
    parser.parse((fields) => rows.push(fields));
    expect(rows).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
    parser.end();
    expect(() => parser.parse((fields) => rows.push(fields))).toThrow(
      expect.objectContaining({ code: 'CSV_UNCLOSED_QUOTE', line: 3, message: expect.stringMatching(/line 3/) }),
    );
  });

  it('a record over maxRecordLength is a CsvSyntaxError as soon as it is seen, complete or not', () => {
    const parser = new RowParser({ maxRecordLength: 100 });
    parser.push('a\nshort\n"');
    const rows: string[][] = [];
    parser.parse((fields) => rows.push(fields));
    let error: unknown;
    try {
      for (let i = 0; i < 20 && error === undefined; i++) {
        parser.push('x'.repeat(10));
        parser.parse((fields) => rows.push(fields));
      }
    } catch (e) {
      error = e;
    }
    expect(rows).toEqual([['a'], ['short']]);
    expect(error).toMatchObject({ code: 'CSV_RECORD_TOO_LARGE', line: 3, start: 8 });
    expect(() => parseRows(`${'y'.repeat(101)}\n`, { maxRecordLength: 100 })).toThrow(CsvSyntaxError);
    expect(parseRows(`${'y'.repeat(100)}\n`, { maxRecordLength: 100 })).toEqual([['y'.repeat(100)]]);
  });

  it('hands out at most max records per call, in order', () => {
    const parser = new RowParser();
    parser.push('1\n2\n3\n4\n5');
    parser.end();
    const batches: string[][][] = [];
    for (;;) {
      const batch: string[][] = [];
      if (parser.parse((fields) => batch.push(fields), 2) === 0) break;
      batches.push(batch);
    }
    expect(batches).toEqual([[['1'], ['2']], [['3'], ['4']], [['5']]]);
  });

  it('refuses a bad delimiter or line break', () => {
    expect(() => new RowParser({ delimiter: '"' })).toThrow(/delimiter/);
    expect(() => new RowParser({ lineBreaks: [] })).toThrow(/lineBreaks/);
  });
});
