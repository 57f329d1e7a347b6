import type { RowOutcome } from '@kicksaw/core';
import { ingestAll } from '@kicksaw/sf-bulk';
import { type SalesforceEmulator, startSalesforceEmulator } from '@kicksaw/sf-emulator';
import { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkErrorRecordInserts,
  ERROR_OBJECT,
  type ErrorRecord,
  type ErrorRecordInsertCheck,
  summarize,
  toErrorRecords,
} from '../src/index.js';

for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[name];

const FAST = { pollIntervalMs: 5, maxPollIntervalMs: 20 } as const;

let sf: SalesforceEmulator;
let conn: Connection;
let executionId: string;

beforeAll(async () => {
  sf = await startSalesforceEmulator({ integrationObjects: true });
  conn = new Connection({ instanceUrl: sf.instanceUrl, accessToken: sf.accessToken, version: sf.apiVersion });
  const created = await conn.sobject('IntegrationExecution__c').create({ Name: 'error-report test run' });
  if (!created.success) throw new Error('could not create the execution record');
  executionId = created.id;
});
afterAll(async () => {
  await sf?.stop();
});

/** Inserts error records through sf-bulk, as a run would, and checks every one of them went in. */
async function insertErrorRecords(errorRecords: ErrorRecord[]): Promise<ErrorRecordInsertCheck> {
  const inserted = await ingestAll({
    connection: conn,
    object: ERROR_OBJECT,
    operation: 'insert',
    records: errorRecords,
    ...FAST,
  });
  return checkErrorRecordInserts(errorRecords, inserted.outcomes);
}

/** A run of Contact upserts: two rows failed (one with two errors), one succeeded, one failed without detail. */
const outcomes: RowOutcome[] = [
  {
    row: 1,
    status: 'succeeded',
    id: '003000000000001AAA',
    created: true,
    errors: [],
    record: { Email: 'ok@example.com', LastName: 'Ok' },
  },
  {
    row: 2,
    status: 'failed',
    id: null,
    created: false,
    errors: [
      { statusCode: 'INVALID_EMAIL_ADDRESS', message: 'Email: invalid email address: not-an-email', fields: ['Email'] },
      {
        statusCode: 'REQUIRED_FIELD_MISSING',
        message: 'Required fields are missing: [LastName]',
        fields: ['LastName'],
      },
    ],
    record: { Email: 'not-an-email', LastName: '' },
  },
  {
    row: 3,
    status: 'failed',
    id: null,
    created: false,
    errors: [
      {
        statusCode: 'STRING_TOO_LONG',
        message: `Description: data value too large: ${'ü'.repeat(40_000)}`,
        fields: [],
      },
    ],
    record: { Email: 'long@example.com', LastName: 'Long', Description: '日本😀'.repeat(50_000) },
  },
  {
    row: 4,
    status: 'unprocessed',
    id: null,
    created: false,
    errors: [],
    record: { Email: 'x@example.com', LastName: 'X' },
  },
];

describe('error records in Salesforce (sf-emulator, real jsforce, sf-bulk)', () => {
  it('inserts one IntegrationError__c per error under the execution, and reads them back by SOQL', async () => {
    const errorRecords = toErrorRecords(outcomes, {
      executionId,
      operation: 'upsert',
      object: 'Contact',
      upsertKey: 'Email',
    });
    expect(errorRecords).toHaveLength(4);
    const check = await insertErrorRecords(errorRecords);
    expect(check).toEqual({ ok: true, inserted: 4, failed: [] });

    const stored = sf.org.records(ERROR_OBJECT).filter((record) => record.IntegrationExecution__c === executionId);
    expect(stored).toHaveLength(4);
    const result = await conn.query<Record<string, unknown>>(
      `SELECT Id, Operation__c, Object__c, ErrorCode__c, ErrorMessage__c, UpsertKey__c, UpsertKeyValue__c, ObjectPayload__c
       FROM IntegrationError__c WHERE IntegrationExecution__c = '${executionId}' ORDER BY UpsertKeyValue__c, ErrorCode__c`,
    );
    expect(result.totalSize).toBe(4);
    const rows = result.records.map(({ attributes: _attributes, Id: _id, ...fields }) => fields);
    expect(rows.map((row) => [row.UpsertKeyValue__c, row.ErrorCode__c])).toEqual([
      ['long@example.com', 'STRING_TOO_LONG'],
      ['not-an-email', 'INVALID_EMAIL_ADDRESS'],
      ['not-an-email', 'REQUIRED_FIELD_MISSING'],
      ['x@example.com', 'KICKSAW_NO_ERROR_DETAIL'],
    ]);
    expect(rows[1]).toMatchObject({
      Operation__c: 'upsert',
      Object__c: 'Contact',
      UpsertKey__c: 'Email',
      ErrorMessage__c: 'Email: invalid email address: not-an-email',
    });
    expect(JSON.parse(String(rows[1]?.ObjectPayload__c))).toEqual({ Email: 'not-an-email', LastName: '' });
    // The long row: message and payload cut to their fields' lengths, with the marker, and accepted as such.
    const long = rows[0] ?? {};
    expect(String(long.ErrorMessage__c).length).toBeLessThanOrEqual(32_768);
    expect(String(long.ErrorMessage__c)).toMatch(/…\[truncated \d+ chars\]$/);
    expect(String(long.ObjectPayload__c).length).toBeLessThanOrEqual(131_072);
    expect(String(long.ObjectPayload__c)).toMatch(/^\{"Email":"long@example.com".*…\[truncated \d+ chars\]$/s);

    const summary = summarize(outcomes, { object: 'Contact' });
    expect(summary.errors).toBe(stored.length);
  });

  it('tells the caller which error records themselves failed', async () => {
    // Lengths larger than the fields: Salesforce (here the emulator) refuses the too-long values.
    const errorRecords = toErrorRecords(
      [
        {
          row: 7,
          status: 'failed',
          id: null,
          created: false,
          errors: [{ statusCode: `CUSTOM_${'X'.repeat(300)}`, message: 'odd code', fields: [] }],
          record: { Email: 'seven@example.com' },
        },
        {
          row: 8,
          status: 'failed',
          id: null,
          created: false,
          errors: [{ statusCode: 'DUPLICATE_VALUE', message: 'dup', fields: [] }],
          record: { Email: 'eight@example.com' },
        },
      ],
      { executionId, operation: 'insert', object: 'Contact', upsertKey: 'Email', lengths: { errorCode: 1000 } },
    );
    const check = await insertErrorRecords(errorRecords);
    expect(check.ok).toBe(false);
    expect(check.inserted).toBe(1);
    expect(check.failed).toHaveLength(1);
    expect(check.failed[0]?.errorRecord.source.row).toBe(7);
    expect(check.failed[0]?.errors[0]?.statusCode).toBe('STRING_TOO_LONG');
  });
});
