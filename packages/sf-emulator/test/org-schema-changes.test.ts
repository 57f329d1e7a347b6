// Schema drift while the org runs: fields and objects added and removed (in code and through the admin routes),
// the describe (with Last-Modified and ETag) changing with them. Real jsforce over HTTP.
import type { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SalesforceEmulator } from '../src/index.js';
import { api, connect, raw, startEmulator } from './http-support.js';

let sf: SalesforceEmulator;
let conn: Connection;
beforeAll(async () => {
  sf = await startEmulator({ clock: '2024-10-01T00:00:00Z' });
  conn = connect(sf);
});
afterAll(async () => {
  await sf.stop();
});

async function fieldNames(objectName: string): Promise<string[]> {
  return (await conn.describe(objectName)).fields.map((field) => field.name);
}

async function failure(call: PromiseLike<unknown>): Promise<{ errorCode?: string; message: string }> {
  try {
    await call;
  } catch (error) {
    return { errorCode: (error as { errorCode?: string }).errorCode, message: (error as Error).message };
  }
  throw new Error('the call succeeded');
}

describe('schema changes while the org runs', () => {
  it('adds a field: describe, queries and writes see it; Last-Modified and ETag change', async () => {
    const { id: before } = (await conn.sobject('Account').create({ Name: 'Before Tier' })) as { id: string };
    const first = await raw(sf, 'GET', api(sf, '/sobjects/Account/describe'));
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    expect(
      (await raw(sf, 'GET', api(sf, '/sobjects/Account/describe'), { headers: { 'If-None-Match': etag } })).status,
    ).toBe(304);
    sf.clock.set('2024-10-02T08:00:00Z');
    sf.org.addField('Account', {
      name: 'Tier__c',
      type: 'picklist',
      picklistValues: ['Gold', 'Silver'],
      restricted: true,
    });
    sf.org.addField('Account', { name: 'Vip__c', type: 'boolean' });
    expect(await fieldNames('Account')).toEqual(expect.arrayContaining(['Tier__c', 'Vip__c']));
    const second = await raw(sf, 'GET', api(sf, '/sobjects/Account/describe'), { headers: { 'If-None-Match': etag } });
    expect(second.status).toBe(200);
    expect(second.headers.get('etag')).not.toBe(etag);
    expect(second.headers.get('last-modified')).toBe('Wed, 02 Oct 2024 08:00:00 GMT');
    const since = (date: string) =>
      raw(sf, 'GET', api(sf, '/sobjects/Account/describe'), { headers: { 'If-Modified-Since': date } });
    expect((await since('Wed, 02 Oct 2024 08:00:00 GMT')).status).toBe(304);
    expect((await since('Wed, 02 Oct 2024 07:59:59 GMT')).status).toBe(200);
    expect(sf.org.describeLastModified('Account').toISOString()).toBe('2024-10-02T08:00:00.000Z');

    const { id: after } = (await conn.sobject('Account').create({ Name: 'After Tier', Tier__c: 'Gold' })) as {
      id: string;
    };
    const rows = await conn.query<Record<string, unknown>>(
      `SELECT Id, Tier__c, Vip__c FROM Account WHERE Id IN ('${before}', '${after}') ORDER BY Name`,
    );
    expect(rows.records.map((r) => [r.Id, r.Tier__c, r.Vip__c])).toEqual([
      [after, 'Gold', false],
      [before, null, false], // checkboxes are backfilled with their default, other fields read null
    ]);
    expect(
      await failure(conn.sobject('Account').create({ Name: 'Bad Tier', Tier__c: 'Bronze', Vip__c: true })),
    ).toMatchObject({ errorCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST' });
    expect(() => sf.org.addField('Account', { name: 'tier__c', type: 'string' })).toThrow(/exists already/);
    expect(() => sf.org.addField('Account', { name: 'Odd__c', type: 'blob' as never })).toThrow(/unknown field type/);
  });

  it('removes a field: gone from describe, records and queries', async () => {
    sf.clock.set('2024-10-03T00:00:00Z');
    sf.org.removeField('Account', 'Tier__c');
    expect(await fieldNames('Account')).not.toContain('Tier__c');
    expect(await failure(conn.query('SELECT Tier__c FROM Account'))).toMatchObject({ errorCode: 'INVALID_FIELD' });
    const [record] = sf.org.records('Account').filter((r) => r.Name === 'After Tier');
    expect(record).not.toHaveProperty('Tier__c');
    expect(() => sf.org.removeField('Account', 'Name')).toThrow(/only custom fields/);
    expect(() => sf.org.removeField('Account', 'Nope__c')).toThrow(/No such column/);
    expect(sf.org.describeLastModified('Account').toISOString()).toBe('2024-10-03T00:00:00.000Z');
  });

  it('adds and removes objects and fields through the admin routes; describeGlobal follows', async () => {
    sf.clock.set('2024-10-04T00:00:00Z');
    const global = await raw(sf, 'GET', api(sf, '/sobjects'));
    const created = await raw(sf, 'POST', '/_emulator/objects', {
      body: JSON.stringify({
        name: 'Shipment__c',
        fields: [
          { name: 'Weight__c', type: 'double', precision: 10, scale: 2 },
          { name: 'Account__c', type: 'reference', referenceTo: ['Account'], relationshipName: 'Account__r' },
        ],
      }),
    });
    expect(created.status).toBe(201);
    expect(created.json()).toEqual({ object: 'Shipment__c', lastModifiedDate: '2024-10-04T00:00:00.000Z' });
    const globalAfter = await raw(sf, 'GET', api(sf, '/sobjects'), {
      headers: { 'If-None-Match': global.headers.get('etag')! },
    });
    expect(globalAfter.status).toBe(200);
    expect((globalAfter.json() as { sobjects: Array<{ name: string }> }).sobjects.map((o) => o.name)).toContain(
      'Shipment__c',
    );
    const { id } = (await conn.sobject('Shipment__c').create({ Weight__c: 12.5 })) as { id: string };

    const formula = await raw(sf, 'POST', '/_emulator/objects/Shipment__c/fields', {
      body: JSON.stringify({
        name: 'Heavy__c',
        type: 'formula',
        formula: { returnType: 'boolean', source: 'Weight__c > 10' },
      }),
    });
    expect(formula.status).toBe(201);
    const row = (await conn.sobject('Shipment__c').retrieve(id)) as Record<string, unknown>;
    expect(row.Heavy__c).toBe(true);
    const badFormula = await raw(sf, 'POST', '/_emulator/objects/Shipment__c/fields', {
      body: JSON.stringify({ name: 'Bad__c', type: 'formula', formula: { returnType: 'string' } }),
    });
    expect(badFormula.status).toBe(400);
    expect(badFormula.text).toContain('formula: { returnType, source }');

    const dropField = await raw(sf, 'DELETE', '/_emulator/objects/Shipment__c/fields/Heavy__c');
    expect(dropField.status).toBe(200);
    expect(await fieldNames('Shipment__c')).not.toContain('Heavy__c');

    // Account is referred to by Shipment__c: the standard object stays, the custom object goes.
    const refused = await raw(sf, 'DELETE', '/_emulator/objects/Account');
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('only custom objects');
    const dropObject = await raw(sf, 'DELETE', '/_emulator/objects/Shipment__c');
    expect(dropObject.status).toBe(200);
    expect(await failure(conn.query('SELECT Id FROM Shipment__c'))).toMatchObject({ errorCode: 'INVALID_TYPE' });
    expect((await raw(sf, 'GET', api(sf, '/sobjects/Shipment__c/describe'))).status).toBe(404);
    expect(sf.org.describeLastModified().toISOString()).toBe('2024-10-04T00:00:00.000Z');
  });

  it('refuses to remove an object other objects refer to', () => {
    sf.org.defineObject({ name: 'Hub__c', fields: [] });
    sf.org.defineObject({
      name: 'Spoke__c',
      fields: [{ name: 'Hub__c', type: 'reference', referenceTo: ['Hub__c'], relationshipName: 'Hub__r' }],
    });
    expect(() => sf.org.removeObject('Hub__c')).toThrow(/Spoke__c.Hub__c/);
    sf.org.removeObject('Spoke__c');
    sf.org.removeObject('Hub__c');
    expect(sf.org.getObject('Hub__c')).toBeUndefined();
  });
});
