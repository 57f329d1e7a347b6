import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, RecordScanner, type RecordScannerOptions, RowParser } from '../src/index.js';

type Span = [start: number, end: number, line: number];

/** Scans `bytes` pushed in pieces of `size`; the spans, the line after the end, or the error thrown. */
function scan(bytes: Buffer, size: number, options: RecordScannerOptions = {}): { spans: Span[]; line: number } {
  const scanner = new RecordScanner(options);
  const spans: Span[] = [];
  const sink = (start: number, end: number, line: number) => spans.push([start, end, line]);
  for (let i = 0; i < bytes.length; i += size) scanner.push(bytes.subarray(i, i + size), sink);
  scanner.end(sink);
  return { spans, line: scanner.line };
}

/** What `RowParser` (lenient) gives for the same text: each record's span and line. */
function parse(text: string, options: RecordScannerOptions = {}): { spans: Span[]; line: number } {
  const parser = new RowParser({ delimiter: options.delimiter, lineBreaks: options.lineBreaks, bom: options.bom });
  const spans: Span[] = [];
  parser.push(text);
  parser.end();
  parser.parse((_fields, line, start, end) => spans.push([start, end, line]));
  return { spans, line: parser.line };
}

/** A seeded generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MODES: RecordScannerOptions[] = [
  {},
  { lineBreaks: ['\r\n'] },
  { lineBreaks: ['\n'] },
  { delimiter: '|' },
  { delimiter: '\t', lineBreaks: ['\r\n'] },
];

describe('RecordScanner', () => {
  it('finds the records, lines and offsets RowParser finds, over random text cut anywhere', () => {
    const next = random(18);
    const alphabet = ['a', 'b', ',', '|', '\t', '"', '"', '""', '\n', '\r', '\r\n', ' '];
    for (let round = 0; round < 3000; round++) {
      const length = Math.floor(next() * 40);
      let text = '';
      for (let k = 0; k < length; k++) text += alphabet[Math.floor(next() * alphabet.length)];
      const options = MODES[round % MODES.length] as RecordScannerOptions;
      const bytes = Buffer.from(text, 'latin1');
      let expected: { spans: Span[]; line: number } | CsvSyntaxError;
      try {
        expected = parse(text, options);
      } catch (error) {
        expected = error as CsvSyntaxError;
      }
      for (const size of [1, 2, 3, 7, bytes.length + 1]) {
        if (expected instanceof CsvSyntaxError) {
          let thrown: unknown;
          try {
            scan(bytes, size, options);
          } catch (error) {
            thrown = error;
          }
          expect(thrown, JSON.stringify(text)).toBeInstanceOf(CsvSyntaxError);
          const error = thrown as CsvSyntaxError;
          expect([error.code, error.message, error.line, error.start]).toEqual([
            expected.code,
            expected.message,
            expected.line,
            expected.start,
          ]);
        } else {
          expect(scan(bytes, size, options), `${JSON.stringify(text)} ${JSON.stringify(options)} ${size}`).toEqual(
            expected,
          );
        }
      }
    }
  });

  it('reads quoted line breaks, doubled quotes, empty lines and a CR cut off at the very end', () => {
    const text = 'id,note\r\n1,"two\r\nlines, ""quoted"""\r\n\r\n\n2,x"y\r';
    const { spans } = scan(Buffer.from(text), 5);
    expect(spans.map(([start, end, line]) => [text.slice(start, end), line])).toEqual([
      ['id,note', 1],
      ['1,"two\r\nlines, ""quoted"""', 2],
      ['2,x"y', 6],
    ]);
    // A lone LF is data in CRLF mode.
    expect(scan(Buffer.from('a\nb\r\nc'), 2, { lineBreaks: ['\r\n'] }).spans).toEqual([
      [0, 3, 1],
      [5, 6, 2],
    ]);
  });

  it('skips a byte-order mark, counting its bytes in the offsets; keeps bytes that only start like one', () => {
    const bytes = Buffer.from('\uFEFF"a",b\nc\n');
    for (const size of [1, 2, 100])
      expect(scan(bytes, size).spans).toEqual([
        [3, 8, 1],
        [9, 10, 2],
      ]);
    expect(scan(bytes, 4, { bom: false }).spans).toEqual([
      [0, 8, 1],
      [9, 10, 2],
    ]);
    const almost = Buffer.from([0xef, 0xbb, 0x22, 0x2c, 0x0a]); // EF BB then '",' and LF: data from byte 0
    for (const size of [1, 2, 9]) expect(scan(almost, size).spans).toEqual([[0, 4, 1]]);
    expect(scan(Buffer.from([0xef]), 1).spans).toEqual([[0, 1, 1]]);
  });

  it('treats bytes of 128 and up as data (UTF-8 text)', () => {
    const text = 'Name,Note\n"Zoë, ""Ü""",日本\n';
    const bytes = Buffer.from(text);
    const { spans } = scan(bytes, 3);
    expect(spans.map(([start, end]) => bytes.toString('utf8', start, end))).toEqual(['Name,Note', '"Zoë, ""Ü""",日本']);
  });

  it('fails an unclosed quote with the line and start of its record, after handing out the records before it', () => {
    const scanner = new RecordScanner();
    const spans: Span[] = [];
    scanner.push(Buffer.from('a\n\n"b\nc",d\n"open\nx'), (start, end, line) => spans.push([start, end, line]));
    expect(spans).toEqual([
      [0, 1, 1],
      [3, 10, 3],
    ]);
    expect(() => scanner.end(() => {})).toThrow(
      expect.objectContaining({ code: 'CSV_UNCLOSED_QUOTE', line: 5, start: 11 }),
    );
  });

  it('rejects a delimiter that is not one ASCII character and CR line breaks', () => {
    expect(() => new RecordScanner({ delimiter: '§' })).toThrow(TypeError);
    expect(() => new RecordScanner({ delimiter: '"' })).toThrow(TypeError);
    expect(() => new RecordScanner({ lineBreaks: ['\r' as '\n'] })).toThrow(TypeError);
    const scanner = new RecordScanner();
    scanner.end(() => {});
    expect(() => scanner.push(Buffer.from('a'), () => {})).toThrow(/after end/);
  });
});
