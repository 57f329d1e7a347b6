import { ConfigError, InputError, type SalesforceRecord } from '@kicksaw/core';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import {
  type BulkDelimiter,
  type CsvPart,
  mapRows,
  type RejectedRecord,
  readCsv,
  splitCsv,
  splitCsvStream,
  toBulkCsv,
} from '../src/index.js';
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

function parsePart(part: CsvPart, delimiter = ',', lineEnding = '\n'): Array<Record<string, string>> {
  return parse(part.csv, { columns: true, delimiter, record_delimiter: lineEnding, bom: false }) as Array<
    Record<string, string>
  >;
}

describe('toBulkCsv', () => {
  it('writes the header from fields, #N/A for null, empty for undefined and empty strings', () => {
    const csv = toBulkCsv([{ LastName: 'Doe', Email: null, Age: 3, Active: true, Note: '' }], {
      fields: ['LastName', 'Email', 'Phone', 'Age', 'Active', 'Note'],
    });
    expect(csv).toBe('LastName,Email,Phone,Age,Active,Note\nDoe,#N/A,,3,true,\n');
  });

  it('uses the job delimiter and line ending', () => {
    expect(toBulkCsv([{ A: 'x;y', B: 'z' }], { fields: ['A', 'B'], delimiter: 'SEMICOLON', lineEnding: 'CRLF' })).toBe(
      'A;B\r\n"x;y";z\r\n',
    );
  });

  it('writes exactly what csv-stringify writes (quoting any value with CR or LF)', () => {
    const records = TRICKY.map((text, i) => ({ A: text, B: TRICKY[(i + 3) % TRICKY.length] as string, C: String(i) }));
    for (const [delimiter, char] of [
      ['COMMA', ','],
      ['TAB', '\t'],
      ['PIPE', '|'],
      ['CARET', '^'],
    ] as const) {
      const ours = toBulkCsv(records, { fields: ['A', 'B', 'C'], delimiter });
      const theirs = stringify(records, {
        header: true,
        columns: ['A', 'B', 'C'],
        delimiter: char,
        record_delimiter: '\n',
        quote_record_delimiter: true,
      });
      expect(ours).toBe(theirs);
    }
  });

  it('refuses bad options and values that cannot be written', () => {
    expect(() => toBulkCsv([], { fields: [] })).toThrow(ConfigError);
    expect(() => toBulkCsv([], { fields: ['A', 'A'] })).toThrow(/twice/);
    expect(() => toBulkCsv([], { fields: ['A'], delimiter: 'COLON' as BulkDelimiter })).toThrow(ConfigError);
    expect(() => toBulkCsv([{ A: Number.NaN }], { fields: ['A'] })).toThrow(InputError);
    expect(() => toBulkCsv([{ A: 'x', B: 'y' }], { fields: ['A'], unknownFields: 'error' })).toThrow(/"B"/);
    expect(toBulkCsv([{ A: 'x', B: 'y' }], { fields: ['A'] })).toBe('A\nx\n');
  });
});

describe('splitCsv', () => {
  it('cuts on record boundaries; every part has the header, fits maxBytes and lists its rows', async () => {
    const records = Array.from({ length: 200 }, (_, i) => ({
      row: i + 1,
      record: { Name: `n${i}`, Note: TRICKY[i % TRICKY.length] as string } as SalesforceRecord,
    }));
    const parts = await collect(splitCsv(records, { fields: ['Name', 'Note'], maxBytes: 300 }));
    expect(parts.length).toBeGreaterThan(5);
    const seen: number[] = [];
    parts.forEach((part, p) => {
      expect(part.part).toBe(p + 1);
      expect(part.bytes).toBeLessThanOrEqual(300);
      expect(part.csv.length).toBe(part.bytes);
      expect(part.csv.toString().startsWith('Name,Note\n')).toBe(true);
      const rows = parsePart(part);
      expect(rows).toHaveLength(part.rows.length);
      rows.forEach((r, i) => {
        const n = part.rows[i] as number;
        expect(r).toEqual({ Name: `n${n - 1}`, Note: TRICKY[(n - 1) % TRICKY.length] });
      });
      seen.push(...part.rows);
    });
    expect(seen).toEqual(records.map((r) => r.row));
    // Greedy: a part is only cut when the next record does not fit.
    for (let p = 0; p < parts.length - 1; p++) {
      const next = records[(parts[p + 1]?.rows[0] as number) - 1]?.record as SalesforceRecord;
      const nextBytes = Buffer.byteLength(toBulkCsv([next], { fields: ['Name', 'Note'] })) - 'Name,Note\n'.length;
      expect((parts[p]?.bytes as number) + nextBytes).toBeGreaterThan(300);
    }
  });

  it('round-trips quotes, newlines, delimiters and non-Latin text with every delimiter and line ending', async () => {
    const chars: Record<BulkDelimiter, string> = {
      COMMA: ',',
      TAB: '\t',
      SEMICOLON: ';',
      PIPE: '|',
      CARET: '^',
      BACKQUOTE: '`',
    };
    for (const delimiter of Object.keys(chars) as BulkDelimiter[]) {
      for (const lineEnding of ['LF', 'CRLF'] as const) {
        const records = TRICKY.map((text, i) => ({ Id: String(i), Text: text, Null: i % 2 === 0 ? null : 'x' }));
        const parts = await collect(
          splitCsv(records, { fields: ['Id', 'Text', 'Null'], delimiter, lineEnding, maxBytes: 120 }),
        );
        const back = parts.flatMap((part) => parsePart(part, chars[delimiter], lineEnding === 'CRLF' ? '\r\n' : '\n'));
        expect(back).toEqual(records.map((r) => ({ Id: r.Id, Text: r.Text, Null: r.Null ?? '#N/A' })));
        expect(parts.flatMap((p) => p.rows)).toEqual(records.map((_, i) => i + 1));
        for (const part of parts) expect(part.bytes).toBe(Buffer.byteLength(part.csv.toString('utf8')));
      }
    }
  });

  it('respects maxRows', async () => {
    const parts = await collect(
      splitCsv(
        Array.from({ length: 10 }, (_, i) => ({ A: i })),
        { fields: ['A'], maxRows: 4 },
      ),
    );
    expect(parts.map((p) => p.rows)).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10],
    ]);
  });

  it('gives nothing for no records', async () => {
    expect(await collect(splitCsv([], { fields: ['A'] }))).toEqual([]);
  });

  it('rejects a record larger than a part, and a value that cannot be written, never dropping them', async () => {
    const records = [
      { row: 1, record: { A: 'small' } },
      { row: 2, record: { A: 'x'.repeat(100) } },
      { row: 3, record: { A: Number.POSITIVE_INFINITY } },
      { row: 4, record: { A: 'small too' } },
    ];
    const rejected: RejectedRecord[] = [];
    const parts = await collect(
      splitCsv(records, { fields: ['A'], maxBytes: 50, onRejected: (r) => void rejected.push(r) }),
    );
    expect(parts.flatMap((p) => p.rows)).toEqual([1, 4]);
    expect(rejected.map((r) => [r.row, r.error.statusCode, r.bytes])).toEqual([
      [2, 'KICKSAW_RECORD_TOO_LARGE', 101],
      [3, 'KICKSAW_INVALID_VALUE', 0],
    ]);
    const error = await collect(splitCsv(records, { fields: ['A'], maxBytes: 50 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toContain('Row 2 cannot be sent');
  });

  it('refuses a maxBytes too small for the header', async () => {
    await expect(collect(splitCsv([{ LongFieldName: 1 }], { fields: ['LongFieldName'], maxBytes: 5 }))).rejects.toThrow(
      ConfigError,
    );
  });

  it('takes mapRows output directly: good rows in parts, failed rows to onRejected', async () => {
    const text = 'Name,Amount\nAda,"1,5"\nBob,lots\n"Cé, ""the"" one",2\nBroken\n';
    const rows = mapRows(readCsv(chunks(text)), {
      fields: { LastName: 'Name', Amount__c: { from: 'Amount', type: 'number', decimalSeparator: ',' } },
    });
    const rejected: RejectedRecord[] = [];
    const parts = await collect(
      splitCsv(rows, { fields: ['LastName', 'Amount__c'], onRejected: (r) => void rejected.push(r) }),
    );
    expect(parts).toHaveLength(1);
    expect(parts[0]?.rows).toEqual([1, 3]);
    expect(parsePart(parts[0] as CsvPart)).toEqual([
      { LastName: 'Ada', Amount__c: '1.5' },
      { LastName: 'Cé, "the" one', Amount__c: '2' },
    ]);
    expect(rejected.map((r) => [r.row, r.line, r.error.statusCode, r.record])).toEqual([
      [2, 3, 'KICKSAW_INVALID_VALUE', { Name: 'Bob', Amount: 'lots' }],
      [4, 5, 'CSV_TOO_FEW_FIELDS', { raw: 'Broken' }],
    ]);
  });
});

describe('splitCsvStream', () => {
  it('cuts exactly as splitCsv does, streaming each part in chunks', async () => {
    const records = Array.from({ length: 10_000 }, (_, i) => ({
      row: i + 10,
      record: { Name: `n${i}`, Note: `${TRICKY[i % TRICKY.length]} ${'y'.repeat(i % 200)}` } as SalesforceRecord,
    }));
    const options = { fields: ['Name', 'Note'], maxBytes: 600_000 };
    const expected = await collect(splitCsv(records, options));
    const streamed: Array<{ csv: Buffer; rows: number[]; bytes: number; chunks: number }> = [];
    for await (const part of splitCsvStream(records, options)) {
      const pieces: Buffer[] = [];
      for await (const piece of part.body) pieces.push(Buffer.from(piece));
      streamed.push({ csv: Buffer.concat(pieces), rows: part.rows, bytes: part.bytes, chunks: pieces.length });
    }
    expect(streamed.length).toBe(expected.length);
    streamed.forEach((part, i) => {
      expect(part.csv.equals(expected[i]?.csv as Buffer)).toBe(true);
      expect(part.rows).toEqual(expected[i]?.rows);
      expect(part.bytes).toBe(expected[i]?.bytes);
    });
    expect(streamed.some((p) => p.chunks > 1)).toBe(true);
  });

  it('refuses to move on before a part body was read', async () => {
    const parts = splitCsvStream(
      Array.from({ length: 10 }, (_, i) => ({ A: i })),
      { fields: ['A'], maxRows: 2 },
    );
    await parts.next();
    await expect(parts.next()).rejects.toThrow(/read each part's body/);
  });
});

describe('readCsv reads what splitCsv writes', () => {
  it('round-trips every tricky value through our own reader, delimiter detected', async () => {
    const records = TRICKY.map((text, i) => ({
      row: i + 1,
      record: { Id: `r${i}`, Text: text, Other: TRICKY[(i + 5) % TRICKY.length] as string },
    }));
    for (const delimiter of ['COMMA', 'SEMICOLON', 'TAB', 'PIPE'] as const) {
      for (const lineEnding of ['LF', 'CRLF'] as const) {
        const parts = await collect(
          splitCsv(records, { fields: ['Id', 'Text', 'Other'], delimiter, lineEnding, maxBytes: 200 }),
        );
        const back: Array<Record<string, string>> = [];
        for (const part of parts) {
          for (const item of await collect(readCsv(chunks(part.csv, 7)))) {
            if ('problem' in item) throw new Error(item.problem.message);
            back.push(item.record);
          }
        }
        expect(back).toEqual(records.map((r) => r.record));
      }
    }
  });

  it('hands out the same rows in batches', async () => {
    const text = `a,b\n${Array.from({ length: 20_000 }, (_, i) => `${i},x${i}`).join('\n')}\n`;
    const batches = await collect(readCsv(chunks(text, 4096)).batches());
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.flat().map((r) => r.row)).toEqual(Array.from({ length: 20_000 }, (_, i) => i + 1));
    const mapped = await collect(mapRows(readCsv(chunks(text, 4096)), { fields: { B: 'b' } }).batches());
    expect(mapped.flat().map((r) => (r.ok ? r.record.B : undefined))).toEqual(
      Array.from({ length: 20_000 }, (_, i) => `x${i}`),
    );
  });
});
