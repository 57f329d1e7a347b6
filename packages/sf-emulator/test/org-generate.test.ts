// The fast seeder: org.generate() and the `generate` start option, read back with real jsforce over HTTP.
import type { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGenerate } from '../src/cli-args.js';
import type { SalesforceEmulator } from '../src/index.js';
import { connect, startEmulator } from './http-support.js';

let sf: SalesforceEmulator;
let conn: Connection;
beforeAll(async () => {
  sf = await startEmulator({
    clock: '2024-11-01T00:00:00Z',
    generate: { Account: { count: 300, fields: ['Phone', 'Industry', 'AnnualRevenue', 'NumberOfEmployees'] } },
  });
  conn = connect(sf);
});
afterAll(async () => {
  await sf.stop();
});

async function count(soql: string): Promise<number> {
  return (await conn.query(soql)).totalSize;
}

describe('org.generate', () => {
  it('generates records at start whose values fit their fields, readable through REST and Bulk query', async () => {
    expect(await count('SELECT COUNT() FROM Account')).toBe(300);
    const industries = (
      sf.org.describe('Account').fields as Array<{ name: string; picklistValues: Array<{ value: string }> }>
    )
      .find((field) => field.name === 'Industry')!
      .picklistValues.map((entry) => entry.value);
    const rows = (
      await conn.query<Record<string, unknown>>('SELECT Name, Phone, Industry, AnnualRevenue, CreatedDate FROM Account')
    ).records;
    for (const row of rows) {
      expect(row.Name).toMatch(/^Name \d+$/);
      expect(row.Phone).toMatch(/^\+1 555 \d{7}$/);
      expect(industries).toContain(row.Industry);
      expect(typeof row.AnnualRevenue).toBe('number');
      expect(row.CreatedDate).toBe('2024-11-01T00:00:00.000+0000');
    }
    expect(new Set(rows.map((row) => row.Name)).size).toBe(300);
    const bulk = await (await conn.bulk2.query('SELECT Id, Name FROM Account', { pollInterval: 10 })).toArray();
    expect(bulk).toHaveLength(300);
  });

  it('keeps unique fields unique, fills required fields and refers to existing parents in turn', async () => {
    const result = sf.org.generate('Widget__c', 500, { fields: ['ExtId__c', 'Account__c', 'Due__c'] });
    expect(result).toMatchObject({ object: 'Widget__c', count: 500 });
    expect(result.firstId).toMatch(/^a0/);
    const rows = (
      await conn.query<Record<string, unknown>>('SELECT ExtId__c, Code__c, Account__c, Due__c FROM Widget__c')
    ).records;
    expect(rows).toHaveLength(500);
    expect(new Set(rows.map((row) => row.ExtId__c)).size).toBe(500);
    for (const row of rows) {
      expect(String(row.Code__c).length).toBeLessThanOrEqual(10);
      expect(row.Account__c).toMatch(/^001/);
      expect(row.Due__c).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    // Upsert by the generated external id finds the generated record.
    const first = rows[0]!.ExtId__c as string;
    const upsert = await conn.sobject('Widget__c').upsert({ ExtId__c: first, Code__c: 'UP' }, 'ExtId__c');
    expect(upsert).toMatchObject({ success: true, created: false });
  });

  it('takes given values and spreads timestamps for an incremental sync to walk', async () => {
    sf.org.generate('Tag__c', 60, {
      values: { Key__c: (i) => `k-${i % 3}`, Name: 'Spread' },
      spread: { from: '2024-10-01T00:00:00Z', to: '2024-10-01T01:00:00Z' },
    });
    const rows = (
      await conn.query<Record<string, unknown>>(
        "SELECT Key__c, SystemModstamp, CreatedDate FROM Tag__c WHERE Name = 'Spread' ORDER BY SystemModstamp",
      )
    ).records;
    expect(rows.map((row) => row.Key__c).slice(0, 4)).toEqual(['k-0', 'k-1', 'k-2', 'k-0']);
    expect(rows[0]!.SystemModstamp).toBe('2024-10-01T00:00:00.000+0000');
    expect(rows[59]!.SystemModstamp).toBe('2024-10-01T00:59:00.000+0000');
    expect(rows.every((row) => row.CreatedDate === row.SystemModstamp)).toBe(true);
    sf.clock.set('2024-10-02T00:00:00Z'); // the replication API reaches 30 days back
    const window = await conn.sobject('Tag__c').updated('2024-10-01T00:10:00Z', '2024-10-01T00:20:00Z');
    expect(window.ids).toHaveLength(10);
  });

  it('is all or nothing and explains bad specs', () => {
    const before = sf.org.records('Widget__c').length;
    expect(() => sf.org.generate('Widget__c', 10, { values: { ExtId__c: 'same', Code__c: 'X' } })).toThrow(
      /DUPLICATE|duplicate value/,
    );
    expect(() => sf.org.generate('Widget__c', 10, { values: { Amount__c: (i) => (i === 5 ? 'abc' : i) } })).toThrow(
      /record 5/,
    );
    expect(sf.org.records('Widget__c')).toHaveLength(before);
    expect(() => sf.org.generate('Widget__c', 1, { fields: ['Nope__c'] })).toThrow(/No such column 'Nope__c'/);
    expect(() => sf.org.generate('Widget__c', 1, { fields: ['CreatedDate'] })).toThrow(/set by the org/);
    expect(() => sf.org.generate('Widget__c', -1)).toThrow(/whole number/);
    expect(() => sf.org.generate('Part__c', 0)).not.toThrow();
  });

  it('reads --generate flags', () => {
    expect(parseGenerate(['Account=1_000_000', 'Contact=10:LastName,Email'])).toEqual({
      Account: 1_000_000,
      Contact: { count: 10, fields: ['LastName', 'Email'] },
    });
    expect(() => parseGenerate(['Account'])).toThrow(/Object=count/);
  });
});
