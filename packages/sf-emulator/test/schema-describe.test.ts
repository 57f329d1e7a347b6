import { describe, expect, it } from 'vitest';
import { OrgError } from '../src/contract.js';
import { createOrg, INTEGRATION_OBJECTS, STANDARD_OBJECTS } from '../src/org/index.js';
import { NOW, PART, WIDGET } from './fixtures/objects.js';

type Field = Record<string, unknown>;

function fieldOf(describeBody: Record<string, unknown>, name: string): Field {
  const field = (describeBody.fields as Field[]).find((candidate) => candidate.name === name);
  if (!field) throw new Error(`no field ${name}`);
  return field;
}

describe('describe', () => {
  it('describes Account like Salesforce: flags, required Name, picklists, references, audit fields', () => {
    const org = createOrg();
    const body = org.describe('account');
    expect(body).toMatchObject({
      name: 'Account',
      label: 'Account',
      labelPlural: 'Accounts',
      keyPrefix: '001',
      custom: false,
      createable: true,
      updateable: true,
      deletable: true,
      queryable: true,
      urls: expect.objectContaining({ describe: '/services/data/v62.0/sobjects/Account/describe' }),
    });
    expect(fieldOf(body, 'Name')).toMatchObject({
      type: 'string',
      length: 255,
      byteLength: 765,
      nillable: false,
      createable: true,
      updateable: true,
      defaultedOnCreate: false,
      nameField: true,
      soapType: 'xsd:string',
    });
    expect(fieldOf(body, 'Id')).toMatchObject({ type: 'id', nillable: false, createable: false, idLookup: true });
    const industry = fieldOf(body, 'Industry');
    expect(industry.type).toBe('picklist');
    expect((industry.picklistValues as Field[])[0]).toEqual({
      active: true,
      defaultValue: false,
      label: 'Agriculture',
      validFor: null,
      value: 'Agriculture',
    });
    expect(fieldOf(body, 'OwnerId')).toMatchObject({
      type: 'reference',
      referenceTo: ['User'],
      relationshipName: 'Owner',
      defaultedOnCreate: true,
      nillable: true,
      soapType: 'tns:ID',
    });
    expect(fieldOf(body, 'CreatedDate')).toMatchObject({ type: 'datetime', createable: false, updateable: false });
    expect(fieldOf(body, 'IsDeleted')).toMatchObject({ type: 'boolean', nillable: false, createable: false });
    expect(fieldOf(body, 'AnnualRevenue')).toMatchObject({ type: 'currency', precision: 18, scale: 0 });
    expect(fieldOf(body, 'NumberOfEmployees')).toMatchObject({ type: 'int', digits: 8 });
    const children = body.childRelationships as Field[];
    expect(children).toContainEqual(
      expect.objectContaining({
        childSObject: 'Contact',
        field: 'AccountId',
        relationshipName: 'Contacts',
        cascadeDelete: true,
      }),
    );
    expect(children).toContainEqual(
      expect.objectContaining({ childSObject: 'Opportunity', field: 'AccountId', relationshipName: 'Opportunities' }),
    );
    expect(body.recordTypeInfos).toEqual([
      expect.objectContaining({ master: true, name: 'Master', recordTypeId: '012000000000000AAA' }),
    ]);
  });

  it('marks required fields on Contact, Lead and Opportunity and restricted picklists', () => {
    const org = createOrg();
    expect(fieldOf(org.describe('Contact'), 'LastName')).toMatchObject({ nillable: false, length: 80 });
    const lead = org.describe('Lead');
    expect(fieldOf(lead, 'Company')).toMatchObject({ nillable: false });
    expect(fieldOf(lead, 'Status')).toMatchObject({ nillable: false, defaultedOnCreate: true });
    const opportunity = org.describe('Opportunity');
    for (const name of ['Name', 'StageName', 'CloseDate']) expect(fieldOf(opportunity, name).nillable).toBe(false);
    const stage = fieldOf(opportunity, 'StageName');
    expect((stage.picklistValues as Field[]).map((value) => value.value)).toContain('Closed Won');
    expect(fieldOf(org.describe('Case'), 'Status').picklistValues).toHaveLength(4);
    expect(fieldOf(org.describe('User'), 'TimeZoneSidKey')).toMatchObject({ restrictedPicklist: true });
    expect(org.describe('Organization')).toMatchObject({ createable: false, deletable: false });
  });

  it('describes custom fields: autonumber as string, formula by result type, external ids, master-detail', () => {
    const org = createOrg({ objects: [WIDGET, PART], now: () => NOW });
    const widget = org.describe('Widget__c');
    expect(widget).toMatchObject({ name: 'Widget__c', custom: true, label: 'Widget', labelPlural: 'Widgets' });
    expect(String(widget.keyPrefix)).toMatch(/^a[0-9A-Za-z]{2}$/);
    expect(fieldOf(widget, 'Serial__c')).toMatchObject({ type: 'string', autoNumber: true, createable: false });
    expect(fieldOf(widget, 'Total__c')).toMatchObject({ type: 'currency', calculated: true, updateable: false });
    expect(fieldOf(widget, 'Ext__c')).toMatchObject({
      externalId: true,
      unique: true,
      idLookup: true,
      caseSensitive: false,
      custom: true,
      length: 20,
    });
    expect(fieldOf(widget, 'Code__c')).toMatchObject({ caseSensitive: true, unique: true, externalId: false });
    expect(fieldOf(widget, 'Color__c')).toMatchObject({ restrictedPicklist: true });
    expect(fieldOf(widget, 'Account__c')).toMatchObject({ relationshipName: 'Account__r', referenceTo: ['Account'] });
    // System fields added to custom objects.
    for (const name of [
      'Id',
      'Name',
      'OwnerId',
      'CreatedDate',
      'CreatedById',
      'LastModifiedDate',
      'SystemModstamp',
      'IsDeleted',
    ]) {
      fieldOf(widget, name);
    }
    expect(fieldOf(widget, 'Name')).toMatchObject({ nillable: true, defaultedOnCreate: true });
    const part = org.describe('Part__c');
    expect((part.fields as Field[]).some((field) => field.name === 'OwnerId')).toBe(false);
    expect(fieldOf(part, 'Widget__c')).toMatchObject({ nillable: false, updateable: false, relationshipOrder: 0 });
    expect(widget.childRelationships).toContainEqual(
      expect.objectContaining({ childSObject: 'Part__c', relationshipName: 'Parts__r', cascadeDelete: true }),
    );
    expect(org.describe('Account').childRelationships).toContainEqual(
      expect.objectContaining({ childSObject: 'Widget__c', field: 'Account__c', relationshipName: 'Widgets__r' }),
    );
  });

  it('lists record types from RecordType records', () => {
    const org = createOrg();
    const [recordType] = org.seed('RecordType', [
      { Name: 'Partner', DeveloperName: 'Partner', SobjectType: 'Account', IsActive: true },
    ]);
    const infos = org.describe('Account').recordTypeInfos as Field[];
    expect(infos[0]).toMatchObject({
      name: 'Partner',
      developerName: 'Partner',
      recordTypeId: recordType!.Id,
      master: false,
    });
    expect(infos).toHaveLength(2);
  });

  it('throws NOT_FOUND (404) for an unknown object', () => {
    const org = createOrg();
    expect(() => org.describe('Nope')).toThrowError(OrgError);
    try {
      org.describe('Nope');
    } catch (error) {
      expect((error as OrgError).status).toBe(404);
      expect((error as OrgError).errorCode).toBe('NOT_FOUND');
    }
  });
});

describe('describeGlobal', () => {
  it('lists every object with the Salesforce keys', () => {
    const org = createOrg({ integrationObjects: true });
    const body = org.describeGlobal() as { encoding: string; maxBatchSize: number; sobjects: Field[] };
    expect(body.encoding).toBe('UTF-8');
    expect(body.maxBatchSize).toBe(200);
    const namesListed = body.sobjects.map((entry) => entry.name);
    for (const definition of [...STANDARD_OBJECTS, ...INTEGRATION_OBJECTS])
      expect(namesListed).toContain(definition.name);
    expect(body.sobjects.find((entry) => entry.name === 'Contact')).toMatchObject({
      label: 'Contact',
      keyPrefix: '003',
      custom: false,
      queryable: true,
      createable: true,
      urls: { sobject: '/services/data/v62.0/sobjects/Contact' },
    });
  });
});

describe('integration objects', () => {
  it('adds Integration__c, IntegrationExecution__c and IntegrationError__c', () => {
    const org = createOrg({ integrationObjects: true, now: () => NOW });
    const execution = org.describe('IntegrationExecution__c');
    expect(fieldOf(execution, 'Integration__c')).toMatchObject({
      referenceTo: ['Integration__c'],
      relationshipName: 'Integration__r',
    });
    expect(fieldOf(execution, 'ExecutionPayload__c')).toMatchObject({ type: 'textarea', length: 131072 });
    expect(fieldOf(execution, 'IdempotencyKey__c')).toMatchObject({ externalId: true, unique: true });
    expect(fieldOf(execution, 'Status__c')).toMatchObject({ type: 'picklist' });
    const error = org.describe('IntegrationError__c');
    expect(fieldOf(error, 'IntegrationExecution__c')).toMatchObject({
      nillable: false,
      referenceTo: ['IntegrationExecution__c'],
    });
    for (const name of [
      'Operation__c',
      'Object__c',
      'ErrorCode__c',
      'ErrorMessage__c',
      'UpsertKey__c',
      'UpsertKeyValue__c',
    ]) {
      fieldOf(error, name);
    }
    expect(fieldOf(error, 'ObjectPayload__c')).toMatchObject({ type: 'textarea', length: 131072 });
    const [integration] = org.dml('insert', 'Integration__c', [{ Name: 'Daily accounts' }]);
    const [run] = org.dml('insert', 'IntegrationExecution__c', [
      { Integration__c: integration!.id, IdempotencyKey__c: 'run-1', Status__c: 'Queued' },
    ]);
    const [failure] = org.dml('insert', 'IntegrationError__c', [
      { IntegrationExecution__c: run!.id, ErrorCode__c: 'REQUIRED_FIELD_MISSING', ObjectPayload__c: '{}' },
    ]);
    expect(failure!.success).toBe(true);
    const [orphan] = org.dml('insert', 'IntegrationError__c', [{ ErrorCode__c: 'X' }]);
    expect(orphan!.errors[0]).toMatchObject({
      statusCode: 'REQUIRED_FIELD_MISSING',
      fields: ['IntegrationExecution__c'],
    });
    const result = org.query(
      "SELECT Name, (SELECT ErrorCode__c FROM IntegrationErrors__r) FROM IntegrationExecution__c WHERE Integration__r.Name = 'Daily accounts'",
    );
    expect(result.records[0]!.IntegrationErrors__r).toMatchObject({ totalSize: 1 });
  });
});

describe('defineObject', () => {
  it('merges fields into a standard object and keeps records when an object is redefined', () => {
    const org = createOrg();
    const [account] = org.dml('insert', 'Account', [{ Name: 'a' }]);
    org.defineObject({ name: 'Account', merge: true, fields: [{ name: 'Tier__c', type: 'string', length: 5 }] });
    expect(fieldOf(org.describe('Account'), 'Tier__c')).toMatchObject({ custom: true, length: 5 });
    expect(fieldOf(org.describe('Account'), 'Name')).toBeDefined();
    expect(org.dml('update', 'Account', [{ Id: account!.id, Tier__c: 'gold' }])[0]!.success).toBe(true);
    expect(org.getObject('ACCOUNT')!.fields.some((field) => field.name === 'Tier__c')).toBe(true);
    expect(org.listObjects().length).toBeGreaterThanOrEqual(8);
  });

  it('refuses malformed definitions', () => {
    const org = createOrg();
    expect(() =>
      org.defineObject({ name: 'Bad__c', fields: [{ name: 'X__c', type: 'varchar' as unknown as 'string' }] }),
    ).toThrowError(/unknown field type "varchar"/);
    expect(() => org.defineObject({ name: 'Bad__c', fields: [{ name: 'R__c', type: 'reference' }] })).toThrowError(
      /needs referenceTo/,
    );
    expect(() => org.defineObject({ name: 'Bad name', fields: [] })).toThrowError(/Invalid object name/);
    expect(org.getObject('Bad__c')).toBeUndefined();
  });

  it('refuses a key prefix used by another object', () => {
    const org = createOrg();
    expect(() => org.defineObject({ name: 'Clash__c', keyPrefix: '001', fields: [] })).toThrowError(/used by Account/);
  });
});
