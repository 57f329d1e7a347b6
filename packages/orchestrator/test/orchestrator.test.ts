import { InputError } from '@kicksaw/core';
import { describe, expect, it } from 'vitest';
import { Orchestrator, type OrchestratorOptions } from '../src/index.js';
import { getText, keysUnder, putText, useHarness } from './harness.js';

const h = useHarness();

/** The seed README's subclass. */
class SeedOrchestrator extends Orchestrator {
  constructor(options: OrchestratorOptions) {
    super(options);
    this.executionObjectName = 'IntegrationExecution__c';
  }

  override get executionSfdcHash() {
    return {
      Name: `run ${this.timestamp}`,
      ExecutionPayload__c: JSON.stringify({
        Number_of_Errors__c: this.errorCount,
        Error_Report__c: this.errorReportLink,
        Data_File__c: this.key,
      }),
    };
  }
}

describe('Orchestrator (the flow of the Python kicksaw-integration-utils)', () => {
  it('logBatch after your own bulk call, then automagicallyFinishUp archives, reports and records', async () => {
    const bucket = await h.s3.createBucket();
    await putText(h.s3, bucket, 'some/s3/key/file.csv', 'Name,My_External_ID__c\nA name,123\n');
    const orchestrator = await SeedOrchestrator.create({
      bucket,
      key: 'some/s3/key/file.csv',
      s3Client: h.s3.client,
      connection: h.connection,
      timestamp: '20261121T120000Z',
      errorReport: { object: 'Contact', upsertKey: 'External_Id__c' },
    });
    expect(orchestrator.size).toBeGreaterThan(0);

    const data = [
      { LastName: 'Ada', External_Id__c: 'O-1' },
      { LastName: '', External_Id__c: 'O-2' },
      { LastName: 'Grace', External_Id__c: 'O-3' },
    ];
    const results = await h.connection.sobject('Contact').upsert(data, 'External_Id__c', { allOrNone: false });
    const failed = await orchestrator.logBatch(results, data, 'Contact', 'External_Id__c');
    expect(failed).toBe(1);
    expect(orchestrator.errorCount).toBe(1);
    expect(orchestrator.summary).toMatchObject({ input: 3, succeeded: 2, failed: 1 });

    await orchestrator.automagicallyFinishUp();

    expect(orchestrator.archiveFileS3Key).toBe('archive/file-20261121T120000Z.csv');
    expect(await keysUnder(h.s3, bucket, '')).toEqual([
      'archive/file-20261121T120000Z.csv',
      'errors/error-report-20261121T120000Z.csv',
    ]);
    const report = await getText(h.s3, bucket, orchestrator.errorFileS3Key);
    expect(report.trim().split(/\r?\n/)).toHaveLength(2);
    expect(report).toContain('REQUIRED_FIELD_MISSING');
    expect(report).toContain('O-2');

    const record = h.sf.org.get(orchestrator.executionId as string) as Record<string, unknown>;
    expect(record.Name).toBe('run 20261121T120000Z');
    expect(JSON.parse(String(record.ExecutionPayload__c))).toEqual({
      Number_of_Errors__c: 1,
      Error_Report__c: orchestrator.errorReportLink,
      Data_File__c: 'some/s3/key/file.csv',
    });
  });

  it('refuses a source that does not exist, naming it', async () => {
    const bucket = await h.s3.createBucket();
    const made = SeedOrchestrator.create({ bucket, key: 'missing.csv', s3Client: h.s3.client });
    await expect(made).rejects.toBeInstanceOf(InputError);
    await expect(made).rejects.toThrow(`s3://${bucket}/missing.csv`);
  });

  it('downloads the source with download: true, and pairs results with records one to one', async () => {
    const bucket = await h.s3.createBucket();
    await putText(h.s3, bucket, 'in/a.csv', 'x\n1\n');
    const orchestrator = await SeedOrchestrator.create({
      bucket,
      key: 'in/a.csv',
      s3Client: h.s3.client,
      download: true,
    });
    expect(orchestrator.downloadedFile).toMatch(/a\.csv$/);
    await expect(orchestrator.logBatch([{ success: true }], [], 'Contact')).rejects.toThrow(/pair up one to one/);
    // Bulk-style text errors are parsed into code, message and fields.
    await orchestrator.logBatch(
      [{ success: false, errors: ['STRING_TOO_LONG:Name: data value too large:Name --'] }],
      [{ Name: 'x' }],
      'Account',
    );
    expect(orchestrator.summary.failed).toBe(1);
    await orchestrator.dispose();
  });
});
