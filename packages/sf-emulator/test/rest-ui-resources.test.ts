// Named, compact and approval layouts, list views, query plans, recently viewed records, tabs and theme, through
// the real jsforce (the calls its own sobject and connection-meta suites make).
import type { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SalesforceEmulator } from '../src/index.js';
import { connect, raw, startEmulator } from './http-support.js';

let sf: SalesforceEmulator;
let conn: Connection;
let acmeId: string;
beforeAll(async () => {
  sf = await startEmulator();
  conn = connect(sf);
  const [acme] = sf.org.dml('insert', 'Account', [{ Name: 'Acme' }, { Name: 'Beta' }, { Name: 'Cobalt' }]);
  acmeId = acme!.id as string;
  sf.org.generate('Widget__c', 30, { values: { Code__c: (i) => `C${i}` } });
});
afterAll(async () => {
  await sf.stop();
});

describe('layouts beyond describe/layouts', () => {
  it("answers User's named layout UserAlt and refuses one that does not exist", async () => {
    const result = (await conn.sobject('User').layouts('UserAlt')) as unknown as {
      layouts: Array<{ id: string; detailLayoutSections: unknown[] }>;
    };
    expect(result.layouts).toHaveLength(1);
    expect(result.layouts[0]!.id).toMatch(/^00h/);
    expect(result.layouts[0]!.detailLayoutSections.length).toBeGreaterThan(0);
    await expect(conn.sobject('Account').layouts('Nope')).rejects.toMatchObject({ errorCode: 'NOT_FOUND' });
  });

  it('answers the system default compact layout with the name field first', async () => {
    const result = await conn.sobject('Account').compactLayouts();
    expect(result.defaultCompactLayoutId).toBeNull();
    const [layout] = result.compactLayouts;
    expect(layout).toMatchObject({ id: null, name: 'SYSTEM', objectType: 'Account', actions: [] });
    const first = layout!.fieldItems[0] as unknown as { layoutComponents: Array<{ value: string }> };
    expect(first.layoutComponents[0]!.value).toBe('Name');
    expect(result.recordTypeCompactLayoutMappings.map((m) => m.compactLayoutName)).toEqual(['SYSTEM']);
  });

  it('answers no approval layouts (the org has no approval process)', async () => {
    expect(await conn.sobject('Account').approvalLayouts()).toEqual({ approvalLayouts: [] });
  });
});

describe('list views', () => {
  it('lists All and My views, describes one and runs its query', async () => {
    const { listviews } = (await conn.sobject('Account').listviews()) as {
      listviews: Array<{ id: string; developerName: string; soqlCompatible: boolean }>;
    };
    expect(listviews.map((view) => view.developerName)).toEqual(['AllAccounts', 'MyAccounts']);
    const all = listviews[0]!;
    expect(all.id).toMatch(/^00B\w{15}$/);
    const described = (await conn.sobject('Account').listview(all.id).describe()) as {
      query: string;
      sobjectType: string;
      columns: Array<{ fieldNameOrPath: string }>;
    };
    expect(described.sobjectType).toBe('Account');
    expect(described.query).toMatch(/^SELECT Id, Name, .* FROM Account ORDER BY Name ASC/);
    const results = (await conn.sobject('Account').listview(all.id).results()) as {
      size: number;
      records: Array<{ columns: Array<{ fieldNameOrPath: string; value: string | null }> }>;
    };
    expect(results.size).toBe(3);
    const names = results.records.map((r) => r.columns.find((c) => c.fieldNameOrPath === 'Name')?.value);
    expect(names).toEqual(['Acme', 'Beta', 'Cobalt']);
  });

  it('answers 404 for an unknown list view id', async () => {
    const response = await raw(
      sf,
      'GET',
      `/services/data/v${sf.apiVersion}/sobjects/Account/listviews/00B000000000001AAA/describe`,
    );
    expect(response.status).toBe(404);
  });
});

describe('query?explain=', () => {
  it('reports an index lookup for Id and external id equality, a table scan otherwise', async () => {
    const byId = (await conn.query(`SELECT Id FROM Account WHERE Id = '${acmeId}'`).explain()) as {
      plans: Array<{ leadingOperationType: string; cardinality: number; sobjectCardinality: number; fields: string[] }>;
    };
    expect(byId.plans[0]).toMatchObject({
      leadingOperationType: 'Index',
      cardinality: 1,
      sobjectCardinality: 3,
      fields: ['Id'],
    });
    const byExt = (await conn.query("SELECT Id FROM Widget__c WHERE ExtId__c IN ('x', 'y')").explain()) as typeof byId;
    expect(byExt.plans[0]).toMatchObject({
      leadingOperationType: 'Index',
      fields: ['ExtId__c'],
      sobjectCardinality: 30,
    });
    const scan = (await conn.query("SELECT Id FROM Widget__c WHERE Code__c LIKE 'C1%'").explain()) as typeof byId;
    expect(scan.plans[0]).toMatchObject({ leadingOperationType: 'TableScan', cardinality: 11, fields: [] });
  });

  it('reports an index lookup on SystemModstamp when its range index answers, a table scan when the range is wide', async () => {
    const [latest] = sf.org.query('SELECT SystemModstamp FROM Widget__c ORDER BY SystemModstamp DESC LIMIT 1').records;
    const stamp = String(latest!.SystemModstamp);
    const after = new Date(new Date(stamp).getTime() + 1).toISOString();
    // No record was modified after the latest stamp: a narrow range, read from the index.
    const narrow = (await conn
      .query(`SELECT Id FROM Widget__c WHERE SystemModstamp > ${after} AND Code__c != null`)
      .explain()) as { plans: Array<{ leadingOperationType: string; cardinality: number; fields: string[] }> };
    expect(narrow.plans[0]).toMatchObject({
      leadingOperationType: 'Index',
      cardinality: 0,
      fields: ['SystemModstamp'],
    });
    // Every record is in this range: the engine scans, and the plan says so.
    const wide = (await conn
      .query('SELECT Id FROM Widget__c WHERE SystemModstamp > 2000-01-01T00:00:00Z')
      .explain()) as typeof narrow;
    expect(wide.plans[0]).toMatchObject({ leadingOperationType: 'TableScan', cardinality: 30, fields: [] });
  });

  it("explains a list view's query by its id, and fails a bad query with the query's own error", async () => {
    const { listviews } = (await conn.sobject('Account').listviews()) as { listviews: Array<{ id: string }> };
    const plan = (await conn.sobject('Account').listview(listviews[0]!.id).explain()) as {
      plans: Array<{ sobjectType: string; cardinality: number }>;
    };
    expect(plan.plans[0]).toMatchObject({ sobjectType: 'Account', cardinality: 3 });
    await expect(conn.query('SELECT Nope FROM Account').explain()).rejects.toMatchObject({
      errorCode: 'INVALID_FIELD',
    });
  });
});

describe('recently viewed records', () => {
  it('records FOR VIEW queries and retrieves, newest first, per object too', async () => {
    const [widget] = sf.org.query('SELECT Id FROM Widget__c LIMIT 1').records;
    await conn.query("SELECT Id, Name FROM Account WHERE Name IN ('Acme', 'Beta') ORDER BY Name FOR VIEW");
    await conn.sobject('Widget__c').retrieve(widget!.Id as string);
    const recent = (await conn.recent(2)) as Array<{ Id: string; attributes: { type: string } }>;
    expect(recent.map((r) => r.attributes.type)).toEqual(['Widget__c', 'Account']);
    const accounts = (await conn.sobject('Account').recent()) as Array<{ Name: string }>;
    expect(accounts.map((r) => r.Name)).toEqual(['Beta', 'Acme']);
    await conn.query("SELECT Id FROM Account WHERE Name = 'Cobalt'"); // no FOR VIEW: not recorded
    expect(((await conn.sobject('Account').recent()) as unknown[]).length).toBe(2);
  });
});

describe('tabs and theme', () => {
  it('lists a tab per standard object with a tab and per custom object, with matching theme colours', async () => {
    const tabs = (await conn.tabs()) as Array<{
      name: string;
      sobjectName: string;
      url: string;
      colors: Array<{ color: string }>;
    }>;
    const account = tabs.find((tab) => tab.sobjectName === 'Account');
    expect(account).toMatchObject({ name: 'standard-Account', url: `${sf.instanceUrl}/001/o` });
    expect(tabs.some((tab) => tab.sobjectName === 'Widget__c')).toBe(true);
    const theme = (await conn.theme()) as { themeItems: Array<{ name: string; colors: Array<{ color: string }> }> };
    const accountTheme = theme.themeItems.find((item) => item.name === 'Account');
    expect(accountTheme?.colors[0]?.color).toBe(account?.colors[0]?.color);
  });
});
