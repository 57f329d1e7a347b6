// TYPEOF, HAVING, toLabel() and FORMAT() in SOQL, through the real jsforce (REST query) and Bulk 2.0 query.
import type { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SalesforceEmulator } from '../src/index.js';
import { connect, startEmulator } from './http-support.js';

let sf: SalesforceEmulator;
let conn: Connection;
beforeAll(async () => {
  sf = await startEmulator({ clock: '2025-04-10T22:31:37.000Z' });
  conn = connect(sf);
  const accounts = sf.org.dml('insert', 'Account', [
    { Name: 'Acme', Industry: 'Banking', Phone: '555-0100', AnnualRevenue: 1000 },
    { Name: 'Beta', Industry: 'Banking', AnnualRevenue: 3000 },
    { Name: 'Cobalt', Industry: 'Energy', AnnualRevenue: 500 },
  ]);
  const [opportunity] = sf.org.dml('insert', 'Opportunity', [
    { Name: 'Deal', StageName: 'Prospecting', CloseDate: '2015-12-28', Amount: 44000, AccountId: accounts[0]!.id },
  ]);
  const [contact] = sf.org.dml('insert', 'Contact', [{ LastName: 'Doe', Email: 'doe@example.com' }]);
  sf.org.dml('insert', 'Task', [
    { Subject: 'A on account', WhatId: accounts[0]!.id },
    { Subject: 'B on deal', WhatId: opportunity!.id, WhoId: contact!.id },
    { Subject: 'C on case', WhatId: sf.org.dml('insert', 'Case', [{ Subject: 'Broken' }])[0]!.id },
    { Subject: 'D on nothing' },
  ]);
});
afterAll(async () => {
  await sf.stop();
});

describe('TYPEOF', () => {
  it('selects fields by the type of the record a polymorphic relationship points to, ELSE for the rest', async () => {
    const result = await conn.query<{ Subject: string; What: Record<string, unknown> | null }>(
      'SELECT Subject, TYPEOF What WHEN Account THEN Name, Phone WHEN Opportunity THEN Amount, Account.Name ELSE Id END FROM Task ORDER BY Subject',
    );
    const rows = result.records.map((r) => {
      if (!r.What) return [r.Subject, null];
      const { attributes, ...fields } = r.What as { attributes: { type: string } };
      return [r.Subject, attributes.type, fields];
    });
    expect(rows[0]).toEqual(['A on account', 'Account', { Name: 'Acme', Phone: '555-0100' }]);
    expect(rows[1]).toMatchObject(['B on deal', 'Opportunity', { Amount: 44000, Account: { Name: 'Acme' } }]);
    expect(rows[2]![1]).toBe('Case');
    expect(Object.keys(rows[2]![2] as object)).toEqual(['Id']);
    expect(rows[3]).toEqual(['D on nothing', null]);
  });

  it('refuses TYPEOF on a relationship that is not polymorphic, and in Bulk query', async () => {
    await expect(conn.query('SELECT TYPEOF Account WHEN Account THEN Name END FROM Opportunity')).rejects.toMatchObject(
      { errorCode: 'MALFORMED_QUERY' },
    );
    const response = await conn
      .request({
        method: 'POST',
        url: `/services/data/v${sf.apiVersion}/jobs/query`,
        body: JSON.stringify({ operation: 'query', query: 'SELECT TYPEOF What WHEN Account THEN Name END FROM Task' }),
        headers: { 'Content-Type': 'application/json' },
      })
      .catch((error: { errorCode: string }) => error);
    expect(response).toMatchObject({ errorCode: 'INVALIDJOB' });
  });
});

describe('HAVING', () => {
  it('filters groups on aggregates and grouped fields, with AND, OR and parentheses', async () => {
    const counted = await conn.query<{ Industry: string; n: number }>(
      'SELECT Industry, COUNT(Id) n FROM Account GROUP BY Industry HAVING COUNT(Id) > 1',
    );
    expect(counted.records.map((r) => [r.Industry, r.n])).toEqual([['Banking', 2]]);
    const mixed = await conn.query<{ Industry: string }>(
      "SELECT Industry FROM Account GROUP BY Industry HAVING (SUM(AnnualRevenue) < 600 OR Industry = 'banking') AND MAX(AnnualRevenue) > 0 ORDER BY Industry",
    );
    expect(mixed.records.map((r) => r.Industry)).toEqual(['Banking', 'Energy']);
    await expect(conn.query('SELECT COUNT(Id) FROM Account HAVING COUNT(Id) > 1')).rejects.toMatchObject({
      errorCode: 'MALFORMED_QUERY',
    });
  });
});

describe('toLabel() and FORMAT()', () => {
  it('answers picklist labels under the field name and en_US formats under the field name or alias', async () => {
    const result = await conn.query<Record<string, unknown>>(
      'SELECT toLabel(StageName), Amount, FORMAT(Amount) amt, FORMAT(CloseDate), FORMAT(CreatedDate) created FROM Opportunity',
    );
    const [row] = result.records;
    expect(row).toMatchObject({
      StageName: 'Prospecting',
      Amount: 44000,
      amt: '$44,000.00',
      CloseDate: '12/28/2015',
      created: '4/10/2025, 10:31 PM',
    });
  });

  // AnnualRevenue is currency(18, 0): no decimals, as Salesforce shows it.
  it('formats in Bulk 2.0 query results too', async () => {
    const records = (await conn.bulk2.query(
      'SELECT Name, FORMAT(AnnualRevenue) rev FROM Account ORDER BY Name',
    )) as unknown as AsyncIterable<Record<string, string>>;
    const rows: Array<Record<string, string>> = [];
    for await (const record of records) rows.push(record);
    expect(rows.map((r) => [r.Name, r.rev])).toEqual([
      ['Acme', '$1,000'],
      ['Beta', '$3,000'],
      ['Cobalt', '$500'],
    ]);
  });
});
