import type { SalesforceEmulator } from '@kicksaw/sf-emulator';
import type { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, soql } from '../src/index.js';
import { FAST, startOrg, tokenConnection } from './helpers.js';

let sf: SalesforceEmulator;
let conn: Connection;
const N = 2_345;

beforeAll(async () => {
  sf = await startOrg({ queryPageSize: 500 });
  sf.org.seed(
    'Item__c',
    Array.from({ length: N }, (_, i) => ({
      Name: i === 0 ? 'O\'Brien \\ "quoted"' : `q-${i + 1}`,
      Ext__c: `Q-${i + 1}`,
      Required__c: 'r',
      Qty__c: i % 7 === 0 ? null : i + 0.5,
      Active__c: i % 2 === 0,
    })),
  );
  conn = tokenConnection(sf);
});
afterAll(async () => {
  await sf?.stop();
});

async function all(iterable: AsyncIterable<Record<string, unknown>>) {
  const out: Array<Record<string, unknown>> = [];
  for await (const record of iterable) out.push(record);
  return out;
}

describe('query', () => {
  it('pages a Bulk API 2.0 query job by locator and types values by describe', async () => {
    const rows = await all(
      query(conn, 'SELECT Id, Name, Qty__c, Active__c FROM Item__c', { api: 'bulk', pageSize: 700, ...FAST }),
    );
    expect(rows).toHaveLength(N);
    expect(new Set(rows.map((r) => r.Id)).size).toBe(N);
    const second = rows.find((r) => r.Name === 'q-2');
    expect(second).toMatchObject({ Qty__c: 1.5, Active__c: false });
    expect(rows.find((r) => r.Name === 'q-8')?.Qty__c).toBeNull();
  });

  it('uses REST for small results, flattening parents', async () => {
    const rows = await all(query(conn, soql`SELECT Id, Name, Qty__c FROM Item__c WHERE Ext__c IN ${['Q-2', 'Q-3']}`));
    expect(rows.map((r) => r.Name).sort()).toEqual(['q-2', 'q-3']);
    expect(rows[0]).not.toHaveProperty('attributes');
    expect(typeof rows[0]?.Qty__c).toBe('number');
  });

  it('switches to Bulk API 2.0 when the REST count is large', async () => {
    const rows = await all(query(conn, 'SELECT Id FROM Item__c', { restMaxRows: 1_000, ...FAST }));
    expect(rows).toHaveLength(N);
  });

  it('keeps quoted values inside their literal', async () => {
    const name = sf.org.records('Item__c').find((r) => String(r.Ext__c) === 'Q-1')?.Name as string;
    const hit = await all(query(conn, soql`SELECT Id, Name FROM Item__c WHERE Name = ${name}`));
    expect(hit.map((r) => r.Name)).toEqual([name]);
    const none = await all(query(conn, soql`SELECT Id FROM Item__c WHERE Name = ${"x' OR Name != 'y"}`));
    expect(none).toHaveLength(0);
  });

  it('queryAll includes deleted rows', async () => {
    const [victim] = sf.org.records('Item__c');
    await conn.sobject('Item__c').destroy(victim?.Id as string);
    const live = await all(query(conn, soql`SELECT Id FROM Item__c WHERE Id = ${victim?.Id as string}`));
    const everything = await all(
      query(conn, soql`SELECT Id, IsDeleted FROM Item__c WHERE Id = ${victim?.Id as string}`, {
        all: true,
        api: 'bulk',
        ...FAST,
      }),
    );
    expect(live).toHaveLength(0);
    expect(everything).toEqual([{ Id: victim?.Id, IsDeleted: true }]);
  });
});

describe('query, wide answers', () => {
  it('reads a REST page of more than 1 MiB whole (a wide page is not an error message to cut short)', async () => {
    const note = (i: number) => `${i}:`.padEnd(5_000, 'n');
    const big = await startOrg();
    big.org.seed(
      'Item__c',
      Array.from({ length: 300 }, (_, i) => ({
        Name: `big-${i}`,
        Ext__c: `BIG-${i}`,
        Required__c: 'r',
        Note__c: note(i),
      })),
    );
    const rows = await all(
      query(tokenConnection(big), "SELECT Name, Note__c FROM Item__c WHERE Ext__c LIKE 'BIG-%'", { api: 'rest' }),
    );
    expect(rows).toHaveLength(300);
    for (const row of rows) expect(row.Note__c).toBe(note(Number(String(row.Name).slice(4))));
    await big.stop();
  });
});
