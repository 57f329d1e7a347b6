// A plain SalesforceConnection ({ instanceUrl, accessToken }) instead of a jsforce Connection: the package works
// with it and never loads jsforce for it; only connect() does. This file must not import test/helpers.ts, which
// imports jsforce.
import { createRequire } from 'node:module';
import { type SalesforceEmulator, startSalesforceEmulator } from '@kicksaw/sf-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, ingest, query, type SalesforceConnection } from '../src/index.js';

const requireHere = createRequire(import.meta.url);
/** True once any file of jsforce is in the CommonJS module cache (jsforce is CommonJS). */
const jsforceLoaded = () => Object.keys(requireHere.cache).some((path) => /[\\/]jsforce[\\/]/.test(path));

const OBJECT = {
  name: 'Gadget__c',
  fields: [
    { name: 'Ext__c', type: 'string' as const, externalId: true, unique: true },
    { name: 'Qty__c', type: 'double' as const, precision: 18, scale: 2 },
  ],
};

let sf: SalesforceEmulator;
beforeAll(async () => {
  for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[name];
  sf = await startSalesforceEmulator({ objects: [OBJECT] });
});
afterAll(async () => {
  await sf?.stop();
});

describe('a plain SalesforceConnection', () => {
  it('upserts and queries without jsforce ever being loaded (the API version defaults)', async () => {
    expect(jsforceLoaded()).toBe(false);
    const session: SalesforceConnection = { instanceUrl: sf.instanceUrl, accessToken: sf.accessToken };
    const run = ingest({
      connection: session,
      object: 'Gadget__c',
      operation: 'upsert',
      externalIdField: 'Ext__c',
      api: 'bulk',
      pollIntervalMs: 5,
      maxPollIntervalMs: 20,
      records: [
        { Name: 'A', Ext__c: 'g-1', Qty__c: '1' },
        { Name: 'B', Ext__c: 'g-2', Qty__c: '2.5' },
        { Name: 'C', Ext__c: 'g-3', Qty__c: '' },
      ],
    });
    const statuses: string[] = [];
    for await (const outcome of run) statuses.push(`${String(outcome.record.Ext__c)} ${outcome.status}`);
    expect(statuses.sort()).toEqual(['g-1 succeeded', 'g-2 succeeded', 'g-3 succeeded']);

    const rows: Array<Record<string, unknown>> = [];
    for await (const row of query(session, 'SELECT Name, Ext__c, Qty__c FROM Gadget__c ORDER BY Ext__c', {
      api: 'rest',
    })) {
      rows.push(row);
    }
    expect(rows.map((row) => [row.Name, row.Ext__c, row.Qty__c])).toEqual([
      ['A', 'g-1', 1],
      ['B', 'g-2', 2.5],
      ['C', 'g-3', null],
    ]);
    expect(jsforceLoaded()).toBe(false);
  });

  it('is refused with INVALID_SESSION_ID when its token is not a session, and says how to get one that renews', async () => {
    const session: SalesforceConnection = {
      instanceUrl: sf.instanceUrl,
      accessToken: 'not-a-session',
      version: '62.0',
    };
    const rows = query(session, 'SELECT Name FROM Gadget__c', { api: 'rest' });
    await expect(rows.next()).rejects.toThrow(/INVALID_SESSION_ID[\s\S]*cannot renew/);
  });

  it('connect() loads jsforce, and its connection is used the same way', async () => {
    const conn = await connect({ instanceUrl: sf.instanceUrl, accessToken: sf.accessToken });
    expect(jsforceLoaded()).toBe(true);
    const names: unknown[] = [];
    for await (const row of query(conn, 'SELECT Name FROM Gadget__c ORDER BY Name', { api: 'rest' }))
      names.push(row.Name);
    expect(names).toEqual(['A', 'B', 'C']);
  });
});
