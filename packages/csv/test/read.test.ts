import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { InputError } from '@kicksaw/core';
import { describe, expect, it } from 'vitest';
import { type CsvRow, readCsv } from '../src/index.js';
import { chunks, collect, recordsOf } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'kicksaw-csv-'));

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function readError(promise: Promise<unknown>): Promise<InputError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

describe('readCsv: records, rows and lines', () => {
  it('reads records with row and line numbers', async () => {
    const rows = await collect(readCsv(chunks('Name,Email\nAda,ada@x.io\nBob,bob@x.io\n')));
    expect(rows).toEqual([
      { row: 1, line: 2, record: { Name: 'Ada', Email: 'ada@x.io' } },
      { row: 2, line: 3, record: { Name: 'Bob', Email: 'bob@x.io' } },
    ]);
  });

  it('handles quoted delimiters, doubled quotes, CRLF, embedded newlines and empty lines at every chunk size', async () => {
    const text = 'a;b\r\n"x;1";"say ""hi"""\r\n\r\n"multi\r\nline";2\r\n   \r\n3;4';
    for (const size of [1, 2, 3, 7, 1 << 16]) {
      const rows = await collect(readCsv(chunks(text, size)));
      expect(rows).toEqual([
        { row: 1, line: 2, record: { a: 'x;1', b: 'say "hi"' } },
        { row: 2, line: 4, record: { a: 'multi\r\nline', b: '2' } },
        { row: 3, line: 7, record: { a: '3', b: '4' } },
      ]);
    }
  });

  it('reads a file path, a Node Readable and string chunks alike', async () => {
    const text = 'id,name\n1,Zoë\n2,"Ann, Jr."\n';
    const expected = [
      { id: '1', name: 'Zoë' },
      { id: '2', name: 'Ann, Jr.' },
    ];
    expect(recordsOf(await collect(readCsv(file('plain.csv', text))))).toEqual(expected);
    expect(recordsOf(await collect(readCsv(Readable.from([Buffer.from(text)]))))).toEqual(expected);
    async function* strings() {
      yield 'id,na';
      yield 'me\n1,Zoë\n2,"Ann,';
      yield ' Jr."\n';
    }
    expect(recordsOf(await collect(readCsv(strings())))).toEqual(expected);
  });

  it('reads a file of many chunks (read into reused buffers) as it reads the same bytes from a stream', async () => {
    // Rows of varying length with multi-byte characters, quoted line breaks and a non-ASCII header, so that
    // characters, records and the 64 KiB sniff window straddle chunk boundaries; also read from a later start.
    let text = 'id,näme,note\n';
    for (let i = 0; i < 12_000; i++) {
      text += `${i},"Zoë ${'ü'.repeat(i % 37)}","line one\nline ${'€'.repeat(i % 11)} two, ${i % 7}"\n`;
    }
    const path = file('many-chunks.csv', text);
    expect(Buffer.byteLength(text)).toBeGreaterThan(8 * 64 * 1024);
    const fromFile = recordsOf(await collect(readCsv(path)));
    const fromStream = recordsOf(await collect(readCsv(Readable.from([Buffer.from(text)]))));
    expect(fromFile).toHaveLength(12_000);
    expect(fromFile).toEqual(fromStream);
    expect(fromFile[11_999]).toEqual({
      id: '11999',
      näme: `Zoë ${'ü'.repeat(11_999 % 37)}`,
      note: `line one\nline ${'€'.repeat(9)} two, 1`,
    });
  });

  it('reads a named pipe given as a path (sequential reads from byte 0)', async () => {
    const path = join(dir, 'pipe.csv');
    execFileSync('mkfifo', [path]);
    // The writer opens the pipe once the reader has; both ends wait for each other in Node's thread pool.
    createWriteStream(path).end('id,name\n1,Zoë\n2,Ann\n');
    expect(recordsOf(await collect(readCsv(path)))).toEqual([
      { id: '1', name: 'Zoë' },
      { id: '2', name: 'Ann' },
    ]);
  });

  it('refuses a missing file with an InputError naming it', async () => {
    const error = await readError(collect(readCsv(join(dir, 'nope.csv'))));
    expect(error.code).toBe('CSV_NOT_FOUND');
    expect(error.message).toContain('nope.csv');
  });

  it('counts rows with problems and keeps going', async () => {
    const rows = await collect(readCsv(chunks('a,b\n1,2\n1,2,3\n4\n5,6\n')));
    expect(rows[0]).toEqual({ row: 1, line: 2, record: { a: '1', b: '2' } });
    expect(rows[1]).toMatchObject({ row: 2, line: 3, problem: { code: 'CSV_TOO_MANY_FIELDS', raw: '1,2,3' } });
    expect(rows[2]).toMatchObject({ row: 3, line: 4, problem: { code: 'CSV_TOO_FEW_FIELDS', raw: '4' } });
    expect(rows[3]).toEqual({ row: 4, line: 5, record: { a: '5', b: '6' } });
  });

  it('gives the raw text of a ragged multi-line row', async () => {
    const rows = await collect(readCsv(chunks('a,b\r\n\r\n"x\r\ny",2,3\r\nok,1\r\n')));
    expect(rows[0]).toMatchObject({ row: 1, line: 3, problem: { code: 'CSV_TOO_MANY_FIELDS', raw: '"x\r\ny",2,3' } });
    expect(rows[1]).toEqual({ row: 2, line: 5, record: { a: 'ok', b: '1' } });
  });

  it('trims values when asked, header names always', async () => {
    const text = ' a , b \n  x ,  y  \n';
    expect(recordsOf(await collect(readCsv(chunks(text))))).toEqual([{ a: '  x ', b: '  y  ' }]);
    expect(recordsOf(await collect(readCsv(chunks(text), { trim: true })))).toEqual([{ a: 'x', b: 'y' }]);
  });

  it('reads classic-Mac CR files and CRLF files with stray LF lines', async () => {
    expect(await collect(readCsv(chunks('a,b\r1,2\r3,4\r')))).toEqual([
      { row: 1, line: 2, record: { a: '1', b: '2' } },
      { row: 2, line: 3, record: { a: '3', b: '4' } },
    ]);
    expect(recordsOf(await collect(readCsv(chunks('a,b\r\n1,2\n3,4\r\n'))))).toEqual([
      { a: '1', b: '2' },
      { a: '3', b: '4' },
    ]);
  });

  it('header() and format() read the start without losing rows', async () => {
    const reader = readCsv(chunks('x|y\n1|2\n'));
    expect(await reader.header()).toEqual(['x', 'y']);
    expect(await reader.format()).toEqual({
      header: ['x', 'y'],
      delimiter: '|',
      encoding: 'utf-8',
      line: 1,
      lineBreaks: ['\n'],
    });
    expect(recordsOf(await collect(reader))).toEqual([{ x: '1', y: '2' }]);
    expect(() => reader[Symbol.asyncIterator]()).toThrow(/already iterated/);
  });

  it('stops reading the source when the caller breaks out', async () => {
    const source = Readable.from(
      (function* () {
        yield Buffer.from('a\n');
        for (let i = 0; i < 1000; i++) yield Buffer.from(`${i}\n`);
      })(),
    );
    for await (const item of readCsv(source)) {
      expect(item.row).toBe(1);
      break;
    }
    expect(source.destroyed).toBe(true);
  });
});

describe('readCsv: delimiters', () => {
  it.each([
    [',', 'a,b;c\n1,2;3\n', { a: '1', 'b;c': '2;3' }],
    [';', 'a;b;c\n1;2;3\n', { a: '1', b: '2', c: '3' }],
    ['\t', 'a\tb\n1\t2\n', { a: '1', b: '2' }],
    ['|', 'a|b\n1|2\n', { a: '1', b: '2' }],
    [',', '"a;b;c",d\n1,2\n', { 'a;b;c': '1', d: '2' }],
    [',', 'single\nvalue\n', { single: 'value' }],
  ])('detects %j from the header line', async (delimiter, text, record) => {
    const reader = readCsv(chunks(text));
    expect((await reader.format()).delimiter).toBe(delimiter);
    expect(recordsOf(await collect(reader))).toEqual([record]);
  });

  it('uses a declared delimiter', async () => {
    expect(recordsOf(await collect(readCsv(chunks('a;b,c\n1;2,3\n'), { delimiter: ';' })))).toEqual([
      { a: '1', 'b,c': '2,3' },
    ]);
  });
});

describe('readCsv: encodings', () => {
  it('strips a UTF-8 byte-order mark', async () => {
    const reader = readCsv(chunks(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Name\nÉlodie\n')]), 1));
    expect(recordsOf(await collect(reader))).toEqual([{ Name: 'Élodie' }]);
  });

  it('reads UTF-16LE and UTF-16BE by their byte-order mark, split anywhere', async () => {
    const text = 'Name,City\nZoë,Kraków\n"李, 小龙",🙂\n';
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le);
    be.swap16();
    for (const [bytes, encoding] of [
      [le, 'utf-16le'],
      [be, 'utf-16be'],
    ] as const) {
      for (const size of [1, 3, 1 << 16]) {
        const reader = readCsv(chunks(bytes, size));
        expect((await reader.format()).encoding).toBe(encoding);
        expect(recordsOf(await collect(reader))).toEqual([
          { Name: 'Zoë', City: 'Kraków' },
          { Name: '李, 小龙', City: '🙂' },
        ]);
      }
    }
  });

  it('reads a declared windows-1252 or latin1 file', async () => {
    const bytes = Buffer.from([...Buffer.from('Name;Price\n'), 0x43, 0x61, 0x66, 0xe9, 0x3b, 0x80, 0x35, 0x0a]);
    for (const encoding of ['windows-1252', 'latin1']) {
      expect(recordsOf(await collect(readCsv(chunks(bytes, 2), { encoding })))).toEqual([
        { Name: 'Café', Price: '€5' },
      ]);
    }
  });

  it('refuses undeclared non-UTF-8 input before any row, saying what to declare', async () => {
    const bytes = Buffer.from([...Buffer.from('Name\nAda\n'), 0x43, 0x61, 0x66, 0xe9, 0x0a]);
    const seen: CsvRow[] = [];
    const error = await readError(
      (async () => {
        for await (const item of readCsv(chunks(bytes), { source: 's3://in/legacy.csv' })) seen.push(item);
      })(),
    );
    expect(seen).toEqual([]);
    expect(error.code).toBe('CSV_ENCODING');
    expect(error.message).toContain("encoding: 'windows-1252'");
    expect(error.message).toContain('Café');
    expect(error.message).toContain('s3://in/legacy.csv');
    expect(error.location.line).toBe(3);
  });

  it('makes a row with invalid UTF-8 past the first 64 KiB a problem, and goes on', async () => {
    const filler = Array.from({ length: 2000 }, (_, i) => `row${i},${'x'.repeat(40)}\n`).join('');
    const bytes = Buffer.concat([
      Buffer.from(`id,text\n${filler}`),
      Buffer.from([0x62, 0x61, 0x64, 0x2c, 0x43, 0x61, 0x66, 0xe9, 0x0a]),
      Buffer.from('good,après\n'),
    ]);
    const rows = await collect(readCsv(chunks(bytes)));
    expect(rows).toHaveLength(2002);
    expect(rows[2000]).toMatchObject({ row: 2001, line: 2002, problem: { code: 'CSV_ENCODING' } });
    expect(rows[2001]).toEqual({ row: 2002, line: 2003, record: { id: 'good', text: 'après' } });
  });

  it('refuses an unknown encoding label as a ConfigError', async () => {
    await expect(collect(readCsv(chunks('a\n1\n'), { encoding: 'klingon' }))).rejects.toThrow(/encoding/);
  });
});

describe('readCsv: bad files', () => {
  it('refuses an empty file, a BOM-only file and a blank file', async () => {
    for (const content of [Buffer.alloc(0), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('\n\r\n  \n')]) {
      const error = await readError(collect(readCsv(file('empty.csv', content))));
      expect(error.code).toBe('CSV_EMPTY');
      expect(error.message).toMatch(/empty/);
    }
  });

  it('gives zero rows for a header-only file, with or without a final newline', async () => {
    expect(await collect(readCsv(chunks('a,b\n')))).toEqual([]);
    const reader = readCsv(chunks('a,b'));
    expect(await reader.header()).toEqual(['a', 'b']);
    expect(await collect(reader)).toEqual([]);
  });

  it('refuses binary files, naming what they look like', async () => {
    const xlsx = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0x08, 0x00]);
    expect((await readError(collect(readCsv(chunks(xlsx))))).message).toMatch(/Excel/);
    const gzip = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00]);
    expect((await readError(collect(readCsv(chunks(gzip))))).message).toMatch(/gzip/);
    const binary = Buffer.from([0x61, 0x2c, 0x62, 0x0a, 0x00, 0x01, 0x02, 0xff, 0x10, 0x00]);
    const error = await readError(collect(readCsv(chunks(binary))));
    expect(error.code).toBe('CSV_BINARY');
    expect(error.message).toMatch(/binary/);
  });

  it('tells UTF-16 without a byte-order mark to be declared', async () => {
    const error = await readError(collect(readCsv(chunks(Buffer.from('Name,City\nZoe,Paris\n', 'utf16le')))));
    expect(error.code).toBe('CSV_ENCODING');
    expect(error.message).toContain("'utf-16le'");
  });

  it('refuses duplicate and empty header names before any row', async () => {
    const dup = await readError(collect(readCsv(chunks('Email, Name ,Email\n1,2,3\n'))));
    expect(dup.code).toBe('CSV_BAD_HEADER');
    expect(dup.message).toContain('duplicate column "Email"');
    expect(dup.location).toMatchObject({ line: 1, column: 3, field: 'Email' });
    const empty = await readError(readCsv(chunks('a,,c\n1,2,3\n')).header());
    expect(empty.message).toContain('column 2 has no name');
    const proto = await readError(collect(readCsv(chunks('a,__proto__\n1,2\n'))));
    expect(proto.message).toContain('__proto__');
    const trailing = await readError(collect(readCsv(chunks('a,b,\n1,2,\n'))));
    expect(trailing.location.column).toBe(3);
  });

  it('refuses a header line with an unterminated quote', async () => {
    const error = await readError(collect(readCsv(chunks('"a,b\n1,2\n'))));
    expect(error.code).toBe('CSV_BAD_HEADER');
  });

  it('recovers from an unterminated quote at the next line', async () => {
    const rows = await collect(readCsv(chunks('a,b,c\n1,"abc,2\n3,4,5\n6,"q",7\n')));
    expect(rows[0]).toMatchObject({ row: 1, line: 2, problem: { code: 'CSV_INVALID_QUOTE', raw: '1,"abc,2' } });
    expect(rows.slice(1)).toEqual([
      { row: 2, line: 3, record: { a: '3', b: '4', c: '5' } },
      { row: 3, line: 4, record: { a: '6', b: 'q', c: '7' } },
    ]);
  });

  it('recovers from a quote left open until the end of the file', async () => {
    for (const size of [1, 5, 1 << 16]) {
      const rows = await collect(readCsv(chunks('a,b\r\n1,"open\r\n2,3\r\n4,5', size)));
      expect(rows).toEqual([
        expect.objectContaining({
          row: 1,
          line: 2,
          problem: expect.objectContaining({ code: 'CSV_UNCLOSED_QUOTE', raw: '1,"open' }),
        }),
        { row: 2, line: 3, record: { a: '2', b: '3' } },
        { row: 3, line: 4, record: { a: '4', b: '5' } },
      ]);
    }
  });

  it('makes a quote inside an unquoted field a problem', async () => {
    const rows = await collect(readCsv(chunks('a,b\n5\'10",tall\nok,1\n')));
    expect(rows[0]).toMatchObject({ row: 1, problem: { code: 'CSV_INVALID_QUOTE', raw: '5\'10",tall' } });
    expect(rows[1]).toEqual({ row: 2, line: 3, record: { a: 'ok', b: '1' } });
  });

  it('strict mode throws on the first problem, after the rows before it', async () => {
    const seen: CsvRow[] = [];
    const error = await readError(
      (async () => {
        for await (const item of readCsv(chunks('a,b\n1,2\n3\n4,5\n'), { strict: true, source: 'in.csv' }))
          seen.push(item);
      })(),
    );
    expect(seen).toHaveLength(1);
    expect(error.code).toBe('CSV_TOO_FEW_FIELDS');
    expect(error.location).toMatchObject({ source: 'in.csv', row: 2, line: 3 });
  });

  it('makes a field over maxFieldBytes a problem', async () => {
    const rows = await collect(readCsv(chunks(`a,b\n1,${'é'.repeat(600)}\n2,ok\n`), { maxFieldBytes: 1000 }));
    expect(rows[0]).toMatchObject({ row: 1, problem: { code: 'CSV_FIELD_TOO_LARGE' } });
    expect((rows[0] as { problem: { message: string } }).problem.message).toContain('Column "b" holds 1200 bytes');
    expect(rows[1]).toEqual({ row: 2, line: 3, record: { a: '2', b: 'ok' } });
  });

  it('makes a record over maxRecordBytes a problem and resumes at the next line', async () => {
    const rows = await collect(readCsv(chunks(`a,b\n1,${'x'.repeat(5000)}\n2,ok\n`, 512), { maxRecordBytes: 1024 }));
    expect(rows[0]).toMatchObject({ row: 1, line: 2, problem: { code: 'CSV_RECORD_TOO_LARGE' } });
    expect(rows[1]).toEqual({ row: 2, line: 3, record: { a: '2', b: 'ok' } });
  });

  it('counts maxRecordBytes in bytes: a record of fewer characters than the limit but more bytes is a problem', async () => {
    // 600 characters, 1,200 bytes: over the limit in bytes only; also 'é' cut between two chunks.
    for (const size of [7, 512, 1 << 16]) {
      const rows = await collect(
        readCsv(chunks(`a,b\n1,${'é'.repeat(600)}\n2,ok\n3,${'é'.repeat(500)}\n`, size), { maxRecordBytes: 1024 }),
      );
      expect(rows[0]).toMatchObject({ row: 1, line: 2, problem: { code: 'CSV_RECORD_TOO_LARGE' } });
      expect(rows[1]).toEqual({ row: 2, line: 3, record: { a: '2', b: 'ok' } });
      // 1,002 bytes: within the limit.
      expect(rows[2]).toEqual({ row: 3, line: 4, record: { a: '3', b: 'é'.repeat(500) } });
    }
  });

  it('turns a 200 MB single field into a problem without holding it in memory', async () => {
    const block = Buffer.alloc(1 << 16, 'x');
    const blocks = (200 * 1024 * 1024) / block.length;
    async function* huge() {
      yield Buffer.from('id,notes\n1,"');
      for (let i = 0; i < blocks; i++) yield block;
      yield Buffer.from('"\n2,fine\n');
    }
    const before = process.memoryUsage().rss;
    let peak = before;
    const rows: CsvRow[] = [];
    for await (const item of readCsv(huge())) {
      rows.push(item);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ row: 1, line: 2, problem: { code: 'CSV_RECORD_TOO_LARGE' } });
    const raw = (rows[0] as { problem: { raw: string } }).problem.raw;
    expect(raw.length).toBeLessThanOrEqual(32 * 1024 + 1);
    expect(raw.startsWith('1,"xxx')).toBe(true);
    expect(rows[1]).toEqual({ row: 2, line: 3, record: { id: '2', notes: 'fine' } });
    expect(peak - before).toBeLessThan(100 * 1024 * 1024);
  });
});

describe('readCsv: close', () => {
  it('closes the source after header() when rows are not wanted', async () => {
    const source = Readable.from(
      (function* () {
        yield Buffer.from('a,b\n');
        for (let i = 0; i < 100_000; i++) yield Buffer.from(`${i},x\n`);
      })(),
    );
    const reader = readCsv(source);
    expect(await reader.header()).toEqual(['a', 'b']);
    expect(source.destroyed).toBe(false);
    await reader.close();
    expect(source.destroyed).toBe(true);
    expect(() => reader[Symbol.asyncIterator]()).toThrow(/already iterated/);
  });
});

describe('readCsv: more bad input', () => {
  it('survives broken UTF-16 (a lone surrogate, an odd last byte)', async () => {
    const body = Buffer.concat([
      Buffer.from('a,b\n1,', 'utf16le'),
      Buffer.from([0x00, 0xd8]),
      Buffer.from('x\n2,y\n', 'utf16le'),
      Buffer.from([0x41]),
    ]);
    const rows = await collect(readCsv(chunks(Buffer.concat([Buffer.from([0xff, 0xfe]), body]), 3)));
    expect(rows).toEqual([
      expect.objectContaining({ row: 1, problem: expect.objectContaining({ code: 'CSV_ENCODING', raw: '1,\uFFFDx' }) }),
      { row: 2, line: 3, record: { a: '2', b: 'y' } },
      expect.objectContaining({ row: 3, line: 4, problem: expect.objectContaining({ raw: '\uFFFD' }) }),
    ]);
  });

  it('with encoding declared as utf-8, invalid bytes make row problems instead of an error', async () => {
    const bytes = Buffer.from([...Buffer.from('Name\n'), 0x43, 0x61, 0x66, 0xe9, 0x0a, ...Buffer.from('Zoë\n')]);
    const rows = await collect(readCsv(chunks(bytes), { encoding: 'utf-8' }));
    expect(rows[0]).toMatchObject({ row: 1, line: 2, problem: { code: 'CSV_ENCODING' } });
    expect(rows[1]).toEqual({ row: 2, line: 3, record: { Name: 'Zoë' } });
  });

  it('recovers in a classic-Mac file too', async () => {
    const rows = await collect(readCsv(chunks('a,b\r1,"x\r2,3\r')));
    expect(rows).toEqual([
      expect.objectContaining({
        row: 1,
        line: 2,
        problem: expect.objectContaining({ code: 'CSV_UNCLOSED_QUOTE', raw: '1,"x' }),
      }),
      { row: 2, line: 3, record: { a: '2', b: '3' } },
    ]);
  });

  it('a huge quoted field with line breaks ends in problems, then reading goes on', async () => {
    const block = Buffer.from(`${'y'.repeat(1023)}\n`);
    async function* huge() {
      yield Buffer.from('id,notes\n1,"start\n');
      for (let i = 0; i < 3 * 1024; i++) yield block; // 3 MiB of lines inside one quoted field
      yield Buffer.from('end"\n2,fine\n');
    }
    const rows = await collect(readCsv(huge(), { maxRecordBytes: 1024 * 1024 }));
    expect(rows[0]).toMatchObject({ row: 1, line: 2, problem: { code: 'CSV_RECORD_TOO_LARGE' } });
    expect(rows.at(-1)).toMatchObject({ record: { id: '2', notes: 'fine' } });
    // Every row is numbered in order: nothing vanished.
    expect(rows.map((r) => r.row)).toEqual(rows.map((_, i) => i + 1));
  });
});

describe('readCsv: NUL bytes past the first 64 KiB', () => {
  it('makes only the rows holding them problems', async () => {
    const filler = Array.from({ length: 2000 }, (_, i) => `r${i},${'x'.repeat(40)}\n`).join('');
    const bytes = Buffer.concat([Buffer.from(`id,text\n${filler}bad,a`), Buffer.from([0]), Buffer.from('b\nok,c\n')]);
    const rows = await collect(readCsv(chunks(bytes)));
    expect(rows[2000]).toMatchObject({ row: 2001, problem: { code: 'CSV_BINARY', raw: 'bad,a\\0b' } });
    expect(rows[2001]).toEqual({ row: 2002, line: 2003, record: { id: 'ok', text: 'c' } });
  });

  it('gives the same verdict whatever the chunk size (the sniff looks at 64 KiB, however large the first chunk)', async () => {
    const filler = Array.from({ length: 3000 }, (_, i) => `r${i},${'x'.repeat(40)}\n`).join('');
    const bytes = Buffer.concat([Buffer.from(`id,text\n${filler}bad,a`), Buffer.from([0]), Buffer.from('b\nok,c\n')]);
    expect(bytes.indexOf(0)).toBeGreaterThan(64 * 1024);
    for (const size of [16 * 1024, 64 * 1024, 128 * 1024, 1024 * 1024]) {
      const rows = await collect(readCsv(chunks(bytes, size)));
      expect(rows, `chunks of ${size} bytes`).toHaveLength(3002);
      expect(rows[3000]).toMatchObject({ row: 3001, problem: { code: 'CSV_BINARY' } });
      expect(rows[3001]).toEqual({ row: 3002, line: 3003, record: { id: 'ok', text: 'c' } });
    }
  });
});
