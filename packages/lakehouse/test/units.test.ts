import { parseRows } from '@kicksaw/csv';
import { describe, expect, it } from 'vitest';
import {
  columnsFromDescribe,
  columnTypeOf,
  csvLine,
  quoteAnsiIdentifier,
  type SqlValue,
  sqlTimestamp,
  standardMergeSql,
  toSqlValue,
} from '../src/index.js';
import { selectedFields } from '../src/query-into.js';
import { OutcomeCounts } from '../src/retl-outcomes.js';

describe('type map', () => {
  it('maps Salesforce types to logical column types', () => {
    expect(columnTypeOf({ name: 'Id', type: 'id' })).toEqual({ kind: 'id' });
    expect(columnTypeOf({ name: 'AccountId', type: 'reference' })).toEqual({ kind: 'id' });
    expect(columnTypeOf({ name: 'Name', type: 'string', length: 255 })).toEqual({ kind: 'text', length: 255 });
    expect(columnTypeOf({ name: 'Tags__c', type: 'multipicklist', length: 4099 })).toEqual({
      kind: 'text',
      length: 4099,
    });
    expect(columnTypeOf({ name: 'Amount', type: 'currency', precision: 18, scale: 2 })).toEqual({
      kind: 'decimal',
      precision: 18,
      scale: 2,
    });
    expect(columnTypeOf({ name: 'Probability', type: 'percent', precision: 3, scale: 0 })).toEqual({
      kind: 'decimal',
      precision: 3,
      scale: 0,
    });
    expect(columnTypeOf({ name: 'X', type: 'double', precision: 0, scale: 0 })).toEqual({ kind: 'double' });
    expect(columnTypeOf({ name: 'N', type: 'int' })).toEqual({ kind: 'integer' });
    expect(columnTypeOf({ name: 'B', type: 'boolean' })).toEqual({ kind: 'boolean' });
    expect(columnTypeOf({ name: 'D', type: 'date' })).toEqual({ kind: 'date' });
    expect(columnTypeOf({ name: 'T', type: 'datetime' })).toEqual({ kind: 'timestamp' });
    expect(columnTypeOf({ name: 'Tm', type: 'time' })).toEqual({ kind: 'time' });
    expect(columnTypeOf({ name: 'BillingAddress', type: 'address' })).toBeUndefined();
    expect(columnTypeOf({ name: 'Loc__c', type: 'location' })).toBeUndefined();
    expect(columnTypeOf({ name: 'Body', type: 'base64' })).toBeUndefined();
    expect(columnTypeOf({ name: 'Body', type: 'base64' }, true)).toEqual({ kind: 'text' });
  });

  it('keeps chosen fields (plus Id and the system fields), in describe order, with overrides', () => {
    const fields = [
      { name: 'Id', type: 'id' },
      { name: 'IsDeleted', type: 'boolean' },
      { name: 'Name', type: 'string', length: 80 },
      { name: 'BillingAddress', type: 'address' },
      { name: 'BillingCity', type: 'string', length: 40, compoundFieldName: 'BillingAddress' },
      { name: 'Description', type: 'textarea', length: 32000 },
      { name: 'SystemModstamp', type: 'datetime' },
    ];
    expect(columnsFromDescribe(fields).map((c) => c.name)).toEqual([
      'Id',
      'IsDeleted',
      'Name',
      'BillingCity',
      'Description',
      'SystemModstamp',
    ]);
    const chosen = columnsFromDescribe(fields, {
      fields: ['description', 'billingcity'],
      overrides: { description: { kind: 'sql', sql: 'TEXT' } },
    });
    expect(chosen).toEqual([
      { name: 'Id', type: { kind: 'id' } },
      { name: 'IsDeleted', type: { kind: 'boolean' } },
      { name: 'BillingCity', type: { kind: 'text', length: 40 } },
      { name: 'Description', type: { kind: 'sql', sql: 'TEXT' } },
      { name: 'SystemModstamp', type: { kind: 'timestamp' } },
    ]);
  });
});

describe('values', () => {
  it('turns REST and Bulk datetimes into UTC timestamps with milliseconds', () => {
    expect(toSqlValue('2024-01-01T10:00:00.123+0000', { kind: 'timestamp' })).toBe('2024-01-01 10:00:00.123');
    expect(toSqlValue('2024-01-01T10:00:00.123Z', { kind: 'timestamp' })).toBe('2024-01-01 10:00:00.123');
    expect(toSqlValue('2024-01-01T12:00:00.005+0200', { kind: 'timestamp' })).toBe('2024-01-01 10:00:00.005');
    expect(toSqlValue('', { kind: 'timestamp' })).toBeNull();
    expect(toSqlValue('10:30:00.000Z', { kind: 'time' })).toBe('10:30:00.000');
    expect(toSqlValue('TRUE', { kind: 'boolean' })).toBe(true);
    expect(toSqlValue(12.5, { kind: 'decimal', precision: 18, scale: 2 })).toBe(12.5);
    expect(toSqlValue(null, { kind: 'text' })).toBeNull();
    expect(sqlTimestamp(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)))).toBe('2024-01-02 03:04:05.006');
  });

  it('writes CSV lines that keep NULL and empty strings apart', () => {
    expect(csvLine(['a,b', null, '', 3, true, 'say "hi"\nbye'])).toBe('"a,b",,"",3,true,"say ""hi""\nbye"\n');
    expect(csvLine([new Date(Date.UTC(2024, 0, 1))])).toBe('2024-01-01 00:00:00.000\n');
  });

  it('writes through RowEncoder the same bytes as the encoder it replaced, on tricky values', () => {
    // The hand-written encoder csvLine was before it became RowEncoder's 'strings' rule, kept as the reference.
    const reference = (values: readonly SqlValue[]): string => {
      let line = '';
      for (let i = 0; i < values.length; i++) {
        if (i > 0) line += ',';
        const value = values[i];
        if (value === null || value === undefined) continue;
        if (typeof value === 'string') line += `"${value.replaceAll('"', '""')}"`;
        else if (value instanceof Date) line += sqlTimestamp(value);
        else line += String(value);
      }
      return `${line}\n`;
    };
    const tricky: SqlValue[] = [
      'plain',
      '',
      ' ',
      'a,b',
      'say "hi"',
      '"',
      '""',
      'line\nbreak',
      'crlf\r\nline',
      'lone\rcr',
      '=1+1',
      '#N/A',
      'NULL',
      '李小龙 🙂',
      null,
      0,
      -1.5,
      1e21,
      Number.MAX_SAFE_INTEGER,
      12345678901234567890n,
      true,
      false,
      new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)),
      new Date(Date.UTC(1969, 11, 31, 23, 59, 59, 999)),
      new Date(Date.UTC(9999, 11, 31)),
    ];
    const rows: SqlValue[][] = [[], [null], [''], ['x'], [new Date(0)], [null, null], ['', null, '']];
    for (let i = 0; i < tricky.length; i++) {
      rows.push([tricky[i] as SqlValue]);
      rows.push(tricky.map((_, j) => tricky[(i + j) % tricky.length] as SqlValue));
    }
    for (const row of rows) expect(csvLine(row)).toBe(reference(row));
    // Read back by a CSV parser, every value comes back as its text (null as an empty field).
    const text = (value: SqlValue) =>
      value === null ? '' : value instanceof Date ? sqlTimestamp(value) : String(value);
    for (const row of rows.filter((r) => r.length > 1)) expect(parseRows(csvLine(row))).toEqual([row.map(text)]);
  });
});

describe('SQL', () => {
  it('quotes identifiers exactly', () => {
    expect(quoteAnsiIdentifier('Account')).toBe('"Account"');
    expect(quoteAnsiIdentifier('we"ird')).toBe('"we""ird"');
    expect(() => quoteAnsiIdentifier('')).toThrow(TypeError);
  });

  it('builds a MERGE that collapses duplicates and never lets an older row win', () => {
    const { mergeSql, mergeDistinctSql, countSql, insertSql } = standardMergeSql(
      {
        target: 'T',
        staging: 'S',
        key: 'Id',
        columns: ['Id', 'Name', 'SystemModstamp'],
        versionColumn: 'SystemModstamp',
      },
      quoteAnsiIdentifier,
      quoteAnsiIdentifier,
    );
    expect(mergeSql).toContain('SELECT DISTINCT ON ("Id") * FROM "S" ORDER BY "Id", "SystemModstamp" DESC NULLS LAST');
    expect(mergeSql).toContain(
      'WHEN MATCHED AND (t."SystemModstamp" IS NULL OR s."SystemModstamp" >= t."SystemModstamp")',
    );
    expect(mergeSql).not.toMatch(/SET "Id"/);
    // Without a key staged twice, the same MERGE reads staging as it is.
    expect(mergeDistinctSql).toBe(mergeSql.replace(/\(SELECT DISTINCT ON .*? ORDER BY .*?\) AS s/, '"S" AS s'));
    expect(countSql).toContain('AS stale');
    expect(insertSql).toMatch(/^INSERT INTO "T"/);
  });

  it('reads the select list of a SOQL query', () => {
    expect(selectedFields('SELECT Id, Name, Account.Owner.Name FROM Contact WHERE x = 1')).toEqual([
      'Id',
      'Name',
      'Account.Owner.Name',
    ]);
    expect(() => selectedFields('SELECT COUNT() FROM Contact')).toThrow(/cannot be a column/);
  });
});

describe('reverse ETL outcome ranges', () => {
  const rangesOf = (staged: number, batchRows: number, seqs: number[]) => {
    const counts = new OutcomeCounts(staged, batchRows);
    for (const seq of seqs) counts.add(seq);
    return [...counts.ranges()];
  };
  const contains = (ranges: [number, number][], seq: number) =>
    ranges.filter(([after, upTo]) => seq > after && seq <= upTo).length;

  it('covers every outcome exactly once, in order, with at most batchRows outcomes a range', () => {
    const seqs = Array.from({ length: 10_000 }, (_, i) => i + 1);
    const ranges = rangesOf(10_000, 3_000, seqs);
    expect(ranges).toEqual([
      [0, 2048],
      [2048, 4096],
      [4096, 6144],
      [6144, 8192],
      [8192, 10_000],
    ]);
    for (const seq of seqs) expect(contains(ranges, seq)).toBe(1);
  });

  it('makes one range of few outcomes spread over many rows (a diffed rerun), and none of no outcome', () => {
    const seqs = [1, 17, 4_000, 99_999, 100_000];
    const ranges = rangesOf(100_000, 50_000, seqs);
    expect(ranges).toEqual([[0, 100_000]]);
    for (const seq of seqs) expect(contains(ranges, seq)).toBe(1);
    expect(rangesOf(100, 10, [])).toEqual([]);
  });

  it('splits small batches row by row when batchRows is below a bucket', () => {
    const seqs = [1, 2, 3, 4, 5, 6, 7];
    const ranges = rangesOf(7, 3, seqs);
    expect(ranges).toEqual([
      [0, 3],
      [3, 6],
      [6, 7],
    ]);
    for (const seq of seqs) expect(contains(ranges, seq)).toBe(1);
  });
});
