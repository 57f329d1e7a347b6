import type { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SalesforceEmulator } from '../src/index.js';
import { connect, raw, startEmulator } from './http-support.js';

let sf: SalesforceEmulator;
let conn: Connection;
beforeAll(async () => {
  sf = await startEmulator();
  conn = connect(sf);
  conn.bulk.pollInterval = 10;
});
afterAll(async () => {
  await sf.stop();
});

describe('Bulk API 1.0 (jsforce conn.bulk)', () => {
  it('loads records with mixed outcomes, results in input order', async () => {
    const results = await conn.bulk.load('Widget__c', 'insert', [
      { Code__c: 'V1', ExtId__c: 'V1-1' },
      { ExtId__c: 'V1-2' },
      { Code__c: 'V3', ExtId__c: 'V1-3' },
    ]);
    expect(results.map((r) => r.success)).toEqual([true, false, true]);
    expect(results[0]).toMatchObject({ created: true, errors: [] });
    expect(results[1]?.errors[0]).toMatch(/^REQUIRED_FIELD_MISSING:/);
    expect(sf.org.records('Widget__c').filter((w) => String(w.ExtId__c).startsWith('V1-'))).toHaveLength(2);
    const upserted = await conn.bulk.load('Widget__c', 'upsert', { extIdField: 'ExtId__c' }, [
      { ExtId__c: 'V1-1', Code__c: 'NEW' },
    ]);
    expect(upserted[0]).toMatchObject({ success: true, created: false });
    expect(sf.org.records('Widget__c').find((w) => w.ExtId__c === 'V1-1')?.Code__c).toBe('NEW');
  });

  it('answers a batch with no rows with ClientInputError (jsforce load of an empty array) and adds no batch', async () => {
    for (const operation of ['update', 'delete'] as const) {
      await expect(conn.bulk.load('Widget__c', operation, [])).rejects.toMatchObject({ name: 'ClientInputError' });
    }
    const job = conn.bulk.createJob('Widget__c', 'insert');
    await job.open();
    const jobId = job.id as string;
    for (const body of ['', '\n', 'Code__c,ExtId__c\n']) {
      const response = await raw(sf, 'POST', `/services/async/${sf.apiVersion}/job/${jobId}/batch`, {
        body,
        type: 'text/csv',
        headers: { 'X-SFDC-Session': sf.accessToken },
      });
      expect(response.status).toBe(400);
      expect(response.text).toContain('<exceptionCode>ClientInputError</exceptionCode>');
    }
    const list = await raw(sf, 'GET', `/services/async/${sf.apiVersion}/job/${jobId}/batch`, {
      headers: { 'X-SFDC-Session': sf.accessToken },
    });
    expect(list.status).toBe(200);
    expect(list.text).not.toContain('<batchInfo>');
    await job.close();
  });

  it('answers an invalid session with 400 InvalidSessionId XML', async () => {
    const response = await raw(sf, 'GET', '/services/async/62.0/job/750000000000000AAA', { token: null });
    expect(response.status).toBe(400);
    expect(response.text).toContain('<exceptionCode>InvalidSessionId</exceptionCode>');
    const unknown = await raw(sf, 'GET', '/services/async/62.0/job/750000000000000AAA', {
      token: null,
      headers: { 'X-SFDC-Session': sf.accessToken },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain('<exceptionCode>InvalidJob</exceptionCode>');
  });
});
