import { describe, expect, it } from 'vitest';
import { OrgError } from '../src/contract.js';
import { isValidId } from '../src/ids.js';
import { createOrg } from '../src/org/index.js';
import { NOW, PART, WIDGET } from './fixtures/objects.js';

function newOrg() {
  return createOrg({ objects: [WIDGET, PART], now: () => NOW });
}

function firstError(result: { errors: Array<{ statusCode: string; message: string; fields: string[] }> }) {
  return result.errors[0];
}

describe('insert', () => {
  it('assigns ids, audit fields, owner, default name, autonumbers; computes formulas on read', () => {
    const org = newOrg();
    const results = org.dml('insert', 'widget__c', [{ Ext__c: 'W1', Qty__c: 3, Price__c: 2.5 }, { Ext__c: 'W2' }]);
    expect(results.map((r) => r.success)).toEqual([true, true]);
    const [first, second] = results;
    expect(first!.created).toBe(true);
    expect(first!.errors).toEqual([]);
    expect(isValidId(first!.id)).toBe(true);
    const prefix = org.compiledObject('Widget__c')!.keyPrefix;
    expect(first!.id!.slice(0, 3)).toBe(prefix);
    const record = org.get(first!.id!)!;
    expect(record).toMatchObject({
      Ext__c: 'W1',
      Qty__c: 3,
      Price__c: 2.5,
      IsDeleted: false,
      CreatedDate: '2024-05-15T12:00:00.000+0000',
      LastModifiedDate: '2024-05-15T12:00:00.000+0000',
      SystemModstamp: '2024-05-15T12:00:00.000+0000',
      CreatedById: org.userId,
      LastModifiedById: org.userId,
      OwnerId: org.userId,
      Name: first!.id!.slice(0, 15),
      Serial__c: 'W-0001',
      Total__c: 7.5,
    });
    expect(org.get(second!.id!)!.Serial__c).toBe('W-0002');
    // 15-character and lower-case suffix forms find the record too.
    expect(org.get(first!.id!.slice(0, 15))?.Id).toBe(first!.id);
    expect(org.get(first!.id!.slice(0, 15) + first!.id!.slice(15).toLowerCase())?.Id).toBe(first!.id);
  });

  it('takes field names case-insensitively and stores canonical case', () => {
    const org = newOrg();
    const [result] = org.dml('insert', 'ACCOUNT', [{ name: 'Acme', INDUSTRY: 'Banking', numberofemployees: 5 }]);
    expect(result!.success).toBe(true);
    const record = org.get(result!.id!)!;
    expect(record.Name).toBe('Acme');
    expect(record.Industry).toBe('Banking');
    expect(record.NumberOfEmployees).toBe(5);
    expect(Object.keys(record)).not.toContain('name');
  });

  it('applies picklist defaults and boolean defaults', () => {
    const org = newOrg();
    const [widget] = org.dml('insert', 'Widget__c', [{}]);
    expect(org.get(widget!.id!)!.Active__c).toBe(false);
    expect(org.query(`SELECT Active__c FROM Widget__c WHERE Id = '${widget!.id}'`).records[0]!.Active__c).toBe(false);
    const [lead] = org.dml('insert', 'Lead', [{ LastName: 'Doe', Company: 'Acme' }]);
    expect(org.get(lead!.id!)).toMatchObject({ Status: 'Open - Not Contacted', DoNotCall: false });
    const [kase] = org.dml('insert', 'Case', [{ Subject: 'Help' }]);
    expect(org.get(kase!.id!)).toMatchObject({ Status: 'New', Priority: 'Medium', CaseNumber: '00000001' });
  });

  it('REQUIRED_FIELD_MISSING lists every missing field', () => {
    const org = newOrg();
    const [account, opportunity, lead] = [
      ...org.dml('insert', 'Account', [{ Industry: 'Banking' }]),
      ...org.dml('insert', 'Opportunity', [{ Amount: 5 }]),
      ...org.dml('insert', 'Lead', [{ LastName: 'x', Company: '' }]),
    ];
    expect(firstError(account!)).toEqual({
      statusCode: 'REQUIRED_FIELD_MISSING',
      message: 'Required fields are missing: [Name]',
      fields: ['Name'],
    });
    expect(firstError(opportunity!)).toMatchObject({
      statusCode: 'REQUIRED_FIELD_MISSING',
      fields: ['Name', 'StageName', 'CloseDate'],
    });
    expect(firstError(lead!)).toMatchObject({ statusCode: 'REQUIRED_FIELD_MISSING', fields: ['Company'] });
    expect(account!).toMatchObject({ success: false, id: null, created: false });
  });

  it('INVALID_TYPE_ON_FIELD_IN_RECORD for bad numbers, dates, datetimes and booleans', () => {
    const org = newOrg();
    const bad = [
      { Qty__c: 'abc' },
      { Qty__c: 1.5 },
      { Due__c: '2024/01/01' },
      { Due__c: '2024-02-30' },
      { At__c: '2024-01-01T10:00:00' },
      { At__c: '2024-13-01T10:00:00Z' },
      { Active__c: 'yes' },
      { Alarm__c: '25:00' },
      { Ext__c: { nested: true } },
    ];
    const results = org.dml('insert', 'Widget__c', bad);
    for (const result of results) {
      expect(result.success).toBe(false);
      expect(firstError(result)!.statusCode).toBe('INVALID_TYPE_ON_FIELD_IN_RECORD');
    }
    expect(firstError(results[0]!)).toEqual({
      statusCode: 'INVALID_TYPE_ON_FIELD_IN_RECORD',
      message: 'Quantity: value not of required type: abc',
      fields: ['Qty__c'],
    });
  });

  it('normalizes accepted values: datetimes to UTC, numbers to scale, times, date from datetime', () => {
    const org = newOrg();
    const [result] = org.dml('insert', 'Widget__c', [
      {
        At__c: '2024-01-01T10:00:00+02:00',
        Price__c: '12.345',
        Qty__c: '7',
        Active__c: 'TRUE',
        Due__c: '2024-02-29',
        Alarm__c: '08:30',
        Tags__c: 'b;a;b',
      },
    ]);
    expect(result!.success).toBe(true);
    expect(org.get(result!.id!)).toMatchObject({
      At__c: '2024-01-01T08:00:00.000+0000',
      Price__c: 12.35,
      Qty__c: 7,
      Active__c: true,
      Due__c: '2024-02-29',
      Alarm__c: '08:30:00.000Z',
      Tags__c: 'B;A',
    });
  });

  it('rounds numbers to a declared scale only', () => {
    const org = createOrg({
      objects: [
        {
          name: 'Free__c',
          fields: [
            { name: 'D__c', type: 'double' },
            { name: 'S__c', type: 'double', precision: 18, scale: 1 },
          ],
        },
      ],
    });
    const [result] = org.dml('insert', 'Free__c', [{ D__c: 1.2345, S__c: 1.25 }]);
    expect(org.get(result!.id!)).toMatchObject({ D__c: 1.2345, S__c: 1.3 });
  });

  it('STRING_TOO_LONG, INVALID_EMAIL_ADDRESS and NUMBER_OUTSIDE_VALID_RANGE', () => {
    const org = newOrg();
    const [long, email, range] = org.dml('insert', 'Widget__c', [
      { Ext__c: 'x'.repeat(21) },
      { Contact_Email__c: 'not-an-email' },
      { Ratio__c: 1000 },
    ]);
    expect(firstError(long!)).toEqual({
      statusCode: 'STRING_TOO_LONG',
      message: `External Key: data value too large: ${'x'.repeat(21)} (max length=20)`,
      fields: ['Ext__c'],
    });
    expect(firstError(email!)).toMatchObject({ statusCode: 'INVALID_EMAIL_ADDRESS', fields: ['Contact_Email__c'] });
    expect(firstError(range!)).toMatchObject({ statusCode: 'NUMBER_OUTSIDE_VALID_RANGE', fields: ['Ratio__c'] });
  });

  it('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST for restricted picklists only', () => {
    const org = newOrg();
    const [color, tags, mood, ok] = org.dml('insert', 'Widget__c', [
      { Color__c: 'Blue' },
      { Tags__c: 'A;Z' },
      { Mood__c: 'Grumpy' },
      { Color__c: 'red' },
    ]);
    expect(firstError(color!)).toEqual({
      statusCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
      message: 'Color: bad value for restricted picklist field: Blue',
      fields: ['Color__c'],
    });
    expect(firstError(tags!)!.statusCode).toBe('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
    expect(mood!.success).toBe(true);
    expect(org.get(ok!.id!)!.Color__c).toBe('Red');
  });

  it('DUPLICATE_VALUE on unique fields: case-insensitive unless caseSensitive, also within one call', () => {
    const org = newOrg();
    const [first] = org.dml('insert', 'Widget__c', [{ Ext__c: 'abc', Code__c: 'abc' }]);
    const results = org.dml('insert', 'Widget__c', [
      { Ext__c: 'ABC' },
      { Code__c: 'ABC' },
      { Code__c: 'abc' },
      { Ext__c: 'new' },
      { Ext__c: 'NEW' },
      { Loose__c: 'same' },
      { Loose__c: 'same' },
    ]);
    expect(firstError(results[0]!)).toEqual({
      statusCode: 'DUPLICATE_VALUE',
      message: `duplicate value found: Ext__c duplicates value on record with id: ${first!.id}`,
      fields: [],
    });
    expect(results[1]!.success).toBe(true);
    expect(firstError(results[2]!)!.statusCode).toBe('DUPLICATE_VALUE');
    expect(results[3]!.success).toBe(true);
    expect(firstError(results[4]!)!.message).toContain(results[3]!.id!);
    // A non-unique external id allows duplicates.
    expect(results[5]!.success && results[6]!.success).toBe(true);
  });

  it('checks references: MALFORMED_ID, FIELD_INTEGRITY_EXCEPTION, INVALID_CROSS_REFERENCE_KEY, ENTITY_IS_DELETED', () => {
    const org = newOrg();
    const [account] = org.dml('insert', 'Account', [{ Name: 'Acme' }]);
    const [gone] = org.dml('insert', 'Account', [{ Name: 'Gone' }]);
    org.dml('delete', 'Account', [{ Id: gone!.id }]);
    const [contact] = org.dml('insert', 'Contact', [{ LastName: 'Doe' }]);
    const missing = `001${'0'.repeat(12)}`;
    const results = org.dml('insert', 'Widget__c', [
      { Account__c: 'xyz' },
      { Account__c: contact!.id },
      { Account__c: missing },
      { Account__c: gone!.id },
      { Account__c: account!.id!.slice(0, 15) },
    ]);
    expect(firstError(results[0]!)).toEqual({
      statusCode: 'MALFORMED_ID',
      message: 'Account: id value of incorrect type: xyz',
      fields: ['Account__c'],
    });
    expect(firstError(results[1]!)!.statusCode).toBe('FIELD_INTEGRITY_EXCEPTION');
    expect(firstError(results[2]!)).toEqual({
      statusCode: 'INVALID_CROSS_REFERENCE_KEY',
      message: 'invalid cross reference id',
      fields: [],
    });
    expect(firstError(results[3]!)!.statusCode).toBe('ENTITY_IS_DELETED');
    expect(results[4]!.success).toBe(true);
    expect(org.get(results[4]!.id!)!.Account__c).toBe(account!.id);
  });

  it('rejects unknown fields, read-only fields and an Id on insert', () => {
    const org = newOrg();
    const [unknown, readOnly, formula, withId] = org.dml('insert', 'Account', [
      { Name: 'a', Foo__c: 1 },
      { Name: 'b', CreatedDate: '2024-01-01T00:00:00Z' },
      { Name: 'c', IsDeleted: true },
      { Name: 'd', Id: '001000000000001' },
    ]);
    expect(firstError(unknown!)).toEqual({
      statusCode: 'INVALID_FIELD',
      message: "No such column 'Foo__c' on sobject of type Account",
      fields: ['Foo__c'],
    });
    expect(firstError(readOnly!)).toMatchObject({
      statusCode: 'INVALID_FIELD_FOR_INSERT_UPDATE',
      fields: ['CreatedDate'],
    });
    expect(firstError(readOnly!)!.message).toMatch(/^Unable to create\/update fields: CreatedDate\./);
    expect(firstError(formula!)!.statusCode).toBe('INVALID_FIELD_FOR_INSERT_UPDATE');
    expect(firstError(withId!)).toMatchObject({
      statusCode: 'INVALID_FIELD_FOR_INSERT_UPDATE',
      message: 'cannot specify Id in an insert call',
    });
    const [total] = org.dml('insert', 'Widget__c', [{ Total__c: 5 }]);
    expect(firstError(total!)!.statusCode).toBe('INVALID_FIELD_FOR_INSERT_UPDATE');
  });

  it('runs validation rules: FIELD_CUSTOM_VALIDATION_EXCEPTION', () => {
    const org = newOrg();
    const [bad, good] = org.dml('insert', 'Widget__c', [{ Qty__c: -1 }, { Qty__c: 1 }]);
    expect(firstError(bad!)).toEqual({
      statusCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
      message: 'Quantity cannot be negative',
      fields: [],
    });
    expect(good!.success).toBe(true);
    const [update] = org.dml('update', 'Widget__c', [{ Id: good!.id, Qty__c: -5 }]);
    expect(firstError(update!)!.statusCode).toBe('FIELD_CUSTOM_VALIDATION_EXCEPTION');
    expect(org.get(good!.id!)!.Qty__c).toBe(1);
  });

  it('honours injectError: that record fails, the others proceed', () => {
    const org = newOrg();
    const results = org.dml('insert', 'Account', [{ Name: 'a' }, { Name: 'b' }, { Name: 'c' }], {
      injectError: (record) =>
        record.Name === 'b'
          ? { statusCode: 'UNABLE_TO_LOCK_ROW', message: 'unable to obtain exclusive access', fields: [] }
          : undefined,
    });
    expect(results.map((r) => r.success)).toEqual([true, false, true]);
    expect(firstError(results[1]!)!.statusCode).toBe('UNABLE_TO_LOCK_ROW');
    expect(org.records('Account').map((r) => r.Name)).toEqual(['a', 'c']);
  });

  it('fails the whole call for an unknown object', () => {
    const org = newOrg();
    expect(() => org.dml('insert', 'Nope__c', [{}])).toThrowError(OrgError);
    try {
      org.dml('insert', 'Nope__c', [{}]);
    } catch (error) {
      expect((error as OrgError).errorCode).toBe('INVALID_TYPE');
    }
  });
});

describe('indexed fields assigned on insert', () => {
  it('indexes an external-id autonumber so upserts and relationship columns find it', () => {
    const org = createOrg({
      objects: [
        {
          name: 'Ticket__c',
          fields: [{ name: 'Number__c', type: 'autonumber', displayFormat: 'T-{000}', externalId: true, unique: true }],
        },
      ],
    });
    const [ticket] = org.dml('insert', 'Ticket__c', [{}]);
    expect(org.findByExternalId('Ticket__c', 'Number__c', 't-001').map((record) => record.Id)).toEqual([ticket!.id]);
  });
});

describe('update', () => {
  it('updates by 15- or 18-character id, keeps CreatedDate, moves LastModifiedDate', () => {
    let now = NOW;
    const org = createOrg({ objects: [WIDGET], now: () => now });
    const [created] = org.dml('insert', 'Widget__c', [{ Ext__c: 'A', Qty__c: 1 }]);
    now = new Date('2024-05-16T00:00:00Z');
    const [updated] = org.dml('update', 'Widget__c', [{ id: created!.id!.slice(0, 15).toString(), Qty__c: 2 }]);
    expect(updated).toEqual({ success: true, id: created!.id, created: false, errors: [] });
    expect(org.get(created!.id!)).toMatchObject({
      Qty__c: 2,
      Ext__c: 'A',
      CreatedDate: '2024-05-15T12:00:00.000+0000',
      LastModifiedDate: '2024-05-16T00:00:00.000+0000',
      SystemModstamp: '2024-05-16T00:00:00.000+0000',
    });
  });

  it('reports MISSING_ARGUMENT, MALFORMED_ID, INVALID_CROSS_REFERENCE_KEY and ENTITY_IS_DELETED', () => {
    const org = newOrg();
    const [account, deleted] = org.dml('insert', 'Account', [{ Name: 'a' }, { Name: 'b' }]);
    org.dml('delete', 'Account', [{ Id: deleted!.id }]);
    const results = org.dml('update', 'Account', [
      { Name: 'no id' },
      { Id: 'garbage', Name: 'x' },
      { Id: org.userId, Name: 'x' },
      { Id: `001${'0'.repeat(12)}`, Name: 'x' },
      { Id: deleted!.id, Name: 'x' },
      { Id: account!.id, Name: null },
      { Id: account!.id, Name: 'renamed' },
    ]);
    expect(firstError(results[0]!)).toEqual({
      statusCode: 'MISSING_ARGUMENT',
      message: 'Id not specified in an update call',
      fields: [],
    });
    expect(firstError(org.dml('delete', 'Account', [{}])[0]!)!.message).toBe('Id not specified in a delete call');
    expect(firstError(results[1]!)).toMatchObject({ statusCode: 'MALFORMED_ID', fields: ['Id'] });
    expect(firstError(results[2]!)).toMatchObject({
      statusCode: 'MALFORMED_ID',
      message: `Account ID: id value of incorrect type: ${org.userId}`,
    });
    expect(firstError(results[3]!)!.statusCode).toBe('INVALID_CROSS_REFERENCE_KEY');
    expect(firstError(results[4]!)!.statusCode).toBe('ENTITY_IS_DELETED');
    expect(firstError(results[5]!)).toMatchObject({ statusCode: 'REQUIRED_FIELD_MISSING', fields: ['Name'] });
    expect(results[6]!.success).toBe(true);
    expect(org.get(account!.id!)!.Name).toBe('renamed');
  });

  it('keeps unique indexes in step: a freed value can be reused, a taken one cannot', () => {
    const org = newOrg();
    const [a, b] = org.dml('insert', 'Widget__c', [{ Ext__c: 'one' }, { Ext__c: 'two' }]);
    expect(firstError(org.dml('update', 'Widget__c', [{ Id: b!.id, Ext__c: 'ONE' }])[0]!)!.statusCode).toBe(
      'DUPLICATE_VALUE',
    );
    expect(org.dml('update', 'Widget__c', [{ Id: a!.id, Ext__c: 'three' }])[0]!.success).toBe(true);
    expect(org.dml('update', 'Widget__c', [{ Id: b!.id, Ext__c: 'one' }])[0]!.success).toBe(true);
    expect(org.findByExternalId('Widget__c', 'Ext__c', 'ONE').map((r) => r.Id)).toEqual([b!.id]);
    expect(org.findByExternalId('Widget__c', 'Ext__c', 'two')).toEqual([]);
  });

  it('refuses to reparent a master-detail field and to update read-only fields', () => {
    const org = newOrg();
    const [w1, w2] = org.dml('insert', 'Widget__c', [{}, {}]);
    const [part] = org.dml('insert', 'Part__c', [{ Widget__c: w1!.id, Size__c: 'L' }]);
    expect(part!.success).toBe(true);
    const [moved] = org.dml('update', 'Part__c', [{ Id: part!.id, Widget__c: w2!.id }]);
    expect(firstError(moved!)!.statusCode).toBe('INVALID_FIELD_FOR_INSERT_UPDATE');
    const [serial] = org.dml('update', 'Widget__c', [{ Id: w1!.id, Serial__c: 'W-9' }]);
    expect(firstError(serial!)!.statusCode).toBe('INVALID_FIELD_FOR_INSERT_UPDATE');
  });
});

describe('upsert', () => {
  it('inserts when no record matches and updates when one does (external id case-insensitive)', () => {
    const org = newOrg();
    const [created] = org.dml('upsert', 'Widget__c', [{ Ext__c: 'K1', Qty__c: 1 }], { externalIdField: 'ext__c' });
    expect(created).toMatchObject({ success: true, created: true });
    const [updated] = org.dml('upsert', 'Widget__c', [{ ext__c: 'k1', Qty__c: 2 }], { externalIdField: 'Ext__c' });
    expect(updated).toEqual({ success: true, id: created!.id, created: false, errors: [] });
    expect(org.records('Widget__c')).toHaveLength(1);
    expect(org.get(created!.id!)!.Qty__c).toBe(2);
  });

  it('fails MISSING_ARGUMENT without a value and DUPLICATE_EXTERNAL_ID on several matches', () => {
    const org = newOrg();
    const [a, b] = org.dml('insert', 'Widget__c', [{ Loose__c: 'dup' }, { Loose__c: 'DUP' }]);
    const [missing, several] = org.dml('upsert', 'Widget__c', [{ Qty__c: 1 }, { Loose__c: 'dup', Qty__c: 2 }], {
      externalIdField: 'Loose__c',
    });
    expect(firstError(missing!)).toEqual({
      statusCode: 'MISSING_ARGUMENT',
      message: 'Loose__c not specified',
      fields: ['Loose__c'],
    });
    expect(firstError(several!)).toEqual({
      statusCode: 'DUPLICATE_EXTERNAL_ID',
      message: `Loose: more than one record found for external id field: [${a!.id}, ${b!.id}]`,
      fields: ['Loose__c'],
    });
    expect(org.findByExternalId('Widget__c', 'Loose__c', 'Dup')).toHaveLength(2);
  });

  it('rejectDuplicateExternalIds fails every row sharing a value within the call', () => {
    const org = newOrg();
    const results = org.dml('upsert', 'Widget__c', [{ Ext__c: 'x' }, { Ext__c: 'y' }, { Ext__c: 'X' }], {
      externalIdField: 'Ext__c',
      rejectDuplicateExternalIds: true,
    });
    expect(results.map((r) => r.success)).toEqual([false, true, false]);
    expect(firstError(results[0]!)).toEqual({
      statusCode: 'DUPLICATE_EXTERNAL_ID',
      message: 'Duplicate external id specified: x',
      fields: ['Ext__c'],
    });
    // Without the option the second row updates the first.
    const plain = org.dml(
      'upsert',
      'Widget__c',
      [
        { Ext__c: 'p', Qty__c: 1 },
        { Ext__c: 'P', Qty__c: 2 },
      ],
      {
        externalIdField: 'Ext__c',
      },
    );
    expect(plain.map((r) => r.created)).toEqual([true, false]);
    expect(plain[0]!.id).toBe(plain[1]!.id);
  });

  it('upserts by Id: blank Id inserts, a known Id updates, an unknown Id fails', () => {
    const org = newOrg();
    const [a] = org.dml('insert', 'Account', [{ Name: 'a' }]);
    const results = org.dml(
      'upsert',
      'Account',
      [{ Name: 'new' }, { Id: a!.id, Name: 'A' }, { Id: `001${'1'.repeat(12)}`, Name: 'z' }],
      {
        externalIdField: 'Id',
      },
    );
    expect(results[0]).toMatchObject({ success: true, created: true });
    expect(results[1]).toMatchObject({ success: true, created: false, id: a!.id });
    expect(firstError(results[2]!)!.statusCode).toBe('INVALID_CROSS_REFERENCE_KEY');
  });

  it('throws for a field that is not an external id', () => {
    const org = newOrg();
    expect(() => org.dml('upsert', 'Widget__c', [{ Qty__c: 1 }], { externalIdField: 'Qty__c' })).toThrowError(
      /external ID field/,
    );
  });
});

describe('delete, hardDelete, undelete', () => {
  it('soft-deletes: IsDeleted = true, hidden from records/get/query, visible to queryAll', () => {
    const org = newOrg();
    const [a, b] = org.dml('insert', 'Account', [{ Name: 'a' }, { Name: 'b' }]);
    const [deleted] = org.dml('delete', 'Account', [{ Id: a!.id!.slice(0, 15) }]);
    expect(deleted).toEqual({ success: true, id: a!.id, created: false, errors: [] });
    expect(org.get(a!.id!)).toBeUndefined();
    expect(org.get(a!.id!, { includeDeleted: true })!.IsDeleted).toBe(true);
    expect(org.records('Account').map((r) => r.Id)).toEqual([b!.id]);
    expect(org.query('SELECT Id FROM Account').totalSize).toBe(1);
    const all = org.query('SELECT Id, IsDeleted FROM Account ORDER BY Name', { all: true });
    expect(all.records.map((r) => r.IsDeleted)).toEqual([true, false]);
    const [again] = org.dml('delete', 'Account', [{ Id: a!.id }]);
    expect(firstError(again!)).toEqual({ statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] });
  });

  it('frees unique values on delete and checks them again on undelete', () => {
    const org = newOrg();
    const [a] = org.dml('insert', 'Widget__c', [{ Ext__c: 'k' }]);
    org.dml('delete', 'Widget__c', [{ Id: a!.id }]);
    const [b] = org.dml('insert', 'Widget__c', [{ Ext__c: 'K' }]);
    expect(b!.success).toBe(true);
    const [undelete] = org.dml('undelete', 'Widget__c', [{ Id: a!.id }]);
    expect(firstError(undelete!)!.statusCode).toBe('DUPLICATE_VALUE');
    org.dml('hardDelete', 'Widget__c', [{ Id: b!.id }]);
    const [ok] = org.dml('undelete', 'Widget__c', [{ Id: a!.id }]);
    expect(ok!.success).toBe(true);
    expect(org.get(a!.id!)!.IsDeleted).toBe(false);
    const [notDeleted] = org.dml('undelete', 'Widget__c', [{ Id: a!.id }]);
    expect(firstError(notDeleted!)).toMatchObject({ statusCode: 'UNDELETE_FAILED' });
  });

  it('hardDelete removes records entirely (even from queryAll)', () => {
    const org = newOrg();
    const [a] = org.dml('insert', 'Account', [{ Name: 'a' }]);
    expect(org.dml('hardDelete', 'Account', [{ Id: a!.id }])[0]!.success).toBe(true);
    expect(org.get(a!.id!, { includeDeleted: true })).toBeUndefined();
    expect(org.query('SELECT COUNT() FROM Account', { all: true }).totalSize).toBe(0);
    expect(firstError(org.dml('hardDelete', 'Account', [{ Id: a!.id }])[0]!)!.statusCode).toBe(
      'INVALID_CROSS_REFERENCE_KEY',
    );
  });

  it('cascades deletes to master-detail children and restores them with the parent', () => {
    const org = newOrg();
    const [widget] = org.dml('insert', 'Widget__c', [{}]);
    const [part] = org.dml('insert', 'Part__c', [{ Widget__c: widget!.id, Size__c: 'M' }]);
    const [account] = org.dml('insert', 'Account', [{ Name: 'a' }]);
    const [contact] = org.dml('insert', 'Contact', [{ LastName: 'c', AccountId: account!.id }]);
    org.dml('delete', 'Widget__c', [{ Id: widget!.id }]);
    org.dml('delete', 'Account', [{ Id: account!.id }]);
    expect(org.get(part!.id!)).toBeUndefined();
    expect(org.get(contact!.id!)).toBeUndefined();
    // A cascaded child cannot be undeleted on its own.
    expect(firstError(org.dml('undelete', 'Part__c', [{ Id: part!.id }])[0]!)!.statusCode).toBe('UNDELETE_FAILED');
    org.dml('undelete', 'Widget__c', [{ Id: widget!.id }]);
    expect(org.get(part!.id!)!.IsDeleted).toBe(false);
  });

  it('clears lookups to a deleted parent and sets them back on undelete', () => {
    const org = newOrg();
    const [account] = org.dml('insert', 'Account', [{ Name: 'Parent' }]);
    const [widget] = org.dml('insert', 'Widget__c', [{ Account__c: account!.id }]);
    const [kase] = org.dml('insert', 'Case', [{ Subject: 's', AccountId: account!.id }]);
    org.dml('delete', 'Account', [{ Id: account!.id }]);
    expect(org.get(widget!.id!)!.Account__c).toBeNull();
    expect(org.get(kase!.id!)!.AccountId).toBeNull();
    org.dml('undelete', 'Account', [{ Id: account!.id }]);
    expect(org.get(widget!.id!)!.Account__c).toBe(account!.id);
    expect(org.get(kase!.id!)!.AccountId).toBe(account!.id);
    // A hard delete clears them for good, and an allOrNone rollback puts them back.
    const rolledBack = org.dml('hardDelete', 'Account', [{ Id: account!.id }, { Id: 'bad' }], { allOrNone: true });
    expect(rolledBack[0]!.success).toBe(false);
    expect(org.get(widget!.id!)!.Account__c).toBe(account!.id);
    org.dml('hardDelete', 'Account', [{ Id: account!.id }]);
    expect(org.get(widget!.id!)!.Account__c).toBeNull();
  });

  it('objects without IsDeleted cannot be deleted', () => {
    const org = newOrg();
    const [result] = org.dml('delete', 'User', [{ Id: org.userId }]);
    expect(result!.success).toBe(false);
    expect(org.get(org.userId)).toBeDefined();
  });
});

describe('allOrNone', () => {
  it('rolls back every change and marks the valid rows ALL_OR_NONE_OPERATION_ROLLED_BACK', () => {
    const org = newOrg();
    const [existing] = org.dml('insert', 'Widget__c', [{ Ext__c: 'keep', Qty__c: 1 }]);
    const results = org.dml(
      'upsert',
      'Widget__c',
      [{ Ext__c: 'keep', Qty__c: 99 }, { Ext__c: 'new' }, { Ext__c: 'bad', Qty__c: 'x' }],
      { externalIdField: 'Ext__c', allOrNone: true },
    );
    expect(results.map((r) => r.success)).toEqual([false, false, false]);
    expect(firstError(results[0]!)).toEqual({
      statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
      message: 'Record rolled back because not all records were valid and the request was using AllOrNone header',
      fields: [],
    });
    expect(firstError(results[2]!)!.statusCode).toBe('INVALID_TYPE_ON_FIELD_IN_RECORD');
    expect(org.records('Widget__c').map((r) => [r.Ext__c, r.Qty__c])).toEqual([['keep', 1]]);
    expect(org.findByExternalId('Widget__c', 'Ext__c', 'new')).toEqual([]);
    expect(org.get(existing!.id!)!.Qty__c).toBe(1);
  });

  it('rolls back deletes too, and commits when every row is valid', () => {
    const org = newOrg();
    const [a, b] = org.dml('insert', 'Widget__c', [{ Ext__c: 'a' }, { Ext__c: 'b' }]);
    const failed = org.dml('delete', 'Widget__c', [{ Id: a!.id }, { Id: 'bogus' }], { allOrNone: true });
    expect(failed.map((r) => firstError(r)!.statusCode)).toEqual(['ALL_OR_NONE_OPERATION_ROLLED_BACK', 'MALFORMED_ID']);
    expect(org.get(a!.id!)).toBeDefined();
    expect(org.findByExternalId('Widget__c', 'Ext__c', 'a')).toHaveLength(1);
    const ok = org.dml('delete', 'Widget__c', [{ Id: a!.id }, { Id: b!.id }], { allOrNone: true });
    expect(ok.every((r) => r.success)).toBe(true);
    expect(org.records('Widget__c')).toEqual([]);
  });
});

describe('csvValues (Bulk API CSV)', () => {
  it('coerces strings by type, skips empty cells, and #N/A sets null', () => {
    const org = newOrg();
    const [created] = org.dml(
      'insert',
      'Widget__c',
      [
        {
          Ext__c: 'c1',
          Qty__c: '4',
          Price__c: '1.5',
          Active__c: '1',
          Due__c: '2024-01-31',
          Mood__c: '',
          Tags__c: 'A;C',
        },
      ],
      { csvValues: true },
    );
    expect(created!.success).toBe(true);
    const record = org.get(created!.id!)!;
    expect(record).toMatchObject({ Qty__c: 4, Price__c: 1.5, Active__c: true, Due__c: '2024-01-31', Tags__c: 'A;C' });
    expect(record.Mood__c).toBeUndefined();
    const [updated] = org.dml(
      'update',
      'Widget__c',
      [{ Id: created!.id, Qty__c: '', Price__c: '#N/A', Active__c: '#N/A' }],
      {
        csvValues: true,
      },
    );
    expect(updated!.success).toBe(true);
    expect(org.get(created!.id!)).toMatchObject({ Qty__c: 4, Price__c: null, Active__c: false });
  });

  it('#N/A on a required field is REQUIRED_FIELD_MISSING; bad strings are INVALID_TYPE_ON_FIELD_IN_RECORD', () => {
    const org = newOrg();
    const [account] = org.dml('insert', 'Account', [{ Name: 'a' }]);
    const [clear, number] = [
      ...org.dml('update', 'Account', [{ Id: account!.id, Name: '#N/A' }], { csvValues: true }),
      ...org.dml('insert', 'Widget__c', [{ Qty__c: '1,000' }], { csvValues: true }),
    ];
    expect(firstError(clear!)!.statusCode).toBe('REQUIRED_FIELD_MISSING');
    expect(firstError(number!)!.statusCode).toBe('INVALID_TYPE_ON_FIELD_IN_RECORD');
  });

  it('resolves relationship columns by external id (standard and custom relationships)', () => {
    const org = createOrg({
      objects: [
        WIDGET,
        PART,
        {
          name: 'Account',
          merge: true,
          fields: [{ name: 'External_Id__c', type: 'string', externalId: true, unique: true }],
        },
      ],
      now: () => NOW,
    });
    const [account] = org.dml('insert', 'Account', [{ Name: 'Acme', External_Id__c: 'ACC-1' }]);
    const [widget] = org.dml('insert', 'Widget__c', [{ Ext__c: 'W-1' }]);
    const results = org.dml(
      'insert',
      'Part__c',
      [
        { 'Widget__r.Ext__c': 'w-1', Size__c: 'S' },
        { 'widget__r.ext__c': 'missing', Size__c: 'S' },
      ],
      { csvValues: true },
    );
    expect(results[0]!.success).toBe(true);
    expect(org.get(results[0]!.id!)!.Widget__c).toBe(widget!.id);
    expect(firstError(results[1]!)).toEqual({
      statusCode: 'INVALID_FIELD',
      message: 'Foreign key external ID: missing not found for field Ext__c in entity Widget__c',
      fields: ['Widget__c'],
    });
    const [contact] = org.dml('insert', 'Contact', [{ LastName: 'Doe', 'Account.External_Id__c': 'ACC-1' }], {
      csvValues: true,
    });
    expect(org.get(contact!.id!)!.AccountId).toBe(account!.id);
    // Nested JSON form (REST): { Account: { External_Id__c: 'ACC-1' } }.
    const [nested] = org.dml('insert', 'Contact', [{ LastName: 'Roe', Account: { External_Id__c: 'acc-1' } }]);
    expect(org.get(nested!.id!)!.AccountId).toBe(account!.id);
    // A relationship column through a field that is not an external id fails.
    const [notExt] = org.dml('insert', 'Contact', [{ LastName: 'x', 'Account.Industry': 'Banking' }], {
      csvValues: true,
    });
    expect(firstError(notExt!)!.statusCode).toBe('INVALID_FIELD');
    // A polymorphic-style column names the target type: Owner:User.Username.
    const [owned] = org.dml('insert', 'Account', [{ Name: 'Owned', 'Owner:User.Username': 'ADMIN@kicksaw.local' }], {
      csvValues: true,
    });
    expect(org.get(owned!.id!)!.OwnerId).toBe(org.userId);
    // getObject reports the derived relationship names, so header checks can use them.
    const widgetDefinition = org.getObject('widget__c')!;
    expect(widgetDefinition.fields.find((field) => field.name === 'Account__c')!.relationshipName).toBe('Account__r');
    expect(widgetDefinition.fields.some((field) => field.name === 'OwnerId')).toBe(true);
    // #N/A clears the reference.
    org.dml('update', 'Contact', [{ Id: contact!.id, 'Account.External_Id__c': '#N/A' }], { csvValues: true });
    expect(org.get(contact!.id!)!.AccountId).toBeNull();
  });
});

describe('seed', () => {
  it('bypasses required-field validation, keeps given ids and audit values, and throws on bad input', () => {
    const org = newOrg();
    const [widget] = org.seed('Widget__c', [{ Ext__c: 'S1', CreatedDate: '2020-01-01T00:00:00Z' }]);
    expect(widget).toMatchObject({ Ext__c: 'S1', CreatedDate: '2020-01-01T00:00:00.000+0000', Serial__c: 'W-0001' });
    const [part] = org.seed('Part__c', [{ Widget__c: widget!.Id }]);
    expect(part!.Size__c).toBeUndefined();
    expect(() => org.seed('Widget__c', [{ Ext__c: 'ok' }, { Nope__c: 1 }])).toThrowError(/No such column/);
    expect(org.findByExternalId('Widget__c', 'Ext__c', 'ok')).toEqual([]);
    expect(() => org.seed('Widget__c', [{ Qty__c: 'abc' }])).toThrowError(OrgError);
    const [dated] = org.seed('Widget__c', [
      { At__c: new Date('2024-02-03T04:05:06Z'), Due__c: new Date('2024-02-03T00:00:00Z') },
    ]);
    expect(dated).toMatchObject({ At__c: '2024-02-03T04:05:06.000+0000', Due__c: '2024-02-03' });
  });
});

describe('volume', () => {
  it('keeps results and indexes right over 15,000 rows in Bulk-sized calls', () => {
    const org = newOrg();
    const rows = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, offset) => ({
        Ext__c: `K${from + offset}`,
        Qty__c: String(from + offset),
      }));
    for (let start = 0; start < 10_000; start += 5_000) {
      const results = org.dml('insert', 'Widget__c', rows(start, start + 5_000), { csvValues: true });
      expect(results.every((result) => result.success && result.created)).toBe(true);
    }
    // Upsert 5,000 existing (different case) and 5,000 new keys in one call.
    const upserts = rows(5_000, 15_000).map((row) => ({ ...row, Ext__c: row.Ext__c.toLowerCase(), Qty__c: '1' }));
    const results = org.dml('upsert', 'Widget__c', upserts, {
      csvValues: true,
      externalIdField: 'Ext__c',
      rejectDuplicateExternalIds: true,
    });
    expect(results.filter((result) => result.success && !result.created)).toHaveLength(5_000);
    expect(results.filter((result) => result.success && result.created)).toHaveLength(5_000);
    expect(org.query('SELECT COUNT() FROM Widget__c').totalSize).toBe(15_000);
    expect(org.query('SELECT COUNT() FROM Widget__c WHERE Qty__c = 1').totalSize).toBe(10_001);
    expect(org.findByExternalId('Widget__c', 'Ext__c', 'K7500')[0]!.Qty__c).toBe(1);
    const ids = new Set(results.map((result) => result.id));
    expect(ids.size).toBe(10_000);
  });
});

describe('compiled insert (same keys in every input)', () => {
  const objects = [
    {
      name: 'Fast__c',
      fields: [
        { name: 'Ext__c', type: 'string' as const, length: 20, externalId: true, unique: true },
        { name: 'Amount__c', type: 'double' as const, precision: 16, scale: 2 },
        { name: 'Flag__c', type: 'boolean' as const },
        { name: 'Note__c', type: 'string' as const, length: 5 },
      ],
    },
  ];

  it('stores the same records, in the same key order, with the same errors as one input at a time', () => {
    const rows = [
      { Name: 'a', Ext__c: 'E1', Amount__c: '1.2', Flag__c: 'true', Note__c: 'x' },
      { Name: 'b', Ext__c: 'E2', Amount__c: '', Flag__c: '0', Note__c: '#N/A' },
      { Name: 'c', Ext__c: 'e1', Amount__c: '2', Flag__c: 'false', Note__c: 'y' },
      { Name: 'd', Ext__c: 'E4', Amount__c: 'abc', Flag__c: 'true', Note__c: 'too long' },
      { Name: 'e', Note__c: 'z', Ext__c: 'E5', Amount__c: '3', Flag__c: 'true' },
      { Name: 'f', Ext__c: 'E6', Amount__c: '4', Flag__c: 'true', Note__c: 'w' },
    ];
    const batch = createOrg({ objects, now: () => NOW });
    const single = createOrg({ objects, now: () => NOW });
    const together = batch.dml('insert', 'Fast__c', rows, { csvValues: true });
    // `attributes` is a key the compiled insert does not take: these go through the generic path.
    const oneByOne = rows.map(
      (row) => single.dml('insert', 'Fast__c', [{ attributes: { type: 'Fast__c' }, ...row }], { csvValues: true })[0],
    );
    expect(together).toEqual(oneByOne);
    expect(together.map((result) => result.success)).toEqual([true, true, false, false, true, true]);
    expect(together[2]?.errors[0]?.statusCode).toBe('DUPLICATE_VALUE');
    expect(together[3]?.errors[0]?.fields).toEqual(['Amount__c']);
    const stored = batch.records('Fast__c');
    const expected = single.records('Fast__c');
    expect(stored).toEqual(expected);
    expect(stored.map((record) => Object.keys(record))).toEqual(expected.map((record) => Object.keys(record)));
    expect(stored[0]).toMatchObject({ Amount__c: 1.2, Flag__c: true, OwnerId: batch.userId });
    expect(stored[1]).toMatchObject({ Flag__c: false, Note__c: null });
    expect('Amount__c' in (stored[1] ?? {})).toBe(false);
  });
});
