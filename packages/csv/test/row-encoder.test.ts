import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import { cellText, encodeRow, neutralizeFormula, parseRows, RowEncoder, readCsv } from '../src/index.js';
import { chunks, collect } from './helpers.js';

const TRICKY = [
  'plain',
  'comma, inside',
  'say "hello"',
  '"quoted start',
  'multi\nline',
  'crlf\r\nline',
  'lone\rcr',
  '  spaces kept  ',
  'tab\there',
  'semi;colon|pipe^caret`back',
  '李小龙 Брюс Ли بروس لي 🙂',
  '#N/A literal',
  '',
];

describe('encodeRow and RowEncoder', () => {
  it('writes null as nullAs (empty by default, #N/A for Bulk uploads), undefined and empty strings empty', () => {
    const cells = ['Doe', null, undefined, 3, true, ''];
    expect(encodeRow(cells)).toBe('Doe,,,3,true,\n');
    expect(encodeRow(cells, { nullAs: '#N/A' })).toBe('Doe,#N/A,,3,true,\n');
  });

  it('uses the delimiter and line ending', () => {
    expect(encodeRow(['x;y', 'z'], { delimiter: ';', lineEnding: '\r\n' })).toBe('"x;y";z\r\n');
    expect(encodeRow(['x,y', 'z'], { delimiter: '\t' })).toBe('x,y\tz\n');
  });

  it('writes exactly what csv-stringify writes with quote_record_delimiter (quoting any value with CR or LF)', () => {
    const rows = TRICKY.map((text, i) => [text, TRICKY[(i + 3) % TRICKY.length] as string, String(i)]);
    for (const delimiter of [',', '\t', '|', '^', ';']) {
      for (const lineEnding of ['\n', '\r\n'] as const) {
        const encoder = new RowEncoder({ delimiter, lineEnding });
        const ours = rows.map((row) => encoder.encode(row)).join('');
        const theirs = stringify(rows, { delimiter, record_delimiter: lineEnding, quote_record_delimiter: true });
        expect(ours).toBe(theirs);
      }
    }
  });

  it("quote 'edge-spaces' also quotes values with white space at either end (Bulk API trims unquoted values)", () => {
    const encoder = new RowEncoder({ quote: 'edge-spaces' });
    expect(encoder.encode(['a', ' pad', 'pad ', '\u00a0nbsp', 'in side', ''])).toBe(
      'a," pad","pad ","\u00a0nbsp",in side,\n',
    );
    expect(new RowEncoder().encode([' pad', 'pad '])).toBe(' pad,pad \n');
  });

  it("quote 'always' quotes every value, the empty ones too", () => {
    expect(encodeRow(['a', 'say "x", y', '', null], { quote: 'always' })).toBe('"a","say ""x"", y","",""\n');
  });

  it('neutralizes formula-like strings only when asked, never plain signed numbers or non-strings', () => {
    const cells = ['=1+1', '+A1', '-x', '@SUM(A1)', '\tcmd', '-42.5', -5, 'plain'];
    expect(encodeRow(cells, { neutralizeFormulas: true })).toBe("'=1+1,'+A1,'-x,'@SUM(A1),'\tcmd,-42.5,-5,plain\n");
    expect(encodeRow(cells)).toBe('=1+1,+A1,-x,@SUM(A1),\tcmd,-42.5,-5,plain\n');
    expect(neutralizeFormula('=HYPERLINK("http://x")')).toBe('\'=HYPERLINK("http://x")');
    expect(neutralizeFormula('+1.5e3')).toBe('+1.5e3');
  });

  it('writes a row of one empty value as "" so that it is not read back as an empty line', () => {
    expect(encodeRow([''])).toBe('""\n');
    expect(encodeRow([null])).toBe('""\n');
    expect(encodeRow([null], { nullAs: '#N/A' })).toBe('#N/A\n');
    expect(parseRows(encodeRow(['']) + encodeRow(['x']))).toEqual([[''], ['x']]);
  });

  it('turns values of any type into text', () => {
    expect(cellText(null)).toBe('');
    expect(cellText(null, '#N/A')).toBe('#N/A');
    expect(cellText(undefined, '#N/A')).toBe('');
    expect(cellText(12.5)).toBe('12.5');
    expect(cellText(10n)).toBe('10');
    expect(cellText(false)).toBe('false');
    expect(cellText(new Date(Date.UTC(2024, 0, 2, 3, 4, 5)))).toBe('2024-01-02T03:04:05.000Z');
    expect(cellText(new Date(Number.NaN))).toBe('');
    expect(cellText({ a: [1] })).toBe('{"a":[1]}');
  });

  it('refuses a bad format', () => {
    expect(() => new RowEncoder({ delimiter: '"' })).toThrow(/delimiter/);
    expect(() => new RowEncoder({ delimiter: ',,' })).toThrow(/delimiter/);
    expect(() => new RowEncoder({ lineEnding: '\r' as '\n' })).toThrow(/lineEnding/);
    expect(() => new RowEncoder({ quote: 'never' as 'always' })).toThrow(/quote/);
  });

  it('round-trips every tricky value through readCsv and parseRows, delimiter detected', async () => {
    const rows = TRICKY.map((text, i) => [`r${i}`, text, TRICKY[(i + 5) % TRICKY.length] as string]);
    for (const delimiter of [',', ';', '\t', '|']) {
      for (const lineEnding of ['\n', '\r\n'] as const) {
        for (const quote of ['minimal', 'edge-spaces', 'always'] as const) {
          const encoder = new RowEncoder({ delimiter, lineEnding, quote });
          const text = encoder.encode(['Id', 'Text', 'Other']) + rows.map((row) => encoder.encode(row)).join('');
          const back = await collect(readCsv(chunks(text, 7)));
          expect(back.map((item) => ('record' in item ? Object.values(item.record) : item.problem))).toEqual(rows);
          expect(parseRows(text, { delimiter }).slice(1)).toEqual(rows);
        }
      }
    }
  });
});
