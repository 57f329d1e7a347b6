import { ConfigError, type RowOutcome } from '@kicksaw/core';
import { describe, expect, it } from 'vitest';
import {
  checkErrorRecordInserts,
  DEFAULT_ERROR_FIELD_LENGTHS,
  NO_ERROR_DETAIL,
  streamErrorRecords,
  summarize,
  toErrorRecords,
  truncateText,
} from '../src/index.js';

const failed = (row: number, errors: RowOutcome['errors'], record: RowOutcome['record'] = { Email: `p${row}@x.com` }) =>
  ({ row, status: 'failed', id: null, created: false, errors, record }) satisfies RowOutcome;
const succeeded = (row: number, created = true) =>
  ({
    row,
    status: 'succeeded',
    id: `003${row}`,
    created,
    errors: [],
    record: { Email: `p${row}@x.com` },
  }) satisfies RowOutcome;

/** `true` when the text has no lone surrogate (a lone one does not survive UTF-8). */
const wellFormed = (text: string) => Buffer.from(text, 'utf8').toString('utf8') === text;

describe('truncateText', () => {
  it('leaves short text alone and cuts long text to the limit with a marker saying how much was cut', () => {
    expect(truncateText('short', 10)).toBe('short');
    expect(truncateText('x'.repeat(255), 255)).toBe('x'.repeat(255));
    const cut = truncateText('x'.repeat(300), 255);
    expect(cut).toHaveLength(255);
    expect(cut).toBe(`${'x'.repeat(234)}…[truncated 66 chars]`);
    const long = truncateText('y'.repeat(200_000), 131_072);
    expect(long).toHaveLength(131_072);
    expect(long).toMatch(/…\[truncated 68952 chars\]$/);
  });

  it('never splits a surrogate pair, and counts what was cut in UTF-16 code units', () => {
    // 'a' + emoji pairs: the cut would fall between the halves of a pair at an odd position.
    const text = `a${'😀'.repeat(200)}`;
    for (let max = 25; max < 60; max++) {
      const cut = truncateText(text, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(wellFormed(cut)).toBe(true);
      const kept = cut.slice(0, cut.indexOf('…'));
      const reported = Number(/truncated (\d+) chars/.exec(cut)?.[1]);
      expect(kept.length + reported).toBe(text.length);
    }
  });

  it('cuts hard, still well-formed, when the limit is too small for a marker', () => {
    expect(truncateText('abcdefghij', 5)).toBe('abcde');
    expect(truncateText('ab😀😀😀😀😀😀😀😀', 4)).toBe('ab😀');
    expect(truncateText('a😀', 2)).toBe('a');
    expect(truncateText('abc', 0)).toBe('');
  });
});

describe('toErrorRecords', () => {
  it("gives one IntegrationError__c record per error with the Python kicksaw-integration-utils' field names, and none for successes", () => {
    const outcomes: RowOutcome[] = [
      succeeded(1),
      failed(2, [
        { statusCode: 'INVALID_EMAIL_ADDRESS', message: 'Email: invalid email address', fields: ['Email'] },
        {
          statusCode: 'REQUIRED_FIELD_MISSING',
          message: 'Required fields are missing: [LastName]',
          fields: ['LastName'],
        },
      ]),
      failed(3, [], { Email: 'p3@x.com', Count: 3, Active: true, Note: null }),
    ];
    const records = toErrorRecords(outcomes, {
      executionId: 'a01000000000001AAA',
      operation: 'upsert',
      object: 'Contact',
      upsertKey: 'Email',
    });
    expect(records.map((record) => record.row)).toEqual([1, 2, 3]);
    expect(records.map((record) => record.source.row)).toEqual([2, 2, 3]);
    expect(records[0]?.record).toEqual({
      IntegrationExecution__c: 'a01000000000001AAA',
      Operation__c: 'upsert',
      Object__c: 'Contact',
      ErrorCode__c: 'INVALID_EMAIL_ADDRESS',
      ErrorMessage__c: 'Email: invalid email address',
      UpsertKey__c: 'Email',
      UpsertKeyValue__c: 'p2@x.com',
      ObjectPayload__c: '{"Email":"p2@x.com"}',
    });
    expect(records[1]?.record.ErrorCode__c).toBe('REQUIRED_FIELD_MISSING');
    expect(records[2]?.record.ErrorCode__c).toBe(NO_ERROR_DETAIL);
    expect(JSON.parse(String(records[2]?.record.ObjectPayload__c))).toEqual({
      Email: 'p3@x.com',
      Count: 3,
      Active: true,
      Note: null,
    });
  });

  it('takes other field names, leaves out fields named null, and adds the optional row and fields', () => {
    const [record] = toErrorRecords([failed(9, [{ statusCode: 'X', message: 'm', fields: ['A', 'B'] }])], {
      executionId: 'a01000000000001AAA',
      operation: 'insert',
      object: 'Account',
      fieldNames: {
        execution: 'Execution__c',
        errorCode: 'Code__c',
        upsertKey: null,
        upsertKeyValue: null,
        row: 'Row__c',
        errorFields: 'Fields__c',
      },
    });
    expect(record?.record).toEqual({
      Execution__c: 'a01000000000001AAA',
      Operation__c: 'insert',
      Object__c: 'Account',
      Code__c: 'X',
      ErrorMessage__c: 'm',
      ObjectPayload__c: '{"Email":"p9@x.com"}',
      Row__c: '9',
      Fields__c: 'A;B',
    });
  });

  it('truncates long messages and payloads to their field lengths with a marker, multi-byte safe', () => {
    const message = `Boom ${'é😀'.repeat(400)}`;
    const record = { Body: '日本語😀'.repeat(50_000) };
    const [made] = toErrorRecords([failed(1, [{ statusCode: 'X', message, fields: [] }], record)], {
      executionId: 'a01',
      operation: 'insert',
      object: 'Case',
      lengths: { errorMessage: 255 },
    });
    const error = String(made?.record.ErrorMessage__c);
    const payload = String(made?.record.ObjectPayload__c);
    expect(error.length).toBeLessThanOrEqual(255);
    expect(error).toMatch(/…\[truncated \d+ chars\]$/);
    expect(wellFormed(error)).toBe(true);
    expect(payload.length).toBeLessThanOrEqual(DEFAULT_ERROR_FIELD_LENGTHS.objectPayload);
    expect(payload).toMatch(/…\[truncated \d+ chars\]$/);
    expect(wellFormed(payload)).toBe(true);
  });

  it('needs an execution id and an object', () => {
    expect(() => toErrorRecords([], { executionId: '', operation: 'insert', object: 'Account' })).toThrow(ConfigError);
    expect(() => toErrorRecords([], { executionId: 'a01', operation: 'insert', object: '' })).toThrow(/object/);
  });

  it('streams records from an async iterable with the same rows', async () => {
    async function* outcomes(): AsyncGenerator<RowOutcome> {
      yield failed(1, [{ statusCode: 'A', message: 'a', fields: [] }]);
      yield succeeded(2);
      yield failed(3, [
        { statusCode: 'B', message: 'b', fields: [] },
        { statusCode: 'C', message: 'c', fields: [] },
      ]);
    }
    const made = [];
    for await (const record of streamErrorRecords(outcomes(), {
      executionId: 'a01',
      operation: 'insert',
      object: 'X',
    })) {
      made.push(record);
    }
    expect(made.map((record) => [record.row, record.source.row, record.record.ErrorCode__c])).toEqual([
      [1, 1, 'A'],
      [2, 3, 'B'],
      [3, 3, 'C'],
    ]);
  });
});

describe('checkErrorRecordInserts', () => {
  it('says which error records failed or have no outcome, by source row', () => {
    const records = toErrorRecords(
      [
        failed(4, [{ statusCode: 'A', message: 'a', fields: [] }]),
        failed(8, [{ statusCode: 'B', message: 'b', fields: [] }]),
      ],
      { executionId: 'a01', operation: 'insert', object: 'X' },
    );
    const allGood = checkErrorRecordInserts(records, [
      { row: 1, status: 'succeeded', errors: [] },
      { row: 2, status: 'succeeded', errors: [] },
    ]);
    expect(allGood).toEqual({ ok: true, inserted: 2, failed: [] });
    const bad = checkErrorRecordInserts(records, [
      { row: 2, status: 'failed', errors: [{ statusCode: 'STRING_TOO_LONG', message: 'too long', fields: [] }] },
    ]);
    expect(bad.ok).toBe(false);
    expect(bad.inserted).toBe(0);
    expect(
      bad.failed.map((failure) => [failure.errorRecord.source.row, failure.status, failure.errors[0]?.statusCode]),
    ).toEqual([
      [4, 'missing', 'KICKSAW_NO_OUTCOME'],
      [8, 'failed', 'STRING_TOO_LONG'],
    ]);
  });
});

describe('summarize', () => {
  it('counts by status, by object and by error code', () => {
    const outcomes: Array<RowOutcome & { object?: string }> = [
      succeeded(1, true),
      succeeded(2, false),
      failed(3, [
        { statusCode: 'DUPLICATE_VALUE', message: 'd', fields: [] },
        { statusCode: 'INVALID_EMAIL_ADDRESS', message: 'e', fields: [] },
      ]),
      { ...failed(4, [{ statusCode: 'DUPLICATE_VALUE', message: 'd', fields: [] }]), object: 'Account' },
      { row: 5, status: 'unprocessed', id: null, created: false, errors: [], record: {} },
      { row: 6, status: 'skipped', id: null, created: false, errors: [], record: {} },
    ];
    const summary = summarize(outcomes, { object: 'Contact' });
    expect(summary).toMatchObject({
      rows: 6,
      succeeded: 2,
      created: 1,
      failed: 2,
      unprocessed: 1,
      skipped: 1,
      errors: 4,
      byErrorCode: { DUPLICATE_VALUE: 2, INVALID_EMAIL_ADDRESS: 1, [NO_ERROR_DETAIL]: 1 },
    });
    expect(Object.keys(summary.byObject)).toEqual(['Account', 'Contact']);
    expect(summary.byObject.Account).toMatchObject({
      rows: 1,
      failed: 1,
      errors: 1,
      byErrorCode: { DUPLICATE_VALUE: 1 },
    });
    expect(summary.byObject.Contact).toMatchObject({
      rows: 5,
      failed: 1,
      errors: 3,
      byErrorCode: { DUPLICATE_VALUE: 1, INVALID_EMAIL_ADDRESS: 1, [NO_ERROR_DETAIL]: 1 },
    });
    expect(summarize([]).byObject).toEqual({});
    expect(Object.keys(summarize([succeeded(1)]).byObject)).toEqual(['unknown']);
  });
});
