import { ConfigError, createConsoleLogger } from '@kicksaw/core';
import { describe, expect, it } from 'vitest';
import {
  createS3ImportHandler,
  type S3ImportHandlerOptions,
  type S3ImportHandlerResponse,
  S3ImportIncompleteError,
  s3ImportHandlerOptionsFromEnv,
} from '../src/index.js';
import { MAPPING, sampleContacts } from './fixtures.js';
import {
  contactImport,
  contactsIn,
  executionsNaming,
  keysUnder,
  putText,
  s3Event,
  sqsEvent,
  useHarness,
} from './harness.js';

const h = useHarness();

const ingestTuning = { pollIntervalMs: 20, maxPollIntervalMs: 50 };

const baseOptions = (overrides: Partial<S3ImportHandlerOptions> = {}) => contactImport(h, ingestTuning, overrides);

const executionsFor = (text: string) => executionsNaming(h, text);

const contactsWith = (prefix: string) => contactsIn(h, prefix);

/** An S3 event as EventBridge delivers it; `detail` gives the object and what differs by event type. */
function eventBridgeEvent(
  detailType: string,
  bucket: string,
  detail: { object: Record<string, unknown>; reason: string; [field: string]: unknown },
) {
  return {
    version: '0',
    id: '17793124-05d4-b198-2fde-7ededc63b103',
    'detail-type': detailType,
    source: 'aws.s3',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: '123456789012',
      ...detail,
      object: { sequencer: '00617F08299329D189', ...detail.object },
    },
  };
}

describe('createS3ImportHandler', () => {
  it('the same event delivered 5 times at once gives one load, one report, one execution record', async () => {
    const bucket = await h.s3.createBucket();
    const sample = sampleContacts(300, { prefix: 'DUP' });
    const eTag = await putText(h.s3, bucket, 'in/dup.csv', sample.csv);
    const handler = createS3ImportHandler(baseOptions());
    const event = s3Event(bucket, 'in/dup.csv', eTag, sample.csv.length);

    const settled = await Promise.allSettled(Array.from({ length: 5 }, () => handler(event)));
    const statuses = settled.map((s) => (s.status === 'fulfilled' ? s.value.results[0]?.status : 'rejected')).sort();
    expect(statuses.filter((s) => s === 'completed')).toHaveLength(1);
    // The others found the run held (reported as not done, so Lambda retries them) or already finished.
    for (const other of settled) {
      if (other.status === 'rejected') {
        expect(other.reason).toBeInstanceOf(S3ImportIncompleteError);
        expect((other.reason as S3ImportIncompleteError).items[0]?.error?.code).toBe('RUN_IN_PROGRESS');
      } else if (other.value.results[0]?.status !== 'completed') {
        expect(other.value.results[0]?.result?.reason).toBe('already-processed');
      }
    }
    // Lambda's retry of those finds the run finished.
    const retried = await handler(event);
    expect(retried.results[0]).toMatchObject({ ok: true, status: 'skipped', result: { reason: 'already-processed' } });

    expect(contactsWith('DUP-')).toHaveLength(300);
    expect(executionsFor(`s3://${bucket}/in/dup.csv`)).toHaveLength(1);
    expect(await keysUnder(h.s3, bucket, 'errors/')).toHaveLength(1);
    expect(await keysUnder(h.s3, bucket, 'archive/')).toHaveLength(1);
    expect(await keysUnder(h.s3, bucket, 'in/')).toEqual([]);
  });

  it('a run cut short by the time limit is finished by the next delivery, without sending a row twice', async () => {
    const bucket = await h.s3.createBucket();
    const sample = sampleContacts(400, { prefix: 'LATE', bad: true });
    const eTag = await putText(h.s3, bucket, 'late.csv', sample.csv);
    const handler = createS3ImportHandler(baseOptions({ reserveMs: 1000, minWorkMs: 1 }));
    const event = sqsEvent(s3Event(bucket, 'late.csv', eTag), 'msg-1');

    h.sf.faults.set({ jobProcessingMs: 4000 });
    // 2.5 s left in the Lambda, 1 s kept in reserve: time to read and send the file, not to wait for Salesforce.
    const first = await handler(event, { getRemainingTimeInMillis: () => 2500 });
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'msg-1' }]);
    expect(first.results[0]?.status).toBe('pending');
    expect(first.results[0]?.result?.pendingJobs?.length).toBeGreaterThan(0);
    expect(await keysUnder(h.s3, bucket, 'errors/')).toEqual([]);
    expect(await keysUnder(h.s3, bucket, 'late.csv')).toEqual(['late.csv']);
    const record = h.sf.org.get(first.results[0]?.result?.executionId as string) as Record<string, unknown>;
    expect(record.Status__c).toBe('Queued'); // parked: a later invocation finishes it
    expect(await keysUnder(h.s3, bucket, '.kicksaw/state/')).toHaveLength(2); // state + outcomes so far

    // SQS redelivers the message; this invocation has all the time it needs.
    const second = await handler(event, { getRemainingTimeInMillis: () => 60_000 + 1000 });
    expect(second.batchItemFailures).toEqual([]);
    const done = second.results[0]?.result;
    expect(done?.status).toBe('completed');
    expect(done?.summary.input).toBe(400);
    expect(done?.summary.failed).toBe(sample.bad.size);
    expect(done?.summary.succeeded).toBe(400 - sample.bad.size);

    // insert, not upsert: a row sent twice would be a second Contact.
    expect(contactsWith('LATE-')).toHaveLength(sample.goodIds.size);
    expect(await keysUnder(h.s3, bucket, 'errors/')).toHaveLength(1);
    expect(await keysUnder(h.s3, bucket, '.kicksaw/')).toEqual([]);
    expect(executionsFor(`s3://${bucket}/late.csv`)).toHaveLength(1);
    expect(executionsFor(`s3://${bucket}/late.csv`)[0]?.Status__c).toBe('Completed with Errors');
  });

  it('a parked run redelivered 3 times at once is finished once: one report, one record, no row twice', async () => {
    const bucket = await h.s3.createBucket();
    const sample = sampleContacts(300, { prefix: 'PAR', bad: true });
    const eTag = await putText(h.s3, bucket, 'par.csv', sample.csv);
    const handler = createS3ImportHandler(baseOptions({ reserveMs: 1000, minWorkMs: 1 }));
    const event = s3Event(bucket, 'par.csv', eTag);
    h.sf.faults.set({ jobProcessingMs: 3000 });
    await expect(handler(event, { getRemainingTimeInMillis: () => 2500 })).rejects.toBeInstanceOf(
      S3ImportIncompleteError,
    ); // direct S3 trigger: pending is reported as an error so that Lambda retries the event
    const settled = await Promise.allSettled(
      [1, 2, 3].map(() => handler(event, { getRemainingTimeInMillis: () => 61_000 + 10_000 })),
    );
    const statuses = settled.map((s) => (s.status === 'fulfilled' ? s.value.results[0]?.status : 'rejected'));
    expect(statuses.filter((status) => status === 'completed')).toHaveLength(1);
    for (const other of settled) {
      if (other.status === 'rejected') {
        expect((other.reason as S3ImportIncompleteError).items[0]?.error?.code).toBe('RUN_IN_PROGRESS');
      }
    }
    expect(contactsWith('PAR-')).toHaveLength(sample.goodIds.size);
    expect(await keysUnder(h.s3, bucket, 'errors/')).toHaveLength(1);
    expect(await keysUnder(h.s3, bucket, 'archive/')).toHaveLength(1);
    expect(await keysUnder(h.s3, bucket, '.kicksaw/')).toEqual([]);
    const records = executionsFor(`s3://${bucket}/par.csv`);
    expect(records).toHaveLength(1);
    expect(records[0]?.Status__c).toBe('Completed with Errors');
  });

  it('a time limit that comes while the file is still being read: the next delivery sends the rest, none twice', async () => {
    const bucket = await h.s3.createBucket();
    const sample = sampleContacts(2000, { prefix: 'CUT', bad: true });
    const eTag = await putText(h.s3, bucket, 'cut.csv', sample.csv);
    const handler = createS3ImportHandler(baseOptions({ reserveMs: 1000, minWorkMs: 1 }));
    const event = sqsEvent(s3Event(bucket, 'cut.csv', eTag), 'msg-cut');
    // 1 ms left beyond the reserve: the engine stops reading almost at once.
    const first = await handler(event, { getRemainingTimeInMillis: () => 1001 });
    expect(first.results[0]?.status).toBe('pending');
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'msg-cut' }]);
    // The redelivery has time: it sends what the first one could not.
    const second = await handler(event, { getRemainingTimeInMillis: () => 120_000 });
    const result = second.results[0]?.result;
    expect(result?.status).toBe('completed');
    expect(result?.summary).toMatchObject({ input: 2000, failed: sample.bad.size, succeeded: 2000 - sample.bad.size });
    expect(result?.reportRows).toBe(sample.bad.size);
    expect(contactsWith('CUT-')).toHaveLength(sample.goodIds.size); // insert: a row sent twice would show
    expect(await keysUnder(h.s3, bucket, 'errors/')).toHaveLength(1);
    expect(await keysUnder(h.s3, bucket, '.kicksaw/')).toEqual([]);
  });

  it('many short invocations in a row finish a file: every row once, one report', async () => {
    const bucket = await h.s3.createBucket();
    const sample = sampleContacts(3000, { prefix: 'MANY', bad: true });
    const eTag = await putText(h.s3, bucket, 'many.csv', sample.csv);
    const handler = createS3ImportHandler(
      baseOptions({
        reserveMs: 1000,
        minWorkMs: 1,
        ingest: { ...ingestTuning, maxRowsPerJob: 400, maxConcurrentJobs: 2 },
      }),
    );
    const event = sqsEvent(s3Event(bucket, 'many.csv', eTag), 'msg-many');
    h.sf.faults.set({ jobProcessingMs: 250 });
    let result: S3ImportHandlerResponse | undefined;
    let invocations = 0;
    do {
      invocations += 1;
      result = await handler(event, { getRemainingTimeInMillis: () => 1000 + 300 });
    } while (result.results[0]?.status === 'pending' && invocations < 60);
    expect(invocations).toBeGreaterThan(1);
    const done = result.results[0]?.result;
    expect(done?.status).toBe('completed');
    expect(done?.summary).toMatchObject({ input: 3000, failed: sample.bad.size, succeeded: 3000 - sample.bad.size });
    expect(contactsWith('MANY-')).toHaveLength(sample.goodIds.size);
    expect(await keysUnder(h.s3, bucket, 'errors/')).toHaveLength(1);
  });

  it('imports an object named by an EventBridge "Object Created" event', async () => {
    const bucket = await h.s3.createBucket();
    const sample = sampleContacts(12, { prefix: 'EB' });
    const eTag = await putText(h.s3, bucket, 'in/eb file.csv', sample.csv);
    const handler = createS3ImportHandler(baseOptions());
    const event = eventBridgeEvent('Object Created', bucket, {
      object: { key: 'in/eb file.csv', size: sample.csv.length, etag: eTag.replaceAll('"', '') },
      reason: 'PutObject',
    });
    const response = await handler(event);
    expect(response.results[0]).toMatchObject({ ok: true, status: 'completed', key: 'in/eb file.csv' });
    expect(contactsWith('EB-')).toHaveLength(12);
  });

  it('skips events that are not "object created" (EventBridge Object Deleted, S3 ObjectRemoved) with one log line', async () => {
    const bucket = await h.s3.createBucket();
    const lines: string[] = [];
    const capture = (line: string) => lines.push(line);
    const logger = createConsoleLogger({ console: { debug: capture, info: capture, warn: capture, error: capture } });
    const handler = createS3ImportHandler(baseOptions({ logger }));
    const deleted = eventBridgeEvent('Object Deleted', bucket, {
      object: { key: 'gone.csv' },
      reason: 'DeleteObject',
      'deletion-type': 'Permanently Deleted',
    });
    const fromEventBridge = await handler(deleted);
    expect(fromEventBridge.results[0]).toMatchObject({ ok: true, status: 'ignored', key: 'gone.csv' });
    const removed = s3Event(bucket, 'gone too.csv', 'abc') as { Records: Array<Record<string, unknown>> };
    for (const record of removed.Records) record.eventName = 'ObjectRemoved:Delete';
    const fromS3 = await handler(sqsEvent(removed, 'msg-removed'));
    expect(fromS3.batchItemFailures).toEqual([]);
    expect(fromS3.results[0]).toMatchObject({ ok: true, status: 'ignored', key: 'gone too.csv' });
    const records = (h.sf.org.records('IntegrationExecution__c') as Array<Record<string, unknown>>).filter(
      (r) => r.Name === 'gone.csv' || r.Name === 'gone too.csv',
    );
    expect(records).toEqual([]);
    const logged = lines.map((line) => JSON.parse(line) as { level: string; message: string });
    expect(logged.filter((line) => /not an "object created" event/.test(line.message))).toHaveLength(2);
    expect(logged.filter((line) => line.level === 'error')).toEqual([]);
  });

  it('a bad file gives a clear error in the log and in the execution record', async () => {
    const bucket = await h.s3.createBucket();
    const eTag = await putText(h.s3, bucket, 'bad.csv', 'Email,Nickname\nada@example.com,ada\n');
    const lines: string[] = [];
    const capture = (line: string) => lines.push(line);
    const logger = createConsoleLogger({ console: { debug: capture, info: capture, warn: capture, error: capture } });
    const handler = createS3ImportHandler(baseOptions({ logger }));
    const error = await handler(s3Event(bucket, 'bad.csv', eTag)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(S3ImportIncompleteError);
    const item = (error as S3ImportIncompleteError).items[0];
    expect(item?.error?.message).toMatch(/External Id/);
    const logged = lines.map((line) => JSON.parse(line) as { level: string; message: string });
    expect(logged.some((line) => line.level === 'error' && /run failed: .*External Id/.test(line.message))).toBe(true);
    const record = (h.sf.org.records('IntegrationExecution__c') as Array<Record<string, unknown>>).find(
      (r) => r.Name === 'bad.csv' && String(r.ExecutionPayload__c).includes(bucket),
    );
    expect(record?.Status__c).toBe('Failed');
    expect(String(record?.ExecutionPayload__c)).toMatch(/External Id/);
  });

  it('ignores keys in the folders it writes to, and reports failures per SQS message', async () => {
    const bucket = await h.s3.createBucket();
    const handler = createS3ImportHandler(baseOptions());
    const ignored = await handler(s3Event(bucket, 'errors/error-report-x.csv', 'abc'));
    expect(ignored.results[0]?.status).toBe('ignored');

    const missing = await handler(sqsEvent(s3Event(bucket, 'nope.csv', 'abc'), 'msg-9'));
    expect(missing.batchItemFailures).toEqual([{ itemIdentifier: 'msg-9' }]);
    expect(missing.results[0]?.error?.message).toMatch(/moved or deleted/);

    await expect(handler(s3Event(bucket, 'nope2.csv', 'abd'))).rejects.toBeInstanceOf(S3ImportIncompleteError);
  });
});

describe('deadline reserve', () => {
  it('a function timeout at or under the default reserve still finishes runs: the reserve is a share of short invocations', async () => {
    const bucket = await h.s3.createBucket();
    const sample = sampleContacts(300, { prefix: 'SHORT' });
    const eTag = await putText(h.s3, bucket, 'short.csv', sample.csv);
    const handler = createS3ImportHandler(baseOptions());
    // A 30 s function: with the whole 60 s default reserve kept back, every invocation parked at once, forever.
    const response = await handler(sqsEvent(s3Event(bucket, 'short.csv', eTag), 'msg-short'), {
      getRemainingTimeInMillis: () => 30_000,
    });
    expect(response.batchItemFailures).toEqual([]);
    expect(response.results[0]?.status).toBe('completed');
    expect(contactsWith('SHORT-')).toHaveLength(300);
  });

  it('a configuration that cannot work is a ConfigError naming the setting and the timeout to set', async () => {
    const bucket = await h.s3.createBucket();
    const eTag = await putText(h.s3, bucket, 'never.csv', sampleContacts(5, { prefix: 'NEVER' }).csv);
    const handler = createS3ImportHandler(baseOptions({ reserveMs: 60_000 }));
    const event = s3Event(bucket, 'never.csv', eTag);
    const error = await handler(event, { getRemainingTimeInMillis: () => 60_000 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(
      /Setting reserveMs leaves 0 ms of work .* raise the function timeout/,
    );
    expect(contactsWith('NEVER-')).toEqual([]);
    expect(() => createS3ImportHandler(baseOptions({ reserveFraction: 1 }))).toThrow(/reserveFraction is invalid/);
  });
});

describe('handler configuration', () => {
  it('names a missing setting when the handler is created', () => {
    expect(() => createS3ImportHandler({ ...baseOptions(), object: '' })).toThrow(/Setting object is required/);
    expect(() => createS3ImportHandler({ ...baseOptions(), operation: 'upsert' })).toThrow(
      /Setting externalIdField is required for the upsert operation/,
    );
    const { connection: _unused, ...noSalesforce } = baseOptions();
    expect(() => createS3ImportHandler(noSalesforce)).toThrow(ConfigError);
    expect(() => createS3ImportHandler(noSalesforce)).toThrow(/Setting salesforce is required/);
  });

  it('names the missing environment variable', () => {
    const env = {
      KICKSAW_OPERATION: 'upsert',
      KICKSAW_EXTERNAL_ID_FIELD: 'External_Id__c',
      KICKSAW_MAPPING: JSON.stringify(MAPPING),
      SF_INSTANCE_URL: 'https://acme.my.salesforce.com',
      SF_ACCESS_TOKEN: '00D000000000001!abcdef',
    };
    expect(() => createS3ImportHandler(s3ImportHandlerOptionsFromEnv(env))).toThrow(
      /Setting KICKSAW_OBJECT is required/,
    );
    const noSalesforce = { ...env, KICKSAW_OBJECT: 'Contact', SF_INSTANCE_URL: '', SF_ACCESS_TOKEN: '' };
    expect(() => createS3ImportHandler(s3ImportHandlerOptionsFromEnv(noSalesforce))).toThrow(/SF_INSTANCE_URL/);
    expect(() =>
      s3ImportHandlerOptionsFromEnv({ ...env, KICKSAW_OBJECT: 'Contact', KICKSAW_MAPPING: '{nope' }),
    ).toThrow(/Setting KICKSAW_MAPPING is not valid JSON/);
    const ok = createS3ImportHandler(s3ImportHandlerOptionsFromEnv({ ...env, KICKSAW_OBJECT: 'Contact' }));
    expect(typeof ok).toBe('function');
    const leased = s3ImportHandlerOptionsFromEnv({
      ...env,
      KICKSAW_OBJECT: 'Contact',
      KICKSAW_LEASE_MS: '960000',
      KICKSAW_MAX_STALLED_ATTEMPTS: '8',
    });
    expect(leased).toMatchObject({ leaseMs: 960_000, maxStalledAttempts: 8 });
    expect(() =>
      createS3ImportHandler(
        s3ImportHandlerOptionsFromEnv({ ...env, KICKSAW_OBJECT: 'Contact', KICKSAW_LEASE_MS: 'soon' }),
      ),
    ).toThrow(/Setting KICKSAW_LEASE_MS is invalid/);
  });
});
