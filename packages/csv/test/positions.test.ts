import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@kicksaw/core';
import { describe, expect, it } from 'vitest';
import { type CsvRow, type CsvStart, readCsv } from '../src/index.js';
import { chunks, collect } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'kicksaw-csv-positions-'));

/** A UTF-8 file with a byte-order mark, CRLF, quoted line breaks, blank lines, multi-byte text and problem rows. */
const TEXT =
  '\uFEFFName,City,Note\r\n' +
  'Zoë,Kraków,"two\r\nlines"\r\n' +
  '\r\n' +
  '\r\n' +
  '李小龙,"a, b",🙂\r\n' +
  'too,many,fields,here\r\n' +
  'bad,"open,quote\r\n' +
  '   \r\n' +
  'few\r\n' +
  'Ann,"say ""hi""",x\r\n' +
  'last,row,"ends\nhere"';

describe('readCsv: row end positions and starting mid-file', () => {
  it('gives each row the source byte offset, row and line just past it; the plain read gives none', async () => {
    const bytes = Buffer.from(TEXT, 'utf8');
    const plain = await collect(readCsv(chunks(bytes)));
    expect(plain.every((item) => item.end === undefined)).toBe(true);
    const rows = await collect(readCsv(chunks(bytes), { offsets: true }));
    // The same rows as the plain read, plus their ends.
    expect(rows.map(({ end, ...item }) => item)).toEqual(plain);
    expect(rows.at(-1)?.end?.offset).toBe(bytes.length);
    // Each row's bytes lie between the end of the row before and its own end (offsets count the BOM).
    let from = bytes.indexOf('\r\n') + 2;
    for (const item of rows) {
      const end = item.end?.offset as number;
      const text = bytes.toString('utf8', from, end);
      const expected = 'problem' in item ? item.problem.raw : Object.values(item.record)[0];
      expect(text).toContain(expected as string);
      from = end;
    }
    // [row, its line, the line just past it] (blank lines before a row are after the end of the one before).
    expect(rows.map((item) => [item.row, item.line, item.end?.row, item.end?.line])).toEqual([
      [1, 2, 1, 4],
      [2, 6, 2, 7],
      [3, 7, 3, 8],
      [4, 8, 4, 9],
      [5, 10, 5, 11],
      [6, 11, 6, 12],
      [7, 12, 7, 14],
    ]);
  });

  it('started at any row end, reads exactly the rows after it, numbered as in the whole read, at every chunk size', async () => {
    const bytes = Buffer.from(TEXT, 'utf8');
    const reader = readCsv(chunks(bytes), { offsets: true });
    const format = await reader.format();
    expect(format).toEqual({
      header: ['Name', 'City', 'Note'],
      delimiter: ',',
      encoding: 'utf-8',
      line: 1,
      lineBreaks: ['\r\n', '\n'],
    });
    const all = await collect(reader);
    for (const size of [1, 3, 7, 1 << 16]) {
      for (let i = 0; i < all.length; i++) {
        const position = all[i]?.end;
        expect(position).toBeDefined();
        if (position === undefined) continue;
        const start: CsvStart = { format, position };
        const rest = await collect(readCsv(chunks(bytes.subarray(position.offset), size), { offsets: true, start }));
        expect(rest).toEqual(all.slice(i + 1));
      }
    }
  });

  it('opens a file path at the offset itself', async () => {
    const path = join(dir, 'resume.csv');
    writeFileSync(path, TEXT);
    const reader = readCsv(path, { offsets: true });
    const format = await reader.format();
    const all = await collect(reader);
    const position = all[3]?.end;
    if (position === undefined) throw new Error('no position');
    const rest = await collect(readCsv(path, { start: { format, position } }));
    expect(rest).toEqual(all.slice(4).map(({ end, ...item }) => item));
  });

  it('starts after the header when given the position right after it', async () => {
    const text = 'a;b\n1;2\n3;4\n';
    const format = await readCsv(chunks(text)).format();
    const rows: CsvRow[] = await collect(
      readCsv(chunks(text.slice(4)), { start: { format, position: { offset: 4, row: 0, line: 2 } } }),
    );
    expect(rows).toEqual([
      { row: 1, line: 2, record: { a: '1', b: '2' } },
      { row: 2, line: 3, record: { a: '3', b: '4' } },
    ]);
  });

  it('gives no positions for a decoded encoding, and refuses to start in one', async () => {
    const bytes = Buffer.from('Name,City\nJos\xe9,Le\xf3n\n', 'latin1');
    const reader = readCsv(chunks(bytes), { offsets: true, encoding: 'windows-1252' });
    const format = await reader.format();
    const rows = await collect(reader);
    expect(rows).toEqual([{ row: 1, line: 2, record: { Name: 'José', City: 'León' } }]);
    const start = { format, position: { offset: 10, row: 0, line: 2 } };
    const error = await collect(readCsv(chunks(bytes.subarray(10)), { start })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/only a UTF-8 file/);
  });

  it('refuses a position that is not one', async () => {
    const format = await readCsv(chunks('a\n1\n')).format();
    const error = await collect(
      readCsv(chunks('1\n'), { start: { format, position: { offset: -1, row: 0, line: 2 } } }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/position.offset/);
  });
});
