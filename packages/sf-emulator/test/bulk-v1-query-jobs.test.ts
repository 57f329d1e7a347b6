// Bulk API 1.0 query and queryAll jobs through the real jsforce (conn.bulk.query, conn.bulk.load(type, 'query')).
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SalesforceEmulator } from '../src/index.js';
import { connect, raw, startEmulator } from './http-support.js';

let sf: SalesforceEmulator;
let conn: Connection;
beforeAll(async () => {
  sf = await startEmulator({ clock: '2024-03-01T10:00:00.250Z' });
  conn = connect(sf);
  conn.bulk.pollInterval = 10;
});
afterAll(async () => {
  await sf.stop();
});

async function collect(soql: string): Promise<Array<Record<string, string>>> {
  const stream = await conn.bulk.query(soql);
  return new Promise((resolve, reject) => {
    const records: Array<Record<string, string>> = [];
    stream.on('record', (record: Record<string, string>) => records.push(record));
    stream.on('error', reject);
    stream.on('end', () => resolve(records));
  });
}

describe('Bulk API 1.0 query jobs', () => {
  it('streams every matching record with parent fields, CSV values as Bulk writes them', async () => {
    const [account] = sf.org.dml('insert', 'Account', [{ Name: 'Parent, "Quoted"' }]);
    sf.org.generate('Widget__c', 6_000, {
      // more than one 5,000-row write chunk
      values: { Code__c: (i) => `Q${i}`, Account__c: account!.id as string, Amount__c: (i) => i / 4 },
    });
    const records = await collect(
      "SELECT Id, Code__c, Amount__c, Account__r.Name, CreatedDate FROM Widget__c WHERE Code__c LIKE 'Q%'",
    );
    expect(records).toHaveLength(6_000);
    const codes = new Set(records.map((record) => record.Code__c));
    expect(codes.size).toBe(6_000);
    const q5 = records.find((record) => record.Code__c === 'Q5');
    expect(q5).toMatchObject({
      Amount__c: '1.25',
      'Account__r.Name': 'Parent, "Quoted"',
      CreatedDate: '2024-03-01T10:00:00.250Z',
    });
  });

  it('answers "Records not found for this query" when nothing matches (jsforce reads no record)', async () => {
    expect(await collect("SELECT Id FROM Account WHERE Name = 'nobody'")).toEqual([]);
  });

  it('queryAll jobs include deleted records, query jobs do not', async () => {
    const [gone] = sf.org.dml('insert', 'Account', [{ Name: 'Gone soon' }]);
    sf.org.dml('delete', 'Account', [{ Id: gone!.id as string }]);
    const soql = "SELECT Id, IsDeleted FROM Account WHERE Name = 'Gone soon'";
    expect(await conn.bulk.load('Account', 'query', soql)).toHaveLength(1); // one result file
    expect(await collect(soql)).toEqual([]);
    const job = conn.bulk.createJob('Account', 'queryAll');
    const batch = job.createBatch();
    const results = await new Promise<Array<{ id: string }>>((resolve, reject) => {
      batch.on('error', reject);
      batch.on('queue', () => batch.poll(10, 10_000));
      batch.on('response', resolve);
      batch.execute(soql);
    });
    const rows: Array<Record<string, string>> = [];
    await new Promise<void>((resolve, reject) => {
      const stream = batch.result(results[0]!.id);
      stream.on('record', (record: Record<string, string>) => rows.push(record));
      stream.on('error', reject);
      stream.on('end', () => resolve());
    });
    expect(rows).toEqual([{ Id: gone!.id, IsDeleted: 'true' }]);
    await job.close();
  });

  it('fails the batch with the reason when the query is refused or invalid', async () => {
    await expect(collect('SELECT COUNT() FROM Account')).rejects.toThrow(
      /InvalidBatch : Failed to process query: INVALIDJOB: Aggregate functions not supported in Bulk Query/,
    );
    await expect(collect('SELECT Nope__c FROM Account')).rejects.toThrow(/Failed to process query: INVALID_FIELD/);
    await expect(collect('SELECT BillingAddress FROM Account')).rejects.toThrow(
      /Selecting compound data not supported/,
    );
  });

  it('refuses an empty query batch with ClientInputError', async () => {
    const job = conn.bulk.createJob('Account', 'query');
    await job.open();
    const response = await raw(sf, 'POST', `/services/async/${sf.apiVersion}/job/${job.id}/batch`, {
      body: '  ',
      type: 'text/csv',
      headers: { 'X-SFDC-Session': sf.accessToken },
    });
    expect(response.status).toBe(400);
    expect(response.text).toContain('<exceptionCode>ClientInputError</exceptionCode>');
    await job.close();
  });
  it('compresses responses with gzip when the request asks for gzip, and only then (Bulk API 27.0+)', async () => {
    sf.org.generate('Widget__c', 300, { values: { Code__c: (i) => `Z${i}` } });
    const [result] = await conn.bulk.load(
      'Widget__c',
      'query',
      "SELECT Code__c FROM Widget__c WHERE Code__c LIKE 'Z%'",
    );
    const path = `/services/async/${sf.apiVersion}/job/${result!.jobId}/batch/${result!.batchId}/result/${result!.id}`;
    const get = (acceptEncoding?: string) =>
      new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
        const headers: Record<string, string> = { 'X-SFDC-Session': sf.accessToken };
        if (acceptEncoding) headers['Accept-Encoding'] = acceptEncoding;
        request(`${sf.instanceUrl}${path}`, { headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
          res.on('error', reject);
        })
          .on('error', reject)
          .end();
      });
    const plain = await get();
    expect(plain.encoding).toBeUndefined();
    const lines = plain.body.toString('utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(301);
    expect(lines[0]).toBe('"Code__c"');
    for (const asked of ['gzip', 'gzip, deflate, br', 'deflate;q=1, gzip;q=0.5']) {
      const compressed = await get(asked);
      expect(compressed.encoding).toBe('gzip');
      expect(gunzipSync(compressed.body).equals(plain.body)).toBe(true);
    }
    for (const ignored of ['deflate', 'br', 'gzip;q=0']) {
      const uncompressed = await get(ignored);
      expect(uncompressed.encoding).toBeUndefined();
      expect(uncompressed.body.equals(plain.body)).toBe(true);
    }
  });
});
