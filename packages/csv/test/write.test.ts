import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { splitCsv, toBulkCsv } from '../src/index.js';
import { collect } from './helpers.js';

describe('toBulkCsv', () => {
  it('writes header, #N/A for null, empty for undefined', () => {
    expect(
      toBulkCsv([{ LastName: 'Doe', Email: null, Age: 3, Active: true }], {
        fields: ['LastName', 'Email', 'Phone', 'Age', 'Active'],
      }),
    ).toBe('LastName,Email,Phone,Age,Active\nDoe,#N/A,,3,true\n');
  });
});

describe('splitCsv', () => {
  it('cuts on record boundaries, every part with the header and its row numbers', async () => {
    const records = Array.from({ length: 10 }, (_, i) => ({
      row: i + 1,
      record: { Name: `n${i}`, Note: 'x'.repeat(i) },
    }));
    const parts = await collect(splitCsv(records, { fields: ['Name', 'Note'], maxBytes: 40 }));
    const seen: number[] = [];
    for (const part of parts) {
      expect(part.bytes).toBeLessThanOrEqual(40);
      expect(part.csv.length).toBe(part.bytes);
      const rows = parse(part.csv, { columns: true }) as Array<Record<string, string>>;
      expect(rows.length).toBe(part.rows.length);
      rows.forEach((r, i) => {
        const n = part.rows[i] as number;
        expect(r).toEqual({ Name: `n${n - 1}`, Note: 'x'.repeat(n - 1) });
      });
      seen.push(...part.rows);
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});
