import { describe, expect, it } from 'vitest';
import {
  claimExecution,
  ImportFailedError,
  idempotencyKeyFor,
  importCsv,
  resolveExecutionRecordSettings,
} from '../src/index.js';
import { MAPPING, sampleContacts } from './fixtures.js';
import { getText, keysUnder, putText, useHarness } from './harness.js';

const h = useHarness();

const ingestTuning = { pollIntervalMs: 20, maxPollIntervalMs: 50 };

function executions(): Array<Record<string, unknown>> {
  return h.sf.org.records('IntegrationExecution__c') as Array<Record<string, unknown>>;
}

describe('importCsv', () => {
  it('loads the good rows, reports every bad row, archives the source and records the run', async () => {
    const bucket = await h.s3.createBucket();
    const sample = sampleContacts(1500, { bad: true });
    await putText(h.s3, bucket, 'inbound/contacts.csv', sample.csv);

    const result = await importCsv({
      s3Client: h.s3.client,
      connection: h.connection,
      bucket,
      key: 'inbound/contacts.csv',
      object: 'Contact',
      operation: 'upsert',
      externalIdField: 'External_Id__c',
      mapping: MAPPING,
      ingest: ingestTuning,
      timestamp: '20261121T101500Z',
    });

    expect(result.status).toBe('completed');
    const { summary } = result;
    expect(summary.input).toBe(1500);
    expect(summary.succeeded + summary.failed + summary.unprocessed + summary.skipped).toBe(1500);
    expect(summary.failed).toBe(sample.bad.size);
    expect(summary.succeeded).toBe(1500 - sample.bad.size);

    // The org holds exactly the good rows.
    const contacts = h.sf.org.records('Contact');
    expect(contacts.length).toBe(sample.goodIds.size);
    expect(new Set(contacts.map((c) => c.External_Id__c))).toEqual(sample.goodIds);

    // One report line per failed row (each bad row has one error).
    expect(result.reportKey).toBe('errors/error-report-20261121T101500Z.csv');
    expect(result.reportRows).toBe(sample.bad.size);
    const report = await getText(h.s3, bucket, result.reportKey as string);
    const lines = report.trim().split(/\r?\n/);
    expect(lines.length - 1).toBe(result.reportLines);
    expect(report).toContain('REQUIRED_FIELD_MISSING');
    expect(report).toContain('STRING_TOO_LONG');
    expect(report).toContain('CSV_TOO_MANY_FIELDS');

    // The source moved to the archive.
    expect(result.archiveKey).toBe('archive/contacts-20261121T101500Z.csv');
    expect(await keysUnder(h.s3, bucket, 'inbound/')).toEqual([]);
    expect(await getText(h.s3, bucket, result.archiveKey as string)).toBe(sample.csv);

    // The execution record, as read back from the org.
    const record = h.sf.org.get(result.executionId as string) as Record<string, unknown>;
    expect(record.Status__c).toBe('Completed with Errors');
    const payload = JSON.parse(String(record.ExecutionPayload__c));
    expect(payload.summary.failed).toBe(sample.bad.size);
    expect(payload.errorReport).toBe(`s3://${bucket}/${result.reportKey}`);
    expect(payload.archive).toBe(`s3://${bucket}/${result.archiveKey}`);
  });

  it('skips a second run of the same object version: no second record, report or load', async () => {
    const bucket = await h.s3.createBucket();
    const sample = sampleContacts(20, { prefix: 'SK' });
    const eTag = await putText(h.s3, bucket, 'skip.csv', sample.csv);
    const options = {
      s3Client: h.s3.client,
      connection: h.connection,
      bucket,
      key: 'skip.csv',
      eTag,
      object: 'Contact',
      operation: 'insert' as const,
      mapping: MAPPING,
      ingest: ingestTuning,
    };
    const before = executions().length;
    const first = await importCsv(options);
    expect(first.status).toBe('completed');
    // The source is archived now; the redelivered event finds the record and skips.
    const second = await importCsv(options);
    expect(second).toMatchObject({ status: 'skipped', reason: 'already-processed', executionId: first.executionId });
    // Even if the same content is uploaded again under the same key (same ETag), it is the same version.
    await putText(h.s3, bucket, 'skip.csv', sample.csv);
    const third = await importCsv(options);
    expect(third.status).toBe('skipped');
    expect(executions().length).toBe(before + 1);
    expect(await keysUnder(h.s3, bucket, 'errors/')).toHaveLength(1);
    expect(h.sf.org.records('Contact').filter((c) => String(c.LastName).startsWith('Last')).length).toBeGreaterThan(0);
  });

  it('a run whose first invocation died before taking its lease is taken over; a live lease answers in-progress', async () => {
    const bucket = await h.s3.createBucket();
    const sample = sampleContacts(30, { prefix: 'ST' });
    const eTag = await putText(h.s3, bucket, 'stale.csv', sample.csv);
    const settings = resolveExecutionRecordSettings();
    const runKey = idempotencyKeyFor({ bucket, key: 'stale.csv', eTag });
    // The record of a first invocation that died right after creating it.
    const claim = await claimExecution(h.connection, settings, runKey, {});
    expect(claim.claimed).toBe(true);
    // Another invocation holds a live lease on the run.
    const lease = await h.connection.sobject('IntegrationExecution__c').create({
      Name: `lease 1 until ${new Date(Date.now() + 60_000).toISOString()}`,
      IdempotencyKey__c: `${runKey}:lease:1`,
    });
    const options = {
      s3Client: h.s3.client,
      connection: h.connection,
      bucket,
      key: 'stale.csv',
      object: 'Contact',
      operation: 'insert' as const,
      mapping: MAPPING,
      ingest: ingestTuning,
    };
    const held = await importCsv(options);
    expect(held).toMatchObject({ status: 'skipped', reason: 'in-progress' });
    expect(Date.parse(held.heldUntil as string)).toBeGreaterThan(Date.now());
    // That lease runs out (its holder died): the next delivery takes the run over and finishes it.
    await h.connection
      .sobject('IntegrationExecution__c')
      .update({ Id: lease.id as string, Name: `lease 1 until ${new Date(Date.now() - 1).toISOString()}` });
    const done = await importCsv(options);
    expect(done).toMatchObject({ status: 'completed', summary: { input: 30, succeeded: 30 } });
    const id = claim.claimed ? claim.id : '';
    expect(done.executionId).toBe(id);
    expect((h.sf.org.get(id) as Record<string, unknown>).Status__c).toBe('Completed');
    expect(h.sf.org.records('Contact').filter((c) => String(c.External_Id__c).startsWith('ST-'))).toHaveLength(30);
    // Lease records are gone once the run is done.
    expect(executions().filter((r) => String(r.IdempotencyKey__c).startsWith(`${runKey}:lease:`))).toEqual([]);
    expect(await importCsv({ ...options, eTag })).toMatchObject({ status: 'skipped', reason: 'already-processed' });
  });

  it('a delivery of a finished run removes state and lease records a run cut off after its record left', async () => {
    const bucket = await h.s3.createBucket();
    const eTag = await putText(h.s3, bucket, 'tidy.csv', sampleContacts(10, { prefix: 'TIDY' }).csv);
    const options = {
      s3Client: h.s3.client,
      connection: h.connection,
      bucket,
      key: 'tidy.csv',
      eTag,
      object: 'Contact',
      operation: 'insert' as const,
      mapping: MAPPING,
      ingest: ingestTuning,
    };
    expect((await importCsv(options)).status).toBe('completed');
    // What an invocation killed between writing the record and cleaning up leaves behind.
    const runKey = idempotencyKeyFor({ bucket, key: 'tidy.csv', eTag });
    await putText(h.s3, bucket, `.kicksaw/state/${runKey}.json`, '{"version":2}');
    await h.connection
      .sobject('IntegrationExecution__c')
      .create({ Name: 'lease 1 released', IdempotencyKey__c: `${runKey}:lease:1` });
    expect(await importCsv(options)).toMatchObject({ status: 'skipped', reason: 'already-processed' });
    expect(await keysUnder(h.s3, bucket, '.kicksaw/')).toEqual([]);
    expect(executions().filter((r) => String(r.IdempotencyKey__c).startsWith(`${runKey}:lease:`))).toEqual([]);
  });

  it('fails clearly on a file that is not CSV, and writes the failure to the execution record', async () => {
    const bucket = await h.s3.createBucket();
    const gzip = Uint8Array.from([
      0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x4b, 0x4c, 0x4a, 0x06, 0x00,
    ]);
    await putText(h.s3, bucket, 'contacts.csv', gzip);
    const error = await importCsv({
      s3Client: h.s3.client,
      connection: h.connection,
      bucket,
      key: 'contacts.csv',
      object: 'Contact',
      operation: 'insert',
      mapping: MAPPING,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ImportFailedError);
    const failure = error as ImportFailedError;
    expect(failure.message).toMatch(/gzip|binary|not .*csv/i);
    const record = h.sf.org.get(failure.executionId as string) as Record<string, unknown>;
    expect(record.Status__c).toBe('Failed');
    expect(String(record.ExecutionPayload__c)).toContain(failure.code);
    // The file stays where it is, for a person to look at; nothing was archived or reported.
    expect(await keysUnder(h.s3, bucket, '')).toEqual(['contacts.csv']);
  });

  it('fails clearly on an empty file', async () => {
    const bucket = await h.s3.createBucket();
    await putText(h.s3, bucket, 'empty.csv', '');
    await expect(
      importCsv({
        s3Client: h.s3.client,
        connection: h.connection,
        bucket,
        key: 'empty.csv',
        object: 'Contact',
        operation: 'insert',
        mapping: MAPPING,
      }),
    ).rejects.toThrow(/empty/i);
  });

  it('fails clearly on a header that lacks a mapped column, before anything is sent', async () => {
    const bucket = await h.s3.createBucket();
    await putText(h.s3, bucket, 'short.csv', 'External Id,Last Name\nX-1,Ada\n');
    const error = await importCsv({
      s3Client: h.s3.client,
      connection: h.connection,
      bucket,
      key: 'short.csv',
      object: 'Contact',
      operation: 'insert',
      mapping: MAPPING,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ImportFailedError);
    expect((error as ImportFailedError).message).toMatch(/First Name/);
    expect(h.sf.org.records('Contact').some((c) => c.External_Id__c === 'X-1')).toBe(false);
  });

  it('fails clearly on a header that names fields the object does not have', async () => {
    const bucket = await h.s3.createBucket();
    await putText(h.s3, bucket, 'unknown.csv', 'LastName,Favourite_Colour__c\nAda,blue\n');
    const error = await importCsv({
      s3Client: h.s3.client,
      connection: h.connection,
      bucket,
      key: 'unknown.csv',
      object: 'Contact',
      operation: 'insert',
      mapping: { fields: {}, passthrough: true },
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ImportFailedError);
    expect((error as ImportFailedError).message).toMatch(/Favourite_Colour__c/);
    const record = h.sf.org.get((error as ImportFailedError).executionId as string) as Record<string, unknown>;
    expect(record.Status__c).toBe('Failed');
    expect(String(record.ExecutionPayload__c)).toContain('Favourite_Colour__c');
  });

  it('fails clearly when the object was deleted between the event and the download', async () => {
    const bucket = await h.s3.createBucket();
    const error = await importCsv({
      s3Client: h.s3.client,
      connection: h.connection,
      bucket,
      key: 'gone.csv',
      eTag: '"0123456789abcdef0123456789abcdef"',
      object: 'Contact',
      operation: 'insert',
      mapping: MAPPING,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ImportFailedError);
    expect((error as ImportFailedError).message).toContain(`s3://${bucket}/gone.csv`);
    expect((error as ImportFailedError).message).toMatch(/moved or deleted/);
    const record = h.sf.org.get((error as ImportFailedError).executionId as string) as Record<string, unknown>;
    expect(record.Status__c).toBe('Failed');
  });

  it('skips an object whose archive already exists and which has no record', async () => {
    const bucket = await h.s3.createBucket();
    await putText(h.s3, bucket, 'archive/old-20260101T000000Z.csv', 'a,b\n1,2\n');
    const result = await importCsv({
      s3Client: h.s3.client,
      connection: h.connection,
      bucket,
      key: 'old.csv',
      eTag: '"ffffffffffffffffffffffffffffffff"',
      object: 'Contact',
      operation: 'insert',
      mapping: MAPPING,
    });
    expect(result).toMatchObject({ status: 'skipped', reason: 'already-archived' });
  });
});
