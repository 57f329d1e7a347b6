import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SalesforceEmulator } from '../src/index.js';
import { api, connect, csvRows, raw, startEmulator, waitForJob } from './http-support.js';

let sf: SalesforceEmulator;
beforeAll(async () => {
  sf = await startEmulator({ queryPageSize: 400, faults: { jobProcessingMs: 200 } });
  sf.org.seed(
    'Widget__c',
    Array.from({ length: 1000 }, (_, i) => ({
      Name: `Q${String(i).padStart(4, '0')}`,
      Code__c: 'Q',
      Note__c: i === 0 ? 'say "hi", ok' : null,
    })),
  );
});
afterAll(async () => {
  await sf.stop();
});

async function createQueryJob(query: string, operation = 'query') {
  const response = await raw(sf, 'POST', api(sf, '/jobs/query'), { body: JSON.stringify({ operation, query }) });
  return { status: response.status, body: response.json() as Record<string, unknown> };
}

describe('Bulk API 2.0 query', () => {
  it('pages results with Sforce-Locator until the literal null, a header row on every page', async () => {
    const { body } = await createQueryJob(
      "SELECT Id, Name, Note__c, Owner.Name FROM Widget__c WHERE Code__c = 'Q' ORDER BY Name",
    );
    expect(body).toMatchObject({
      operation: 'query',
      object: 'Widget__c',
      state: 'UploadComplete',
      contentType: 'CSV',
    });
    const id = body.id as string;
    const early = await raw(sf, 'GET', api(sf, `/jobs/query/${id}/results`));
    expect(early.status).toBe(412);
    const info = await waitForJob(sf, 'query', id);
    expect(info).toMatchObject({ state: 'JobComplete', jobType: 'V2Query', numberRecordsProcessed: 1000 });
    const names: string[] = [];
    const locators: string[] = [];
    let locator: string | null = null;
    let pages = 0;
    do {
      const query: string = locator ? `?locator=${encodeURIComponent(locator)}` : '';
      const page = await raw(sf, 'GET', api(sf, `/jobs/query/${id}/results${query}`));
      expect(page.status).toBe(200);
      const rows = csvRows(page.text);
      expect(page.text.split('\n')[0]).toBe('"Id","Name","Note__c","Owner.Name"');
      expect(Number(page.headers.get('sforce-numberofrecords'))).toBe(rows.length - 1);
      for (const row of rows.slice(1)) names.push(row[1] as string);
      locator = page.headers.get('sforce-locator');
      locators.push(String(locator));
      pages++;
    } while (locator && locator !== 'null');
    expect(pages).toBe(3);
    expect(locators.at(-1)).toBe('null');
    expect(names).toHaveLength(1000);
    expect(names[0]).toBe('Q0000');
    expect(names[999]).toBe('Q0999');
    const first = await raw(sf, 'GET', api(sf, `/jobs/query/${id}/results?maxRecords=2`));
    const rows = csvRows(first.text);
    expect(rows).toHaveLength(3);
    expect(rows[1]?.[2]).toBe('say "hi", ok');
    expect(rows[1]?.[3]).toBeTruthy();
    expect(rows[2]?.[2]).toBe('');
  });

  it('runs queryAll with deleted rows, rejects bad SOQL at creation, aborts and deletes', async () => {
    const victim = sf.org.records('Widget__c')[0]?.Id as string;
    sf.org.dml('delete', 'Widget__c', [{ Id: victim }]);
    const all = await createQueryJob(`SELECT Id, IsDeleted FROM Widget__c WHERE Id = '${victim}'`, 'queryAll');
    await waitForJob(sf, 'query', all.body.id as string);
    const rows = csvRows((await raw(sf, 'GET', api(sf, `/jobs/query/${all.body.id}/results`))).text);
    expect(rows).toEqual([
      ['Id', 'IsDeleted'],
      [victim, 'true'],
    ]);
    const bad = await createQueryJob('SELECT Nope FROM Widget__c');
    expect(bad.status).toBe(400);
    // A job held for a minute, so that the abort surely finds it running however loaded the machine is (with the
    // file's 200 ms hold, a slow test run saw the job complete before its abort arrived).
    sf.faults.set({ jobProcessingMs: 60_000 });
    const slow = await createQueryJob('SELECT Id FROM Widget__c');
    const aborted = await raw(sf, 'PATCH', api(sf, `/jobs/query/${slow.body.id}`), { body: '{"state":"Aborted"}' });
    sf.faults.set({ jobProcessingMs: 200 });
    expect(aborted.json()).toMatchObject({ state: 'Aborted' });
    expect((await raw(sf, 'GET', api(sf, `/jobs/query/${slow.body.id}/results`))).status).toBe(412);
    expect((await raw(sf, 'DELETE', api(sf, `/jobs/query/${slow.body.id}`))).status).toBe(204);
    expect((await raw(sf, 'GET', api(sf, `/jobs/query/${slow.body.id}`))).status).toBe(404);
  });

  it("serves jsforce's bulk2.query on a single page", async () => {
    const conn = connect(sf);
    const records = await conn.bulk2.query("SELECT Id, Name FROM Widget__c WHERE Name = 'Q0005'", { pollInterval: 10 });
    const rows: Array<Record<string, unknown>> = [];
    for await (const record of records) rows.push(record as Record<string, unknown>);
    expect(rows).toEqual([{ Id: expect.any(String), Name: 'Q0005' }]);
  });
});

describe('Bulk API 2.0 query as Salesforce sizes and refuses it', () => {
  let big: SalesforceEmulator;
  beforeAll(async () => {
    big = await startEmulator({ generate: { Account: 200, Widget__c: { count: 12_000, fields: ['ExtId__c'] } } });
  });
  afterAll(async () => {
    await big.stop();
  });

  it('answers 12,000 rows in one page without maxRecords, so jsforce bulk2.query reads them all', async () => {
    const conn = connect(big);
    const records = await (
      await conn.bulk2.query('SELECT Id, ExtId__c FROM Widget__c', { pollInterval: 10 })
    ).toArray();
    expect(records).toHaveLength(12_000);
    expect(new Set(records.map((record) => (record as { Id: string }).Id)).size).toBe(12_000);
  });

  it('pages by maxRecords, each page from its locator, and keeps the snapshot taken at creation', async () => {
    const created = await raw(big, 'POST', api(big, '/jobs/query'), {
      body: JSON.stringify({ operation: 'query', query: 'SELECT Id, Name FROM Widget__c ORDER BY Name LIMIT 2500' }),
    });
    const id = (created.json() as { id: string }).id;
    await waitForJob(big, 'query', id);
    const first = big.org.query('SELECT Id, Name FROM Widget__c ORDER BY Name LIMIT 1').records[0]!;
    big.org.dml('update', 'Widget__c', [{ Id: first.Id, Name: 'Changed after the job' }]);
    const seen: string[][] = [];
    let locator = '';
    let pages = 0;
    do {
      const page = await raw(
        big,
        'GET',
        api(big, `/jobs/query/${id}/results?maxRecords=1000${locator ? `&locator=${locator}` : ''}`),
      );
      const rows = csvRows(page.text);
      expect(rows[0]).toEqual(['Id', 'Name']);
      expect(page.headers.get('sforce-numberofrecords')).toBe(String(rows.length - 1));
      seen.push(...rows.slice(1));
      locator = page.headers.get('sforce-locator') ?? 'null';
      pages++;
    } while (locator !== 'null');
    expect(pages).toBe(3);
    expect(seen).toHaveLength(2500);
    expect(seen[0]).toEqual([first.Id, first.Name]); // the value when the job was created
  });

  it('refuses GROUP BY, OFFSET, aggregate functions, COUNT() and child subqueries at creation', async () => {
    const refused = async (query: string) => {
      const response = await raw(big, 'POST', api(big, '/jobs/query'), {
        body: JSON.stringify({ operation: 'query', query }),
      });
      expect(response.status).toBe(400);
      return (response.json() as Array<{ errorCode: string; message: string }>)[0]!;
    };
    expect(await refused('SELECT Code__c, COUNT(Id) FROM Widget__c GROUP BY Code__c')).toMatchObject({
      errorCode: 'INVALIDJOB',
      message: expect.stringContaining('GROUP BY not supported in Bulk V2 Query'),
    });
    expect((await refused('SELECT Id FROM Widget__c LIMIT 10 OFFSET 5')).message).toContain('OFFSET not supported');
    expect((await refused('SELECT MAX(Amount__c) FROM Widget__c')).message).toContain(
      'Aggregate functions not supported',
    );
    expect((await refused('SELECT COUNT() FROM Widget__c')).message).toContain('Aggregate functions not supported');
    expect((await refused('SELECT Id, (SELECT Id FROM Contacts) FROM Account')).message).toBe(
      'Aggregate Relationships not supported in Bulk V2 Query with CSV content type',
    );
  });

  it('serves records kept as columns as they were at creation, with and without WHERE on a field not selected', async () => {
    const allRows = async (query: string) => {
      const created = await createQueryJob(query);
      const id = created.body.id as string;
      expect(await waitForJob(sf, 'query', id)).toMatchObject({ state: 'JobComplete' });
      return async () => {
        const seen: string[][] = [];
        let locator = '';
        do {
          const page = await raw(
            sf,
            'GET',
            api(sf, `/jobs/query/${id}/results${locator ? `?locator=${locator}` : ''}`),
          );
          seen.push(...csvRows(page.text).slice(1));
          locator = page.headers.get('sforce-locator') ?? 'null';
        } while (locator !== 'null');
        return seen;
      };
    };
    const before = sf.org.query('SELECT Id, Name, Note__c, Code__c FROM Widget__c').records;
    const expected = before.map((record) => [record.Id, record.Name, record.Note__c ?? '', record.Code__c]);
    const expectedSome = before.filter((record) => String(record.Name).startsWith('Q000')).map((record) => [record.Id]);
    expect(expectedSome.length).toBeGreaterThanOrEqual(5);
    const everything = await allRows('SELECT Id, Name, Note__c, Code__c FROM Widget__c');
    const some = await allRows("SELECT Id FROM Widget__c WHERE Name LIKE 'Q000%'");
    // Changes after the jobs were created: the results stay the snapshot taken then.
    const [changed, deleted] = [before.at(-1)!, before[1]!];
    sf.org.dml('update', 'Widget__c', [{ Id: changed.Id, Name: 'Changed', Note__c: 'changed' }]);
    sf.org.dml('delete', 'Widget__c', [{ Id: deleted.Id }]);
    try {
      expect(await everything()).toEqual(expected);
      expect(await some()).toEqual(expectedSome);
    } finally {
      sf.org.undelete([String(deleted.Id)]);
      sf.org.dml('update', 'Widget__c', [{ Id: changed.Id, Name: changed.Name, Note__c: changed.Note__c }]);
    }
  });
});
