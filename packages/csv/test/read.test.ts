import { describe, expect, it } from 'vitest';
import { readCsv } from '../src/index.js';
import { chunks, collect, recordsOf } from './helpers.js';

describe('readCsv basics', () => {
  it('reads records with row and line numbers', async () => {
    const rows = await collect(readCsv(chunks('Name,Email\nAda,ada@x.io\nBob,bob@x.io\n')));
    expect(rows).toEqual([
      { row: 1, line: 2, record: { Name: 'Ada', Email: 'ada@x.io' } },
      { row: 2, line: 3, record: { Name: 'Bob', Email: 'bob@x.io' } },
    ]);
  });

  it('handles quotes, CRLF, embedded newlines and empty lines across 1-byte chunks', async () => {
    const text = 'a;b\r\n"x;1";"say ""hi"""\r\n\r\n"multi\r\nline";2\r\n3;4';
    for (const size of [1, 2, 3, 7, 1 << 16]) {
      const rows = await collect(readCsv(chunks(text, size)));
      expect(rows).toEqual([
        { row: 1, line: 2, record: { a: 'x;1', b: 'say "hi"' } },
        { row: 2, line: 4, record: { a: 'multi\r\nline', b: '2' } },
        { row: 3, line: 6, record: { a: '3', b: '4' } },
      ]);
    }
  });

  it('reports ragged rows as problems and goes on', async () => {
    const rows = await collect(readCsv(chunks('a,b\n1,2\n1,2,3\n4\n5,6\n')));
    expect(rows[0]).toEqual({ row: 1, line: 2, record: { a: '1', b: '2' } });
    expect(rows[1]).toMatchObject({ row: 2, line: 3, problem: { code: 'CSV_TOO_MANY_FIELDS', raw: '1,2,3' } });
    expect(rows[2]).toMatchObject({ row: 3, line: 4, problem: { code: 'CSV_TOO_FEW_FIELDS', raw: '4' } });
    expect(rows[3]).toEqual({ row: 4, line: 5, record: { a: '5', b: '6' } });
  });

  it('recovers from an unterminated quote at the next line', async () => {
    const rows = await collect(readCsv(chunks('a,b,c\n1,"abc,2\n3,4,5\n6,"q",7\n')));
    expect(rows[0]).toMatchObject({ row: 1, line: 2, problem: { code: 'CSV_INVALID_QUOTE', raw: '1,"abc,2' } });
    expect(recordsOf(rows.slice(1))).toEqual([
      { a: '3', b: '4', c: '5' },
      { a: '6', b: 'q', c: '7' },
    ]);
    expect(rows.map((r) => r.line)).toEqual([2, 3, 4]);
  });

  it('header-only gives zero rows', async () => {
    expect(await collect(readCsv(chunks('a,b\n')))).toEqual([]);
  });
});
