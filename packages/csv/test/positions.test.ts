import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, seededRandom } from '@kicksaw/core';
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

  it('gives every row the byte offset just past its line break, whatever the chunking (generated files)', async () => {
    // The expected ends are known by construction; the file mixes 1- to 4-byte characters, blank lines (skipped
    // by the parser, counted in the next row's bytes), quoted line breaks and records longer than the reader's
    // 16 KiB feeds (so records wait for more text and the parser drops text at its own times).
    const long = `${'é'.repeat(6000)} ${'x'.repeat(6000)}`;
    const words = ['plain', 'Zoë', 'Kraków', '李小龙', '🙂 ok', 'a, b', 'say "hi"', 'two\nlines'];
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const random = seededRandom(seed);
      const pick = () => words[Math.floor(random() * words.length)] as string;
      const cell = (text: string) => (/[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);
      const parts = ['Name,City,Note\n'];
      let bytes = Buffer.byteLength(parts[0] as string);
      const add = (part: string) => {
        parts.push(part);
        bytes += Buffer.byteLength(part);
      };
      const ends: number[] = [];
      const records: Array<Record<string, string>> = [];
      for (let i = 0; i < 400; i++) {
        if (random() < 0.1) add('\n'.repeat(1 + Math.floor(random() * 3)));
        const record = { Name: pick(), City: pick(), Note: random() < 0.05 ? long : 'short' };
        add(`${cell(record.Name)},${cell(record.City)},${cell(record.Note)}\n`);
        records.push(record);
        ends.push(bytes);
      }
      // Half the files end with blank lines and a record longer than a chunk with no line break: it waits for
      // end(), and the parser drops the blank lines only then.
      if (seed % 2 === 0) {
        const record = { Name: long, City: 'Zoë', Note: 'end' };
        add(`\n\n${record.Name},${record.City},${record.Note}`);
        records.push(record);
        ends.push(bytes);
      }
      const text = parts.join('');
      const size = 1024 + Math.floor(random() * 8192);
      const rows = await collect(readCsv(chunks(text, size), { offsets: true }));
      expect(rows.map((item) => ('record' in item ? item.record : item.problem))).toEqual(records);
      expect(rows.map((item) => item.end?.offset)).toEqual(ends);
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
