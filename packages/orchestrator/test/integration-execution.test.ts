import { describe, expect, it } from 'vitest';
import {
  createLongLoadTasks,
  IntegrationExecution,
  IntegrationNotFoundError,
  type LongLoadState,
} from '../src/index.js';
import { keysUnder, useHarness } from './harness.js';

const h = useHarness((harness) => {
  harness.sf.org.seed('Integration__c', [{ Name: 'ERP contacts' }]);
});

function contacts(prefix: string, rows: number, badEvery = 0) {
  return Array.from({ length: rows }, (_, index) => ({
    External_Id__c: `${prefix}-${index + 1}`,
    LastName: badEvery && (index + 1) % badEvery === 0 ? '' : `Last ${index + 1}`,
  }));
}

function errorsOf(executionId: string) {
  return (h.sf.org.records('IntegrationError__c') as Array<Record<string, unknown>>).filter(
    (e) => e.IntegrationExecution__c === executionId,
  );
}

describe('IntegrationExecution', () => {
  it('names an integration that does not exist', async () => {
    await expect(
      IntegrationExecution.start({ connection: h.connection, integrationName: 'Nope', payload: {} }),
    ).rejects.toBeInstanceOf(IntegrationNotFoundError);
    await expect(
      IntegrationExecution.start({ connection: h.connection, integrationName: 'Nope', payload: {} }),
    ).rejects.toThrow(/No Integration__c record is named "Nope"/);
  });

  it('records the payload, loads rows and inserts an error child per failed row', async () => {
    const payload = { file: 's3://in/erp.json', requestedBy: 'scheduler' };
    const execution = await IntegrationExecution.start({
      connection: h.connection,
      integrationName: 'ERP contacts',
      payload,
    });
    const record = h.sf.org.get(execution.id) as Record<string, unknown>;
    expect(JSON.parse(String(record.ExecutionPayload__c))).toEqual(payload);
    expect(record.Integration__c).toBe(execution.integrationId);
    expect(record.Status__c).toBe('In Progress');

    const { summary } = await execution.ingest({
      object: 'Contact',
      operation: 'upsert',
      externalIdField: 'External_Id__c',
      records: contacts('IE', 300, 50),
      pollIntervalMs: 20,
    });
    expect(summary).toMatchObject({ input: 300, succeeded: 294, failed: 6 });
    const errors = errorsOf(execution.id);
    expect(errors).toHaveLength(6);
    expect(errors[0]).toMatchObject({
      Operation__c: 'upsert',
      Object__c: 'Contact',
      ErrorCode__c: 'REQUIRED_FIELD_MISSING',
    });
    expect(await execution.finish()).toBe('partial');
    expect((h.sf.org.get(execution.id) as Record<string, unknown>).Status__c).toBe('Completed with Errors');
  });

  it('cuts a payload longer than the field, with a marker', async () => {
    const payload = { blob: 'x'.repeat(200_000) };
    const execution = await IntegrationExecution.start({
      connection: h.connection,
      integrationName: 'ERP contacts',
      payload,
    });
    const stored = String((h.sf.org.get(execution.id) as Record<string, unknown>).ExecutionPayload__c);
    expect(stored.length).toBe(131_072);
    expect(stored).toMatch(/truncated/);
  });

  it('keeps the execution on the instance: two runs side by side do not share it', async () => {
    const [a, b] = await Promise.all([
      IntegrationExecution.start({ connection: h.connection, integrationName: 'ERP contacts', payload: { run: 'a' } }),
      IntegrationExecution.start({ connection: h.connection, integrationName: 'ERP contacts', payload: { run: 'b' } }),
    ]);
    expect(a.id).not.toBe(b.id);
    await Promise.all([
      a.ingest({ object: 'Contact', operation: 'insert', records: contacts('A', 4, 2) }),
      b.ingest({ object: 'Contact', operation: 'insert', records: contacts('B', 3, 3) }),
    ]);
    expect(errorsOf(a.id)).toHaveLength(2);
    expect(errorsOf(b.id)).toHaveLength(1);
    const attached = await IntegrationExecution.attach({ connection: h.connection, executionId: a.id });
    expect(attached.id).toBe(a.id);
    await expect(
      IntegrationExecution.attach({ connection: h.connection, executionId: 'a01000000000000AAA' }),
    ).rejects.toThrow(/No IntegrationExecution__c record has id/);
  });
});

describe('createLongLoadTasks (Step Functions)', () => {
  it('start -> poll while jobs run -> finish, with the jobs offloaded to S3 when large', async () => {
    const bucket = await h.s3.createBucket();
    const tasks = createLongLoadTasks<{ rows: number }>({
      connection: h.connection,
      integrationName: 'ERP contacts',
      object: 'Contact',
      operation: 'insert',
      records: (input) => contacts('SF', input.rows, 100),
      ingest: { pollIntervalMs: 20, maxPollIntervalMs: 50, api: 'bulk' },
      waitBudgetMs: 150,
      startBudgetMs: 500,
      offload: { s3Client: h.s3.client, bucket, thresholdBytes: 100 },
    });
    h.sf.faults.set({ jobProcessingMs: 1500 });
    let state: LongLoadState = await tasks.start({ rows: 1000 });
    expect(state.done).toBe(false);
    expect(state.jobsRef?.bucket).toBe(bucket);
    expect(state.jobs).toBeUndefined();
    expect(JSON.stringify(state).length).toBeLessThan(256 * 1024);
    while (!state.done) {
      await new Promise((resolve) => setTimeout(resolve, 100)); // the Wait state
      state = await tasks.poll(JSON.parse(JSON.stringify(state)));
      expect(state.polls).toBeLessThan(50);
    }
    const result = await tasks.finish(state);
    expect(result.summary).toMatchObject({ input: 1000, succeeded: 990, failed: 10 });
    expect(result.status).toBe('partial');
    expect(errorsOf(result.executionId)).toHaveLength(10);
    expect(h.sf.org.records('Contact').filter((c) => String(c.External_Id__c).startsWith('SF-'))).toHaveLength(990);
    expect(await keysUnder(h.s3, bucket, '')).toEqual([]);
  });

  it('a start task whose time runs out while reading records every row it did not send, none lost', async () => {
    const tasks = createLongLoadTasks({
      connection: h.connection,
      integrationName: 'ERP contacts',
      object: 'Contact',
      operation: 'insert',
      records: () => contacts('CUT', 2000),
      ingest: { pollIntervalMs: 20, api: 'bulk' },
      startBudgetMs: 1,
    });
    let state = await tasks.start({});
    while (!state.done) state = await tasks.poll(state);
    const result = await tasks.finish(state);
    expect(result.summary.input).toBe(2000);
    expect(result.summary.succeeded + result.summary.unprocessed + result.summary.failed).toBe(2000);
    expect(result.summary.unprocessed).toBeGreaterThan(0);
    expect(result.errorRecords).toBe(result.summary.unprocessed + result.summary.failed);
    expect(errorsOf(result.executionId)).toHaveLength(result.errorRecords);
    expect(h.sf.org.records('Contact').filter((c) => String(c.External_Id__c).startsWith('CUT-'))).toHaveLength(
      result.summary.succeeded,
    );
  });
});
