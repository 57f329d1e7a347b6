// sObject Collections upsert (jsforce sobject().upsert(records, extId, { allOrNone })): `created` as Salesforce sets it.
import { describe, expect, it } from 'vitest';
import { useEmulator } from './http-support.js';

const env = useEmulator();

/** The statusCode of a collection result's first error (jsforce types it as errorCode). */
const codeOf = (result: { errors: unknown[] }) => (result.errors[0] as { statusCode?: string } | undefined)?.statusCode;

describe('collection upsert created flag', () => {
  it('allOrNone: created true for inserted rows, false for updated ones, matched by content', async () => {
    const first = await env.conn.sobject('Widget__c').create({ ExtId__c: 'U-1', Code__c: 'old' });
    const results = await env.conn.sobject('Widget__c').upsert(
      [
        { ExtId__c: 'U-2', Code__c: 'new' },
        { ExtId__c: 'U-1', Code__c: 'changed' },
        { ExtId__c: 'U-3', Code__c: 'new' },
      ],
      'ExtId__c',
      { allOrNone: true },
    );
    expect(results).toHaveLength(3);
    expect(results.every((r) => r.success)).toBe(true);
    const byExt = new Map(
      (
        await env.conn.query<{ Id: string; ExtId__c: string; Code__c: string }>(
          'SELECT Id, ExtId__c, Code__c FROM Widget__c',
        )
      ).records.map((r) => [r.ExtId__c, r]),
    );
    expect(byExt.get('U-1')).toMatchObject({ Id: first.id, Code__c: 'changed' });
    const byId = new Map(results.map((r) => [r.id, r]));
    expect(byId.get(first.id as string)).toMatchObject({ success: true, created: false });
    expect(byId.get(byExt.get('U-2')!.Id)).toMatchObject({ success: true, created: true });
    expect(byId.get(byExt.get('U-3')!.Id)).toMatchObject({ success: true, created: true });
  });

  it('one external id twice in a call fails both rows (no row "updates" the one inserted before it)', async () => {
    const results = await env.conn.sobject('Widget__c').upsert(
      [
        { ExtId__c: 'D-1', Code__c: 'a' },
        { ExtId__c: 'D-1', Code__c: 'b' },
        { ExtId__c: 'D-2', Code__c: 'c' },
      ],
      'ExtId__c',
      { allOrNone: false },
    );
    expect(results.map((r) => [r.success, r.success ? r.created : codeOf(r)])).toEqual([
      [false, 'DUPLICATE_EXTERNAL_ID'],
      [false, 'DUPLICATE_EXTERNAL_ID'],
      [true, true],
    ]);
    const stored = await env.conn.query<{ ExtId__c: string }>(
      "SELECT ExtId__c FROM Widget__c WHERE ExtId__c LIKE 'D-%'",
    );
    expect(stored.records.map((r) => r.ExtId__c)).toEqual(['D-2']);
  });

  // `created` on a failed row says whether it would have been inserted: jsforce's own suite, run against real
  // orgs, expects true on every row of an allOrNone upsert of new keys that failed.
  it('allOrNone with a failure: nothing changes, created true only where the key was new, the others ALL_OR_NONE_OPERATION_ROLLED_BACK', async () => {
    const existing = await env.conn.sobject('Widget__c').create({ ExtId__c: 'R-1', Code__c: 'keep' });
    const results = await env.conn.sobject('Widget__c').upsert(
      [
        { ExtId__c: 'R-1', Code__c: 'lost' },
        { ExtId__c: 'R-2', Code__c: 'lost' },
        { ExtId__c: 'R-3', Code__c: 'this code is far too long' },
      ],
      'ExtId__c',
      { allOrNone: true },
    );
    expect(results.map((r) => [r.success, r.created, codeOf(r)])).toEqual([
      [false, false, 'ALL_OR_NONE_OPERATION_ROLLED_BACK'],
      [false, true, 'ALL_OR_NONE_OPERATION_ROLLED_BACK'],
      [false, true, 'STRING_TOO_LONG'],
    ]);
    const stored = await env.conn.query<{ Id: string; Code__c: string }>(
      "SELECT Id, Code__c FROM Widget__c WHERE ExtId__c LIKE 'R-%'",
    );
    expect(stored.records.map((r) => [r.Id, r.Code__c])).toEqual([[existing.id, 'keep']]);
  });

  it('allOrNone over several object types rolls back the types that had succeeded too', async () => {
    const results = (await env.conn.requestPost(`/services/data/v${env.sf.apiVersion}/composite/sobjects`, {
      allOrNone: true,
      records: [
        { attributes: { type: 'Account' }, Name: 'Cross Type Co' },
        { attributes: { type: 'Contact' }, FirstName: 'No last name' },
      ],
    })) as Array<{ success: boolean; errors: Array<{ statusCode: string }> }>;
    expect(results.map((r) => [r.success, codeOf(r)])).toEqual([
      [false, 'ALL_OR_NONE_OPERATION_ROLLED_BACK'],
      [false, 'REQUIRED_FIELD_MISSING'],
    ]);
    expect((await env.conn.query("SELECT Id FROM Account WHERE Name = 'Cross Type Co'")).totalSize).toBe(0);
  });
});
