import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { SalesforceEmulator } from '@kicksaw/sf-emulator';
import { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type QueryPage, queryPages } from '../src/index.js';
import { cuttingProxy, FAST, parseCsv, startOrg, tokenConnection } from './helpers.js';

let sf: SalesforceEmulator;
let conn: Connection;
const N = 2_345;
const HARD = 'a "quoted", comma\nline break, ünïcødé ✓ 日本';

beforeAll(async () => {
  sf = await startOrg();
  sf.org.seed(
    'Item__c',
    Array.from({ length: N }, (_, i) => ({
      Name: `p-${i + 1}`,
      Ext__c: `P-${i + 1}`,
      Required__c: 'r',
      Qty__c: i % 7 === 0 ? null : i + 0.5,
      Active__c: i % 2 === 0,
      Note__c: i === 3 ? HARD : null,
    })),
  );
  conn = tokenConnection(sf);
});
afterAll(async () => {
  await sf?.stop();
});

/** Reads every page (while it exists) as rows of cells, header first. */
async function collect(pages: AsyncIterable<QueryPage>): Promise<{ pages: QueryPage[]; rows: string[][][] }> {
  const seen: QueryPage[] = [];
  const rows: string[][][] = [];
  for await (const page of pages) {
    seen.push(page);
    rows.push(parseCsv(await readFile(page.path, 'utf8')));
  }
  return { pages: seen, rows };
}

describe('queryPages', () => {
  it('yields every locator page as a file of raw CSV, with its record count, and removes each file after its turn', async () => {
    const { pages, rows } = await collect(
      queryPages(conn, 'SELECT Id, Name, Qty__c, Active__c, Note__c FROM Item__c', { pageSize: 700, ...FAST }),
    );
    expect(pages.map((p) => p.records)).toEqual([700, 700, 700, 245]);
    expect(pages.map((p) => p.index)).toEqual([1, 2, 3, 4]);
    expect(pages.map((p) => p.more)).toEqual([true, true, true, false]);
    expect(pages[0]?.locator).toBeNull();
    expect(pages.slice(1).every((p) => typeof p.locator === 'string')).toBe(true);
    for (const page of pages) expect(existsSync(page.path)).toBe(false);
    for (const page of rows) expect(page[0]).toEqual(['Id', 'Name', 'Qty__c', 'Active__c', 'Note__c']);
    const records = rows.flatMap((page) => page.slice(1));
    expect(records).toHaveLength(N);
    const org = new Map(sf.org.records('Item__c').map((r) => [String(r.Id), r]));
    expect(new Set(records.map((r) => r[0])).size).toBe(N);
    for (const [id, name, qty, active, note] of records) {
      const record = org.get(id as string) as Record<string, unknown>;
      expect(name).toBe(record.Name);
      expect(qty).toBe(record.Qty__c === null ? '' : String(record.Qty__c));
      expect(active).toBe(String(record.Active__c));
      expect(note).toBe(record.Note__c ?? '');
    }
    // Quotes, commas, a line break and non-Latin text arrive byte for byte (UTF-8).
    expect(records.find((r) => r[1] === 'p-4')?.[4]).toBe(HARD);
  });

  it('yields no page for zero records', async () => {
    const { pages } = await collect(queryPages(conn, "SELECT Id FROM Item__c WHERE Name = 'none'", FAST));
    expect(pages).toEqual([]);
  });

  it('stops early without leaving files behind when the loop breaks', async () => {
    let path = '';
    for await (const page of queryPages(conn, 'SELECT Id FROM Item__c', { pageSize: 1000, ...FAST })) {
      path = page.path;
      break;
    }
    expect(path).not.toBe('');
    expect(existsSync(path)).toBe(false);
  });

  it('reads a page again from its start when its download is cut mid-body, yielding every row once', async () => {
    const proxy = await cuttingProxy(new URL(sf.instanceUrl), 2);
    try {
      const through = new Connection({
        instanceUrl: proxy.url,
        accessToken: sf.accessToken,
        version: sf.apiVersion,
      });
      const { pages, rows } = await collect(
        queryPages(through, 'SELECT Id, Name FROM Item__c', { pageSize: 1000, ...FAST }),
      );
      expect(proxy.cuts()).toBe(2);
      expect(pages.map((p) => p.records)).toEqual([1000, 1000, 345]);
      const ids = rows.flatMap((page) => page.slice(1).map((r) => r[0]));
      expect(ids).toHaveLength(N);
      expect(new Set(ids).size).toBe(N);
    } finally {
      await proxy.close();
    }
  });
});
