import { describe, expect, it } from 'vitest';
import { extractErrors, parseBulkError, parseBulkResults } from '../src/index.js';

describe('parseBulkError', () => {
  it('reads code, message and fields', () => {
    expect(parseBulkError('REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --')).toEqual([
      { statusCode: 'REQUIRED_FIELD_MISSING', message: 'Required fields are missing: [Name]', fields: ['Name'] },
    ]);
    expect(parseBulkError('UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record: --')).toEqual([
      { statusCode: 'UNABLE_TO_LOCK_ROW', message: 'unable to obtain exclusive access to this record', fields: [] },
    ]);
  });

  it('splits several errors and keeps commas and newlines in messages', () => {
    const errors = parseBulkError(
      'STRING_TOO_LONG:Name: data value too large, max 80:Name,Title -- DUPLICATE_VALUE:dup\nvalue:Email --',
    );
    expect(errors).toEqual([
      { statusCode: 'STRING_TOO_LONG', message: 'Name: data value too large, max 80', fields: ['Name', 'Title'] },
      { statusCode: 'DUPLICATE_VALUE', message: 'dup\nvalue', fields: ['Email'] },
    ]);
    expect(parseBulkError('')[0]?.statusCode).toBe('UNKNOWN_ERROR');
    expect(parseBulkError('something odd')[0]).toEqual({
      statusCode: 'UNKNOWN_ERROR',
      message: 'something odd',
      fields: [],
    });
  });
});

describe('seed helpers', () => {
  const data = [{ Ext__c: 'A' }, { Ext__c: 'B' }];
  const results = [
    { id: '001A', success: true, errors: [] },
    { id: null, success: false, errors: [{ statusCode: 'DUPLICATE_VALUE', message: 'dup', fields: ['Ext__c'] }] },
  ];

  it('parseBulkResults pairs results and records by position', () => {
    const { successes, errors } = parseBulkResults(results, data, 'Item__c', 'Ext__c');
    expect(successes).toHaveLength(1);
    expect(errors).toEqual([
      {
        salesforceObject: 'Item__c',
        code: 'DUPLICATE_VALUE',
        message: 'dup',
        fields: ['Ext__c'],
        upsertKey: 'Ext__c',
        upsertKeyValue: 'B',
        record: { Ext__c: 'B' },
        index: 1,
      },
    ]);
    expect(() => parseBulkResults(results, [data[0] as never], 'Item__c', 'Ext__c')).toThrow(RangeError);
  });

  it('extractErrors lists the errors of failed results', () => {
    expect(extractErrors(results)).toEqual([{ statusCode: 'DUPLICATE_VALUE', message: 'dup', fields: ['Ext__c'] }]);
    expect(extractErrors([{ success: false, errors: [{ errorCode: 'X', message: 'm' }] }])).toEqual([
      { statusCode: 'X', message: 'm', fields: [] },
    ]);
  });
});
