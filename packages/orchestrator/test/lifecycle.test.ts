import { S3Client } from '@aws-sdk/client-s3';
import { Connection } from 'jsforce';
import { describe, expect, it } from 'vitest';
import {
  createS3ImportHandler,
  importCsv,
  type S3ImportHandlerOptions,
  type S3ImportHandlerResponse,
} from '../src/index.js';
import { MAPPING, sampleContacts } from './fixtures.js';
import {
  contactImport,
  contactsIn,
  executionsNaming,
  getText,
  keysUnder,
  putSampleRun,
  putText,
  s3Event,
  sqsEvent,
  startCuttingProxy,
  startRefusingProxy,
  useHarness,
} from './harness.js';

const h = useHarness();

const ingestTuning = { pollIntervalMs: 20, maxPollIntervalMs: 50, http: { maxRetries: 1, retryDelayMs: 1 } };

const baseOptions = (overrides: Partial<S3ImportHandlerOptions> = {}) => contactImport(h, ingestTuning, overrides);

const contactsWith = (prefix: string) => contactsIn(h, prefix);

const executionsFor = (text: string) => executionsNaming(h, text);

/** Every good row once in the org (insert: a row sent twice is a second Contact), every bad row reported. */
function expectExact(prefix: string, sample: ReturnType<typeof sampleContacts>) {
  const held = contactsWith(prefix);
  expect(held).toHaveLength(sample.goodIds.size);
  expect(new Set(held.map((c) => c.External_Id__c))).toEqual(sample.goodIds);
}

/** Delivers an SQS event until the run is no longer pending or held, as SQS redelivers a failed message. */
async function deliverUntilDone(
  handler: ReturnType<typeof createS3ImportHandler>,
  event: unknown,
  remainingMs: number,
  limit = 40,
): Promise<{ last: S3ImportHandlerResponse; invocations: number }> {
  let invocations = 0;
  for (;;) {
    invocations += 1;
    const last = await handler(event, { getRemainingTimeInMillis: () => remainingMs });
    if (last.batchItemFailures.length === 0 || invocations >= limit) return { last, invocations };
  }
}

describe('defect 1: concurrent redeliveries of a parked run', () => {
  it('three deliveries at once of a run parked while reading: one takes it, none resends a row', async () => {
    const bucket = await h.s3.createBucket();
    const sample = sampleContacts(5000, { prefix: 'RACE', bad: true });
    const eTag = await putText(h.s3, bucket, 'race.csv', sample.csv);
    const handler = createS3ImportHandler(
      baseOptions({ reserveMs: 1000, minWorkMs: 1, ingest: { ...ingestTuning, maxRowsPerJob: 500 } }),
    );
    const event = sqsEvent(s3Event(bucket, 'race.csv', eTag), 'msg-race');
    // Jobs held up in the org: the first invocation's 300 ms of work end while it is still reading,
    // however fast the machine (with warm modules the whole file could otherwise load in time).
    h.sf.faults.set({ jobProcessingMs: 500 });
    const first = await handler(event, { getRemainingTimeInMillis: () => 1300 });
    h.sf.faults.reset();
    expect(first.results[0]?.status).toBe('pending');
    const settled = await Promise.all([1, 2, 3].map(() => handler(event, { getRemainingTimeInMillis: () => 120_000 })));
    const statuses = settled.map((response) => response.results[0]?.status);
    expect(statuses.filter((status) => status === 'completed')).toHaveLength(1);
    for (const response of settled) {
      if (response.results[0]?.status !== 'completed') {
        expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'msg-race' }]);
        expect(response.results[0]?.error?.code).toBe('RUN_IN_PROGRESS');
      }
    }
    const done = settled.find((response) => response.results[0]?.status === 'completed')?.results[0]?.result;
    expect(done?.summary).toMatchObject({ input: 5000, failed: sample.bad.size, succeeded: 5000 - sample.bad.size });
    expectExact('RACE-', sample);
    expect(executionsFor(`s3://${bucket}/race.csv`)).toHaveLength(1);
    expect(await keysUnder(h.s3, bucket, 'errors/')).toHaveLength(1);
    expect(await keysUnder(h.s3, bucket, 'archive/')).toHaveLength(1);
    expect(await keysUnder(h.s3, bucket, '.kicksaw/')).toEqual([]);
  });
});

describe('defect 2: a transient failure after the claim is not final', () => {
  it('the Bulk API unavailable past the retry budget: rows stay unsent and pending, the next delivery loads them', async () => {
    const bucket = await h.s3.createBucket();
    const sample = sampleContacts(1200, { prefix: 'OUT', bad: true });
    const eTag = await putText(h.s3, bucket, 'outage.csv', sample.csv);
    const handler = createS3ImportHandler(baseOptions());
    const event = sqsEvent(s3Event(bucket, 'outage.csv', eTag), 'msg-outage');
    h.sf.faults.set({ httpErrors: { status: 503, rate: 1, match: /jobs\/ingest$/ } });
    const first = await handler(event, { getRemainingTimeInMillis: () => 120_000 });
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'msg-outage' }]);
    const parked = first.results[0]?.result;
    expect(parked?.status).toBe('pending');
    expect(parked?.pendingReason).toMatch(/KICKSAW_JOB_NOT_CREATED/);
    // Every row that passed the local checks waits unsent (only CSV and mapping problems are settled).
    expect(parked?.unsentRows).toBe(1200 - (parked?.summary.failed ?? 0));
    expect(parked?.unsentRows).toBeGreaterThanOrEqual(sample.goodIds.size);
    expect(contactsWith('OUT-')).toEqual([]);
    expect(await keysUnder(h.s3, bucket, 'outage.csv')).toEqual(['outage.csv']); // not archived
    expect(await keysUnder(h.s3, bucket, 'errors/')).toEqual([]);
    expect(h.sf.org.get(parked?.executionId as string)).toMatchObject({ Status__c: 'Queued' });

    h.sf.faults.reset(); // the outage ends
    const { last } = await deliverUntilDone(handler, event, 120_000);
    expect(last.results[0]?.result?.summary).toMatchObject({
      input: 1200,
      failed: sample.bad.size,
      succeeded: sample.goodIds.size,
    });
    expectExact('OUT-', sample);
    expect(executionsFor(`s3://${bucket}/outage.csv`)).toHaveLength(1);
    expect(executionsFor(`s3://${bucket}/outage.csv`)[0]?.Status__c).toBe('Completed with Errors');
  });

  it('a 503 on creating the execution record is sent again (jsforce does not retry a POST): the first delivery runs the file', async () => {
    const { event, sample, runKey } = await putSampleRun(h, 'claim503', 300, { prefix: 'CLAIM', bad: true });
    // The first two creates of the run's record are answered 503; lease records and everything else pass.
    let refusals = 0;
    const proxy = await startRefusingProxy(h.sf.instanceUrl, {
      shouldRefuse: (method, path) => {
        if (method !== 'POST' || !/\/sobjects\/IntegrationExecution__c$/.test(path) || refusals >= 2) return false;
        refusals += 1;
        return true;
      },
      status: 503,
      errorCode: 'SERVER_UNAVAILABLE',
      message: 'Service temporarily unavailable',
    });
    const connection = new Connection({
      instanceUrl: proxy.instanceUrl,
      accessToken: h.sf.accessToken,
      version: h.sf.apiVersion,
    });
    try {
      const handler = createS3ImportHandler(baseOptions({ connection }));
      const first = await handler(event, { getRemainingTimeInMillis: () => 120_000 });
      expect(proxy.refused()).toBe(2);
      expect(first.batchItemFailures).toEqual([]);
      expect(first.results[0]?.result?.status).toBe('completed');
      expectExact('CLAIM-', sample);
      const records = (h.sf.org.records('IntegrationExecution__c') as Array<Record<string, unknown>>).filter((r) =>
        String(r.IdempotencyKey__c).startsWith(runKey),
      );
      expect(records).toHaveLength(1);
      expect(records[0]?.Status__c).toBe('Completed with Errors');
    } finally {
      await proxy.stop();
    }
  });

  it('an outage that outlasts maxStalledAttempts: the unsent rows are reported plainly and the run completes', async () => {
    const bucket = await h.s3.createBucket();
    const sample = sampleContacts(400, { prefix: 'GIVE' });
    const eTag = await putText(h.s3, bucket, 'give.csv', sample.csv);
    const handler = createS3ImportHandler(baseOptions({ maxStalledAttempts: 2 }));
    const event = sqsEvent(s3Event(bucket, 'give.csv', eTag), 'msg-give');
    h.sf.faults.set({ httpErrors: { status: 503, rate: 1, match: /jobs\/ingest$/ } });
    const { last, invocations } = await deliverUntilDone(handler, event, 120_000);
    expect(invocations).toBe(2); // two invocations in a row that settled no row
    const result = last.results[0]?.result;
    expect(result?.status).toBe('completed');
    expect(result?.summary).toMatchObject({ input: 400, unprocessed: 400, succeeded: 0 });
    expect(result?.reportRows).toBe(400);
    const report = await getText(h.s3, bucket, result?.reportKey as string);
    expect(report).toContain('KICKSAW_NOT_SENT');
    expect(report).toMatch(/2 invocations in a row could not send it \(last: KICKSAW_JOB_NOT_CREATED/);
    expect(contactsWith('GIVE-')).toEqual([]);
    expect(h.sf.org.get(result?.executionId as string)).toMatchObject({ Status__c: 'Completed with Errors' });
  });

  it('the S3 download reset mid-file: reading resumes past the rows already settled, every row once', async () => {
    const bucket = await h.s3.createBucket();
    const sample = sampleContacts(6000, { prefix: 'RESET', bad: true });
    await putText(h.s3, bucket, 'reset.csv', sample.csv);
    const proxy = await startCuttingProxy(h.s3.endpoint, {
      shouldCut: (method, path) => method === 'GET' && path.startsWith(`/${bucket}/reset.csv`),
      afterBytes: 150_000,
      times: 2,
    });
    const client = new S3Client({ ...h.s3.clientConfig, endpoint: proxy.endpoint });
    try {
      const result = await importCsv({
        s3Client: client,
        connection: h.connection,
        bucket,
        key: 'reset.csv',
        object: 'Contact',
        operation: 'insert',
        mapping: MAPPING,
        ingest: { ...ingestTuning, maxRowsPerJob: 1000 },
      });
      expect(proxy.cuts()).toBe(2);
      expect(result.status).toBe('completed');
      expect(result.summary).toMatchObject({ input: 6000, failed: sample.bad.size, succeeded: sample.goodIds.size });
      expect(result.reportRows).toBe(sample.bad.size);
      expectExact('RESET-', sample);
    } finally {
      client.destroy();
      await proxy.stop();
    }
  });
});

describe('an invocation cut off while finishing', () => {
  it('an S3 outage after every job ended: the invocation releases its lease and the next delivery finishes at once', async () => {
    const { event, sample } = await putSampleRun(h, 'outage', 300, { prefix: 'OUTAGE' });
    // The marker written once the report is up cannot be written (S3 unreachable), after every row settled.
    const client = new S3Client(h.s3.clientConfig);
    let failing = true;
    client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { Key?: string; Body?: unknown };
        const body = input.Body instanceof Uint8Array ? Buffer.from(input.Body).toString('utf8') : String(input.Body);
        const marker = body.includes('"completing"');
        if (failing && input.Key?.startsWith('.kicksaw/state/') && marker) throw new Error('S3 unreachable (injected)');
        return next(args);
      },
      { step: 'initialize' },
    );
    try {
      // A lease far longer than the test: only a release lets the next delivery in.
      const handler = createS3ImportHandler(baseOptions({ s3Client: client, leaseMs: 600_000 }));
      const first = await handler(event, { getRemainingTimeInMillis: () => 120_000 });
      expect(first.results[0]?.error?.code).toBe('RUN_INTERRUPTED');
      failing = false;
      const second = await handler(event, { getRemainingTimeInMillis: () => 120_000 });
      expect(second.batchItemFailures).toEqual([]);
      expect(second.results[0]?.result?.status).toBe('completed');
      expectExact('OUTAGE-', sample);
    } finally {
      client.destroy();
    }
  });

  it('the record update fails after the archive: the next delivery finishes archive and record, one report', async () => {
    const bucket = await h.s3.createBucket();
    const sample = sampleContacts(600, { prefix: 'FIN', bad: true });
    const eTag = await putText(h.s3, bucket, 'fin.csv', sample.csv);
    const handler = createS3ImportHandler(baseOptions({ leaseMs: 1000 }));
    const event = sqsEvent(s3Event(bucket, 'fin.csv', eTag), 'msg-fin');
    // Updates of existing execution records fail (the claim and the lease are inserts, so they pass).
    h.sf.faults.set({ httpErrors: { status: 503, rate: 1, match: /sobjects\/IntegrationExecution__c\/\w{15,18}$/ } });
    const first = await handler(event, { getRemainingTimeInMillis: () => 120_000 });
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'msg-fin' }]);
    expect(first.results[0]?.error?.code).toBe('RUN_INTERRUPTED');
    expect(await keysUnder(h.s3, bucket, 'errors/')).toHaveLength(1);
    expect(await keysUnder(h.s3, bucket, 'fin.csv')).toEqual([]); // archived before the record failed
    h.sf.faults.reset();
    let last: S3ImportHandlerResponse | undefined;
    for (let tries = 0; tries < 400; tries++) {
      last = await handler(event, { getRemainingTimeInMillis: () => 120_000 });
      if (last.batchItemFailures.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 25)); // SQS's redelivery interval, until the lease runs out
    }
    expect(last?.results[0]?.result).toMatchObject({
      status: 'completed',
      summary: { input: 600, failed: sample.bad.size, succeeded: sample.goodIds.size },
    });
    expectExact('FIN-', sample);
    expect(await keysUnder(h.s3, bucket, 'errors/')).toHaveLength(1);
    expect(await keysUnder(h.s3, bucket, 'archive/')).toHaveLength(1);
    expect(await keysUnder(h.s3, bucket, '.kicksaw/')).toEqual([]);
    const records = executionsFor(`s3://${bucket}/fin.csv`);
    expect(records).toHaveLength(1);
    expect(records[0]?.Status__c).toBe('Completed with Errors');
  });
});

describe('defect 5: a failed poll without a deadline', () => {
  it('parks the run with its jobs (pending rows and ids, the reason logged), and the next call settles them', async () => {
    const bucket = await h.s3.createBucket();
    const sample = sampleContacts(800, { prefix: 'POLL' });
    await putText(h.s3, bucket, 'poll.csv', sample.csv);
    const options = {
      s3Client: h.s3.client,
      connection: h.connection,
      bucket,
      key: 'poll.csv',
      object: 'Contact',
      operation: 'insert' as const,
      mapping: MAPPING,
      ingest: {
        ...ingestTuning,
        onProgress: (progress: { rowsUploaded: number }) => {
          // Once the job is closed its status can no longer be read (an API outage past the retry budget).
          if (progress.rowsUploaded > 0 && !h.sf.faults.current().httpErrors) {
            h.sf.faults.set({
              jobProcessingMs: 100,
              httpErrors: { status: 503, rate: 1, match: /jobs\/ingest\/\w+$/ },
            });
          }
        },
      },
    };
    h.sf.faults.set({ jobProcessingMs: 100 });
    const first = await importCsv(options);
    expect(first.status).toBe('pending');
    expect(first.pendingRows).toBe(800);
    expect(first.pendingJobs).toHaveLength(1);
    expect(first.pendingReason).toMatch(/polling them or reading their results failed/);
    expect(first.pendingReason).not.toMatch(/deadline/i);
    h.sf.faults.reset();
    const second = await importCsv({ ...options, ingest: ingestTuning });
    expect(second.status).toBe('completed');
    expect(second.summary).toMatchObject({ input: 800, succeeded: 800 });
    expect(contactsWith('POLL-')).toHaveLength(800);
  });
});
