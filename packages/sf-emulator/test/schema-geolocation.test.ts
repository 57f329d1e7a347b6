// Geolocation custom fields: components __Latitude__s / __Longitude__s with compoundFieldName, the compound typed
// `location` in describe, answered as an object by REST, refused by Bulk query; from JSON and from SFDX metadata.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FieldDefinition, SalesforceEmulator } from '../src/index.js';
import { connect, startEmulator } from './http-support.js';

let sf: SalesforceEmulator;
let conn: Connection;
let project: string;
beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'sfe-geo-'));
  const objectDir = join(project, 'force-app', 'objects', 'Store__c');
  mkdirSync(join(objectDir, 'fields'), { recursive: true });
  writeFileSync(
    join(objectDir, 'Store__c.object-meta.xml'),
    '<?xml version="1.0" encoding="UTF-8"?><CustomObject xmlns="http://soap.sforce.com/2006/04/metadata"><label>Store</label><pluralLabel>Stores</pluralLabel><nameField><label>Store Name</label><type>Text</type></nameField></CustomObject>',
  );
  writeFileSync(
    join(objectDir, 'fields', 'Location__c.field-meta.xml'),
    '<?xml version="1.0" encoding="UTF-8"?><CustomField xmlns="http://soap.sforce.com/2006/04/metadata"><fullName>Location__c</fullName><label>Location</label><scale>6</scale><displayLocationInDecimal>true</displayLocationInDecimal><type>Location</type></CustomField>',
  );
  writeFileSync(join(project, 'sfdx-project.json'), JSON.stringify({ packageDirectories: [{ path: 'force-app' }] }));
  // JSON definitions take `type: 'location'` at run time (not yet in the FieldType union).
  const site = { name: 'Site__c', type: 'location', scale: 4 } as unknown as FieldDefinition;
  sf = await startEmulator({ sfdxProject: project, objects: [{ name: 'Depot__c', fields: [site] }] });
  conn = connect(sf);
});
afterAll(async () => {
  await sf.stop();
  rmSync(project, { recursive: true, force: true });
});

interface FieldDescribe {
  name: string;
  type: string;
  scale: number;
  compoundFieldName: string | null;
  createable: boolean;
}

describe('geolocation fields', () => {
  it('describes the compound as location and its components as doubles with compoundFieldName', async () => {
    for (const [object, field, scale] of [
      ['Store__c', 'Location', 6],
      ['Depot__c', 'Site', 4],
    ] as const) {
      const fields = (await conn.sobject(object).describe()).fields as unknown as FieldDescribe[];
      const byName = new Map(fields.map((f) => [f.name, f]));
      expect(byName.get(`${field}__c`)).toMatchObject({ type: 'location', createable: false });
      for (const axis of ['Latitude', 'Longitude']) {
        expect(byName.get(`${field}__${axis}__s`)).toMatchObject({
          type: 'double',
          scale,
          compoundFieldName: `${field}__c`,
          createable: true,
        });
      }
    }
  });

  it('stores the components, answers the compound as { latitude, longitude } and null when empty', async () => {
    await conn
      .sobject('Store__c')
      .create([
        { Name: 'Harbour', Location__Latitude__s: 37.793252, Location__Longitude__s: -122.394771 },
        { Name: 'Nowhere' },
      ]);
    const result = await conn.query<{ Name: string; Location__c: unknown; Location__Latitude__s: number | null }>(
      'SELECT Name, Location__c, Location__Latitude__s FROM Store__c ORDER BY Name',
    );
    expect(result.records.map((r) => [r.Name, r.Location__c, r.Location__Latitude__s])).toEqual([
      ['Harbour', { latitude: 37.793252, longitude: -122.394771 }, 37.793252],
      ['Nowhere', null, null],
    ]);
    await expect(
      conn.sobject('Store__c').create({ Name: 'Direct', Location__c: { latitude: 1, longitude: 2 } }),
    ).rejects.toMatchObject({ errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE' });
  });

  it('is refused by Bulk query as Salesforce refuses compound fields; its components are not', async () => {
    const refused = await conn
      .request({
        method: 'POST',
        url: `/services/data/v${sf.apiVersion}/jobs/query`,
        body: JSON.stringify({ operation: 'query', query: 'SELECT Name, Location__c FROM Store__c' }),
        headers: { 'Content-Type': 'application/json' },
      })
      .catch((error: { errorCode: string; message: string }) => error);
    expect(refused).toMatchObject({ errorCode: 'INVALIDJOB' });
    expect((refused as { message: string }).message).toMatch(/compound data not supported in Bulk Query/);
    const rows: Array<Record<string, string>> = [];
    const records = (await conn.bulk2.query(
      "SELECT Name, Location__Latitude__s, Location__Longitude__s FROM Store__c WHERE Name = 'Harbour'",
    )) as unknown as AsyncIterable<Record<string, string>>;
    for await (const record of records) rows.push(record);
    expect(rows).toEqual([
      { Name: 'Harbour', Location__Latitude__s: '37.793252', Location__Longitude__s: '-122.394771' },
    ]);
  });
});
