import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createOrg, loadSfdxObjects } from '../src/org/index.js';
import { compileFormula } from '../src/schema/sfdx.js';
import { NOW } from './fixtures/objects.js';

const project = fileURLToPath(new URL('./fixtures/sfdx-project', import.meta.url));

describe('loadSfdxObjects', () => {
  it('reads custom objects and standard-object extensions from the package directories only', () => {
    const definitions = loadSfdxObjects(project);
    const byName = new Map(definitions.map((definition) => [definition.name, definition]));
    expect([...byName.keys()].sort()).toEqual(['Account', 'Invoice_Line__c', 'Invoice__c']);
    expect(byName.get('Account')).toMatchObject({ merge: true });
    // A standard field customization without <type> is not a field definition.
    expect(byName.get('Account')!.fields.map((field) => field.name)).toEqual(['External_Id__c']);
    expect(byName.get('Invoice__c')).toMatchObject({ label: 'Invoice', labelPlural: 'Invoices', custom: true });
  });

  it('maps every field type', () => {
    const invoice = loadSfdxObjects(project).find((definition) => definition.name === 'Invoice__c')!;
    const field = (name: string) => invoice.fields.find((candidate) => candidate.name === name)!;
    expect(field('Name')).toMatchObject({ type: 'autonumber', displayFormat: 'INV-{00000}', label: 'Invoice Number' });
    expect(field('External_Id__c')).toMatchObject({ type: 'string', length: 50, externalId: true, unique: true });
    expect(field('Account__c')).toMatchObject({
      type: 'reference',
      referenceTo: ['Account'],
      relationshipName: 'Account__r',
      childRelationshipName: 'Invoices__r',
    });
    expect(field('Status__c')).toMatchObject({
      type: 'picklist',
      restricted: true,
      required: true,
      defaultValue: 'Draft',
      picklistValues: ['Draft', 'Sent', 'Paid, Closed'],
    });
    expect(field('Channels__c')).toMatchObject({
      type: 'multipicklist',
      picklistValues: ['Email', 'Post'],
      restricted: false,
    });
    expect(field('Total__c')).toMatchObject({ type: 'currency', precision: 16, scale: 2 });
    expect(field('Line_Count__c')).toMatchObject({ type: 'int', precision: 4, scale: 0 });
    expect(field('Discount__c')).toMatchObject({ type: 'percent', precision: 5, scale: 2 });
    expect(field('Paid__c')).toMatchObject({ type: 'boolean', defaultValue: false });
    expect(field('Issued__c').type).toBe('date');
    expect(field('Sent_At__c').type).toBe('datetime');
    expect(field('Cutoff__c').type).toBe('time');
    expect(field('Memo__c')).toMatchObject({ type: 'textarea', length: 32768 });
    expect(field('Short_Note__c')).toMatchObject({ type: 'textarea', length: 255 });
    expect(field('Billing_Email__c').type).toBe('email');
    expect(field('Phone__c').type).toBe('phone');
    expect(field('Portal__c').type).toBe('url');
    expect(field('Label__c')).toMatchObject({ type: 'formula', formula: { returnType: 'string' } });
    expect(field('Net__c')).toMatchObject({ type: 'formula', formula: { returnType: 'currency' } });
    const line = loadSfdxObjects(project).find((definition) => definition.name === 'Invoice_Line__c')!;
    expect(line.fields.find((candidate) => candidate.name === 'Invoice__c')).toMatchObject({
      type: 'reference',
      masterDetail: true,
      required: true,
      createOnly: true,
      childRelationshipName: 'Lines__r',
    });
    expect(line.fields.find((candidate) => candidate.name === 'Sequence__c')).toMatchObject({
      type: 'autonumber',
      displayFormat: 'L-{000}',
    });
  });

  it('throws for a missing directory', () => {
    expect(() => loadSfdxObjects('/definitely/not/here')).toThrowError(/not found/);
  });
});

describe('an org built from an SFDX project', () => {
  it('inserts, validates and queries the custom objects, with Account extended', () => {
    const org = createOrg({ sfdxProject: project, now: () => NOW });
    const [account] = org.dml('insert', 'Account', [{ Name: 'Acme', External_Id__c: 'A-1' }]);
    expect(account!.success).toBe(true);
    // Case-sensitive external id on Account: 'a-1' is a different value.
    expect(org.dml('insert', 'Account', [{ Name: 'Other', External_Id__c: 'a-1' }])[0]!.success).toBe(true);
    const results = org.dml(
      'insert',
      'Invoice__c',
      [
        { External_Id__c: 'INV-EXT-1', Status__c: 'Sent', 'Account__r.External_Id__c': 'A-1', Total__c: '10.5' },
        { External_Id__c: 'INV-EXT-2', Status__c: 'Lost' },
        { External_Id__c: 'INV-EXT-3', Status__c: 'Paid, Closed', Channels__c: 'Email;Post' },
      ],
      { csvValues: true },
    );
    expect(results.map((result) => result.success)).toEqual([true, false, true]);
    expect(results[1]!.errors[0]!.statusCode).toBe('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
    const invoice = org.get(results[0]!.id!)!;
    expect(invoice).toMatchObject({
      Name: 'INV-00001',
      Account__c: account!.id,
      Total__c: 10.5,
      Paid__c: false,
      Label__c: 'INV-EXT-1-Sent',
      Net__c: null,
    });
    // Percent fields read as fractions in formulas: 10.5 * (1 - 10%) = 9.45.
    org.dml('update', 'Invoice__c', [{ Id: results[0]!.id, Discount__c: 10 }]);
    expect(org.get(results[0]!.id!)!.Net__c).toBe(9.45);
    const [line] = org.dml('insert', 'Invoice_Line__c', [{ Invoice__c: results[0]!.id }]);
    expect(org.get(line!.id!)!.Sequence__c).toBe('L-001');
    const query = org.query(
      "SELECT Name, Account__r.Name, (SELECT Sequence__c FROM Lines__r) FROM Invoice__c WHERE Status__c = 'sent'",
    );
    expect(query.records[0]).toMatchObject({
      Name: 'INV-00001',
      Account__r: { Name: 'Acme' },
      Lines__r: { totalSize: 1, records: [{ Sequence__c: 'L-001' }] },
    });
    const accounts = org.query("SELECT Name, (SELECT Name FROM Invoices__r) FROM Account WHERE Name = 'Acme'");
    expect(accounts.records[0]!.Invoices__r).toMatchObject({ totalSize: 1, records: [{ Name: 'INV-00001' }] });
  });
});

describe('record types', () => {
  it('reads recordTypes metadata, seeds RecordType records, adds RecordTypeId and checks it', () => {
    const definitions = loadSfdxObjects(project);
    expect(definitions.find((definition) => definition.name === 'Account')!.recordTypes).toEqual([
      { developerName: 'Legacy', label: 'Legacy', active: false },
      { developerName: 'Partner', label: 'Partner Account', active: true, description: 'Partner accounts' },
    ]);
    const org = createOrg({ sfdxProject: project, now: () => NOW });
    const recordTypes = org.query(
      'SELECT Id, DeveloperName, SobjectType, IsActive FROM RecordType ORDER BY DeveloperName',
    ).records;
    expect(recordTypes.map((record) => [record.DeveloperName, record.SobjectType, record.IsActive])).toEqual([
      ['Credit_Note', 'Invoice__c', true],
      ['Legacy', 'Account', false],
      ['Partner', 'Account', true],
    ]);
    const [creditNote, legacy, partner] = recordTypes.map((record) => record.Id as string);
    const infos = org.describe('Account').recordTypeInfos as Array<Record<string, unknown>>;
    expect(infos.map((info) => info.developerName)).toEqual(['Legacy', 'Partner', 'Master']);
    const results = org.dml('insert', 'Account', [
      { Name: 'p', RecordTypeId: partner },
      { Name: 'l', RecordTypeId: legacy },
      { Name: 'c', RecordTypeId: creditNote },
    ]);
    expect(results[0]!.success).toBe(true);
    // Without RecordTypeId an insert gets the default: the first active record type.
    const [plain] = org.dml('insert', 'Account', [{ Name: 'plain' }]);
    expect(org.get(plain!.id!)!.RecordTypeId).toBe(partner);
    expect(infos.find((info) => info.defaultRecordTypeMapping === true)!.developerName).toBe('Partner');
    for (const failed of results.slice(1)) {
      expect(failed.errors[0]).toMatchObject({ statusCode: 'INVALID_CROSS_REFERENCE_KEY', fields: ['RecordTypeId'] });
    }
    const partners = org.query(
      "SELECT Name, RecordType.DeveloperName FROM Account WHERE RecordType.DeveloperName = 'Partner' ORDER BY Name",
    ).records;
    expect(
      partners.map((record) => [record.Name, (record.RecordType as { DeveloperName: string }).DeveloperName]),
    ).toEqual([
      ['p', 'Partner'],
      ['plain', 'Partner'],
    ]);
    // Restoring a saved org does not seed the record types twice.
    const restored = createOrg({ sfdxProject: project, fromJSON: JSON.parse(JSON.stringify(org.toJSON())) });
    expect(restored.query('SELECT COUNT() FROM RecordType').totalSize).toBe(3);
  });
});

describe('compileFormula (re-exported from the SFDX loader)', () => {
  it('computes field references and concatenations', () => {
    expect(compileFormula('Amount__c')({ Amount__c: 5, Id: 'x' })).toBe(5);
    expect(compileFormula("First__c & ' ' & Last__c")({ First__c: 'Ann', Last__c: 'Lee' })).toBe('Ann Lee');
  });
});

describe('a custom object folder with fields only', () => {
  it('extends the object defined elsewhere (here the built-in IntegrationExecution__c) instead of replacing it', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const root = mkdtempSync(join(tmpdir(), 'sfdx-fields-only-'));
    writeFileSync(
      join(root, 'sfdx-project.json'),
      JSON.stringify({ packageDirectories: [{ path: 'force-app', default: true }] }),
    );
    const fieldsDir = join(root, 'force-app/main/default/objects/IntegrationExecution__c/fields');
    mkdirSync(fieldsDir, { recursive: true });
    writeFileSync(
      join(fieldsDir, 'Number_of_Errors__c.field-meta.xml'),
      `<?xml version="1.0" encoding="UTF-8"?>
<CustomField xmlns="http://soap.sforce.com/2006/04/metadata">
    <fullName>Number_of_Errors__c</fullName>
    <label>Number of Errors</label>
    <precision>18</precision>
    <scale>0</scale>
    <type>Number</type>
</CustomField>`,
    );
    const [definition] = loadSfdxObjects(root);
    expect(definition).toMatchObject({ name: 'IntegrationExecution__c', merge: true });
    const org = createOrg({ integrationObjects: true, sfdxProject: root, now: () => NOW });
    const names = org.getObject('IntegrationExecution__c')?.fields.map((field) => field.name) ?? [];
    expect(names).toEqual(
      expect.arrayContaining(['Name', 'IdempotencyKey__c', 'ExecutionPayload__c', 'Number_of_Errors__c']),
    );
    const [result] = org.dml('insert', 'IntegrationExecution__c', [
      { Name: 'run', IdempotencyKey__c: 'k1', Number_of_Errors__c: 3 },
    ]);
    expect(result).toMatchObject({ success: true });
  });
});
