// The Bulk query results writer encodes rows straight into byte buffers (for speed). These tests hold it to the
// string formatting it replaced: every value written byte for byte as `quote(formatCsvValue(value))` would, and
// pages that are the same rows whatever the page size, the page position or the buffer boundaries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CsvByteWriter, formatCsvValue, quote } from '../src/bulk/csv.js';
import type { SalesforceEmulator } from '../src/index.js';
import { api, csvRows, raw, startEmulator, waitForJob } from './http-support.js';

/** What the string writer sent for a value of a non-datetime column (the string, encoded as UTF-8 on the wire). */
const reference = (value: unknown) =>
  Buffer.from(value === null || value === undefined ? '""' : quote(formatCsvValue(value)), 'utf8').toString('utf8');

function written(write: (out: CsvByteWriter) => void, chunkBytes = 8): string {
  const out = new CsvByteWriter('LF', chunkBytes);
  write(out);
  out.flush();
  return Buffer.concat(out.ready).toString('utf8');
}

describe('CsvByteWriter', () => {
  const texts = [
    '',
    'plain',
    'say "hi", ok',
    '"',
    '""',
    'line\nbreak\r\nand,comma',
    'café',
    'naïve "quoted" ünïcödé',
    'emoji 😀 and "quote" after',
    '日本語のテキスト',
    'lone \ud800 surrogate',
    'x'.repeat(5000),
    `${'é'.repeat(3000)}"`,
  ];
  it('writes text values as the string writer did (quotes doubled, UTF-8), across buffer boundaries', () => {
    for (const size of [4, 8, 64, 256 * 1024]) {
      for (const text of texts) expect(written((out) => out.quoted(text), size)).toBe(reference(text));
      expect(
        written((out) => {
          for (const text of texts) out.quoted(text);
        }, size),
      ).toBe(texts.map(reference).join(''));
    }
  });

  it('writes numbers and booleans exactly as String() does', () => {
    const numbers = [0, -0, 1, -1, 0.5, 0.05, 0.1, 1.1, 1234.56, -1234.56, 99.99, 1e12, 999999999999.99, 1e13, 1e21];
    numbers.push(1e-7, 0.001, 123.456, 0.015, 2.675, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, 5e-324);
    for (let i = 0; i < 5000; i++) {
      numbers.push(Math.round((Math.sin(i) - 0.5) * 10 ** (1 + (i % 15))) / 100, Math.cos(i) * 10 ** (i % 20));
    }
    const values = [...numbers, true, false];
    const out = new CsvByteWriter('LF', 64);
    for (const value of values) out.scalar(value);
    out.flush();
    expect(Buffer.concat(out.ready).toString()).toBe(values.map(reference).join(''));
  });

  it('writes stored datetimes with Z and leaves other text to the caller', () => {
    expect(written((out) => out.dateTime('2024-05-01T10:20:30.123+0000'))).toBe('"2024-05-01T10:20:30.123Z"');
    const out = new CsvByteWriter('LF');
    expect(out.dateTime('2024-05-01T10:20:30+0000')).toBe(false);
    expect(out.size()).toBe(0);
  });

  it('writes other values (objects, nulls) as formatCsvValue did, and the line endings of the job', () => {
    for (const value of [null, undefined, { a: 1 }, ['x', 'y'], 'text'])
      expect(written((out) => out.value(value))).toBe(reference(value));
    const crlf = new CsvByteWriter('CRLF');
    crlf.empty();
    crlf.byte(9);
    crlf.quoted('a');
    crlf.eol();
    crlf.flush();
    expect(Buffer.concat(crlf.ready).toString()).toBe('""\t"a"\r\n');
  });
});

let sf: SalesforceEmulator;
const notes = ['say "hi", ok', 'multi\nline', 'café ünïcödé', 'emoji 😀', null, '', ',', '"'];
beforeAll(async () => {
  sf = await startEmulator();
  sf.org.seed(
    'Widget__c',
    Array.from({ length: 2500 }, (_, i) => ({
      Name: `P${String(i).padStart(5, '0')}`,
      Code__c: i % 3 === 0 ? 'ÄÖ' : 'P',
      Amount__c: i % 7 === 0 ? null : (i * 37.5) / 3,
      Due__c: i % 5 === 0 ? null : '2024-02-29',
      Note__c: notes[i % notes.length],
    })),
  );
});
afterAll(async () => {
  await sf.stop();
});

async function pages(query: string, maxRecords?: number): Promise<{ texts: string[]; counts: string[] }> {
  const created = await raw(sf, 'POST', api(sf, '/jobs/query'), { body: JSON.stringify({ query }) });
  const id = (created.json() as { id: string }).id;
  await waitForJob(sf, 'query', id);
  const texts: string[] = [];
  const counts: string[] = [];
  let locator = '';
  do {
    const params = [maxRecords ? `maxRecords=${maxRecords}` : '', locator ? `locator=${locator}` : ''];
    const page = await raw(sf, 'GET', api(sf, `/jobs/query/${id}/results?${params.filter(Boolean).join('&')}`));
    expect(page.status).toBe(200);
    texts.push(page.text);
    counts.push(page.headers.get('sforce-numberofrecords') ?? '');
    locator = page.headers.get('sforce-locator') ?? 'null';
  } while (locator !== 'null');
  return { texts, counts };
}

describe('Bulk query results pages', () => {
  const soql =
    'SELECT Id, Name, Code__c, Amount__c, Due__c, Note__c, CreatedDate, Owner.Name FROM Widget__c ORDER BY Name';

  it('match the REST query of the same SOQL, value for value', async () => {
    const { texts } = await pages(soql);
    expect(texts).toHaveLength(1);
    const rows = csvRows(texts[0] as string);
    expect(rows[0]).toEqual(['Id', 'Name', 'Code__c', 'Amount__c', 'Due__c', 'Note__c', 'CreatedDate', 'Owner.Name']);
    const rest = sf.org.query(soql).records;
    expect(rows.slice(1)).toEqual(
      rest.map((record) => {
        const owner = record.Owner as { Name: string } | null;
        const text = (value: unknown) => (value === null || value === undefined ? '' : String(value));
        return [
          text(record.Id),
          text(record.Name),
          text(record.Code__c),
          text(record.Amount__c),
          text(record.Due__c),
          text(record.Note__c),
          String(record.CreatedDate).replace('+0000', 'Z'),
          owner?.Name ?? '',
        ];
      }),
    );
  });

  it('hold the same rows whatever maxRecords is, each page with its header and its own count', async () => {
    const whole = (await pages(soql)).texts[0] as string;
    const [header, ...lines] = csvRows(whole);
    for (const size of [13, 400, 2499, 2500, 10_000]) {
      const { texts, counts } = await pages(soql, size);
      expect(texts).toHaveLength(Math.ceil(2500 / size));
      const rows: string[][] = [];
      texts.forEach((text, index) => {
        const [pageHeader, ...pageRows] = csvRows(text);
        expect(pageHeader).toEqual(header);
        expect(String(pageRows.length)).toBe(counts[index]);
        rows.push(...pageRows);
      });
      expect(rows).toEqual(lines);
    }
  });
});
