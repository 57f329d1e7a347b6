import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SalesforceEmulator } from '@kicksaw/sf-emulator';
import { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryToFile, SalesforceApiError } from '../src/index.js';
import { cuttingProxy, FAST, parseCsv, startOrg, tokenConnection } from './helpers.js';

let sf: SalesforceEmulator;
let conn: Connection;
let folder: string;
const N = 2_345;
const HARD = 'a "quoted", comma\nline break, ünïcødé ✓ 日本';
const SOQL = 'SELECT Id, Name, Qty__c, Active__c, Note__c FROM Item__c';

beforeAll(async () => {
  sf = await startOrg();
  sf.org.seed(
    'Item__c',
    Array.from({ length: N }, (_, i) => ({
      Name: `f-${i + 1}`,
      Ext__c: `F-${i + 1}`,
      Required__c: 'r',
      Qty__c: i % 7 === 0 ? null : i + 0.5,
      Active__c: i % 2 === 0,
      // Line breaks and quotes near page edges (page size 700 below): the record count must see through them.
      Note__c: i === 3 || i === 699 || i === 700 ? HARD : null,
    })),
  );
  conn = tokenConnection(sf);
  folder = await mkdtemp(join(tmpdir(), 'sf-bulk-query-file-'));
});
afterAll(async () => {
  await sf?.stop();
  if (folder) await rm(folder, { recursive: true, force: true });
});

/** Checks the file against the org, cell by cell: one header, every record once, byte-exact values. */
async function expectWholeResult(path: string): Promise<string[][]> {
  const rows = parseCsv(await readFile(path, 'utf8'));
  expect(rows[0]).toEqual(['Id', 'Name', 'Qty__c', 'Active__c', 'Note__c']);
  const records = rows.slice(1);
  expect(records).toHaveLength(N);
  expect(new Set(records.map((r) => r[0])).size).toBe(N);
  const org = new Map(sf.org.records('Item__c').map((r) => [String(r.Id), r]));
  for (const [id, name, qty, active, note] of records) {
    const record = org.get(id as string) as Record<string, unknown>;
    expect(name).toBe(record.Name);
    expect(qty).toBe(record.Qty__c === null ? '' : String(record.Qty__c));
    expect(active).toBe(String(record.Active__c));
    expect(note).toBe(record.Note__c ?? '');
  }
  return records;
}

describe('queryToFile', () => {
  it('writes every page into one file with one header line, and counts the records in the bytes', async () => {
    const path = join(folder, 'all.csv');
    const progress: number[] = [];
    const result = await queryToFile(conn, SOQL, path, {
      pageSize: 700,
      ...FAST,
      onPage: (p) => progress.push(p.records),
    });
    expect(result.records).toBe(N);
    expect(result.pages).toBe(4);
    expect(progress).toEqual([700, 1400, 2100, N]);
    expect(result.bytes).toBe((await stat(path)).size);
    expect(result.jobId).toMatch(/^750/);
    const records = await expectWholeResult(path);
    // Quotes, commas, a line break and non-Latin text arrive byte for byte (UTF-8), also across page edges.
    expect(records.find((r) => r[1] === 'f-4')?.[4]).toBe(HARD);
    expect(records.find((r) => r[1] === 'f-700')?.[4]).toBe(HARD);
    expect(records.find((r) => r[1] === 'f-701')?.[4]).toBe(HARD);
  });

  it('writes the header line alone for zero records, over what the file held before', async () => {
    const path = join(folder, 'none.csv');
    await writeFile(path, 'old content that must go\n'.repeat(100));
    const result = await queryToFile(conn, "SELECT Id, Name FROM Item__c WHERE Name = 'none'", path, FAST);
    expect(result.records).toBe(0);
    const text = await readFile(path, 'utf8');
    // Salesforce sends the header line for an empty result: the file holds it alone.
    expect(parseCsv(text)).toEqual([['Id', 'Name']]);
    expect(result.bytes).toBe(Buffer.byteLength(text));
  });

  it('writes a page again from its own start when its download is cut mid-body: every record once', async () => {
    const proxy = await cuttingProxy(new URL(sf.instanceUrl), 2);
    try {
      const through = new Connection({ instanceUrl: proxy.url, accessToken: sf.accessToken, version: sf.apiVersion });
      const path = join(folder, 'cut.csv');
      const result = await queryToFile(through, SOQL, path, { pageSize: 1000, ...FAST });
      expect(proxy.cuts()).toBe(2);
      expect(result.records).toBe(N);
      expect(result.pages).toBe(3);
      await expectWholeResult(path);
    } finally {
      await proxy.close();
    }
  });

  it('fails with the last whole page in the file when a page keeps breaking off', async () => {
    const proxy = await cuttingProxy(new URL(sf.instanceUrl), 100);
    try {
      const through = new Connection({ instanceUrl: proxy.url, accessToken: sf.accessToken, version: sf.apiVersion });
      const path = join(folder, 'broken.csv');
      await expect(queryToFile(through, SOQL, path, { pageSize: 1000, pageAttempts: 2, ...FAST })).rejects.toThrow();
      expect(proxy.cuts()).toBeGreaterThanOrEqual(2);
      // Nothing of a broken page stays in the file: it is empty (the first page never came whole).
      expect((await stat(path)).size).toBe(0);
    } finally {
      await proxy.close();
    }
  });

  it('fails with a SalesforceApiError naming the job when the query is invalid', async () => {
    await expect(queryToFile(conn, 'SELECT Nope__c FROM Item__c', join(folder, 'bad.csv'), FAST)).rejects.toThrow(
      SalesforceApiError,
    );
  });
});
