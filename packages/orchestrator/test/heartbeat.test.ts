import { Connection } from 'jsforce';
import { describe, expect, it } from 'vitest';
import {
  createS3ImportHandler,
  importCsv,
  type S3ImportHandlerOptions,
  type S3ImportHandlerResponse,
} from '../src/index.js';
import { MAPPING } from './fixtures.js';
import {
  contactImport,
  contactsIn,
  getText,
  keysUnder,
  putSampleRun,
  putText,
  s3Event,
  sqsEvent,
  startRefusingProxy,
  useHarness,
  waitForKeys,
} from './harness.js';

// The run's lease is short and kept alive by a heartbeat (see src/lease.ts): these tests drive a real
// handler against the local S3 and the local org, and watch what the lease lets through.

const h = useHarness();

/** One job at a time, 500 rows each: with the org's job delay a run lasts several leases. */
const ingestTuning = { pollIntervalMs: 20, maxPollIntervalMs: 50, maxRowsPerJob: 500, maxConcurrentJobs: 1 };
const context = { getRemainingTimeInMillis: () => 120_000 };

/** A logger that keeps every message. */
function recordingLogger() {
  const lines: Array<{ level: string; message: string; context?: Record<string, unknown> }> = [];
  const at = (level: string) => (message: string, context?: Record<string, unknown>) => {
    lines.push({ level, message, ...(context ? { context } : {}) });
  };
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

const handlerOptions = (overrides: Partial<S3ImportHandlerOptions> = {}) => contactImport(h, ingestTuning, overrides);

const waitUntilKeys = (bucket: string, prefix: string, count: number) => waitForKeys(h, bucket, prefix, count);

const contactsWith = (prefix: string) => contactsIn(h, prefix);

function recordsOf(runKey: string) {
  return (h.sf.org.records('IntegrationExecution__c') as Array<Record<string, unknown>>).filter((r) =>
    String(r.IdempotencyKey__c).startsWith(runKey),
  );
}

/** Delivers the event again (the platform's retries) until a delivery finishes the run. */
async function deliverUntilDone(
  handler: ReturnType<typeof createS3ImportHandler>,
  event: unknown,
): Promise<S3ImportHandlerResponse> {
  for (let tries = 0; tries < 2000; tries++) {
    const response = await handler(event, context);
    if (response.batchItemFailures.length === 0) return response;
    await new Promise((r) => setTimeout(r, 50)); // the platform's retry interval
  }
  throw new Error('the run was never finished');
}

describe('lease heartbeat', () => {
  it('a holder that heartbeats through a run longer than its lease is not taken over', async () => {
    const { bucket, sample, event, runKey } = await putSampleRun(h, 'beat', 3000, { prefix: 'BEAT' });
    // 6 jobs one after the other, each held 700 ms by the org: the run outlasts its 2 s lease twice over.
    h.sf.faults.set({ jobProcessingMs: 700 });
    const log = recordingLogger();
    const holder = createS3ImportHandler(handlerOptions({ leaseMs: 2000, logger: log.logger }));
    const other = createS3ImportHandler(handlerOptions({ leaseMs: 2000, logger: log.logger }));

    let finished = false;
    const running = holder(event, context).finally(() => {
      finished = true;
    });
    await waitUntilKeys(bucket, `.kicksaw/state/${runKey}.jobs/`, 1);
    const during: S3ImportHandlerResponse[] = [];
    while (!finished) {
      during.push(await other(event, context));
      await new Promise((r) => setTimeout(r, 100)); // the platform's retry interval
    }
    const done = await running;

    expect(done.results[0]?.result?.status).toBe('completed');
    // Every delivery meanwhile found the lease live (or, at the very end, the run finished).
    expect(during.length).toBeGreaterThan(1);
    for (const response of during) {
      const item = response.results[0];
      expect(item?.error?.code === 'RUN_IN_PROGRESS' || item?.result?.reason === 'already-processed').toBe(true);
    }
    expect(log.lines.filter((line) => line.message.startsWith('lease taken over'))).toEqual([]);
    expect(log.lines.filter((line) => /lease/.test(line.message) && /warn|error/.test(line.level))).toEqual([]);
    // It renewed the lease more than once while it ran (so the run did outlast it).
    expect(log.lines.filter((line) => line.message === 'run lease renewed').length).toBeGreaterThan(1);
    const held = contactsWith('BEAT-');
    expect(held).toHaveLength(3000);
    expect(new Set(held.map((c) => c.External_Id__c))).toEqual(sample.goodIds);
    expect(recordsOf(runKey)).toHaveLength(1);
  });

  it('a holder whose run another delivery took over stops sending and writes nothing; the next delivery finishes it', async () => {
    const { bucket, sample, event, runKey } = await putSampleRun(h, 'taken', 5000, { prefix: 'TAKEN' });
    h.sf.faults.set({ jobProcessingMs: 300 });
    const log = recordingLogger();
    const holder = createS3ImportHandler(handlerOptions({ leaseMs: 1500, logger: log.logger }));

    const running = holder(event, context);
    await waitUntilKeys(bucket, `.kicksaw/state/${runKey}.jobs/`, 1);
    const stateBefore = await getText(h.s3, bucket, `.kicksaw/state/${runKey}.json`);
    // Another delivery judged lease 1 over (its clock ahead of the holder's) and took generation 2.
    await h.connection.sobject('IntegrationExecution__c').create({
      Name: `lease 2 until ${new Date(Date.now() + 1500).toISOString()}`,
      IdempotencyKey__c: `${runKey}:lease:2`,
    });
    const first = await running;

    // The holder saw generation 2 at its next renewal: it stopped, and left the run without a write.
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'msg-taken' }]);
    expect(first.results[0]?.error?.code).toBe('RUN_INTERRUPTED');
    expect(first.results[0]?.error?.message).toMatch(/generation 2 took the run over/);
    expect(log.lines.some((line) => line.level === 'error' && /run lease lost/.test(line.message))).toBe(true);
    expect(await getText(h.s3, bucket, `.kicksaw/state/${runKey}.json`)).toBe(stateBefore);
    const jobsSent = (await keysUnder(h.s3, bucket, `.kicksaw/state/${runKey}.jobs/`)).length;
    expect(jobsSent).toBeLessThan(10); // 5,000 rows in jobs of 500: it did not send them all
    expect(contactsWith('TAKEN-').length).toBeLessThan(5000);

    // Once generation 2 runs out, a delivery takes the run over and sends only what was never sent.
    const done = await deliverUntilDone(createS3ImportHandler(handlerOptions({ leaseMs: 1500 })), event);
    expect(done.results[0]?.result?.status).toBe('completed');
    const held = contactsWith('TAKEN-');
    expect(held).toHaveLength(5000);
    expect(new Set(held.map((c) => c.External_Id__c))).toEqual(sample.goodIds);
    expect(recordsOf(runKey)).toHaveLength(1);
    expect(await keysUnder(h.s3, bucket, '.kicksaw/')).toEqual([]);
  });

  it('a holder whose lease renewals are refused stops sending and parks; the next delivery finishes the run', async () => {
    const { bucket, sample, event, runKey } = await putSampleRun(h, 'refuse', 5000, { prefix: 'REFUSE' });
    h.sf.faults.set({ jobProcessingMs: 300 });
    // Updates of the lease record are refused (the run's own record is left alone): the store is
    // unreachable for the heartbeat alone.
    let executionId: string | undefined;
    const proxy = await startRefusingProxy(h.sf.instanceUrl, {
      shouldRefuse: (method, path) =>
        method === 'PATCH' &&
        path.includes('/sobjects/IntegrationExecution__c/') &&
        executionId !== undefined &&
        !path.includes(executionId),
      status: 503,
      errorCode: 'SERVER_UNAVAILABLE',
      message: 'Service temporarily unavailable',
    });
    proxy.setRefusing(false);
    const connection = new Connection({
      instanceUrl: proxy.instanceUrl,
      accessToken: h.sf.accessToken,
      version: h.sf.apiVersion,
    });
    try {
      const log = recordingLogger();
      const holder = createS3ImportHandler(handlerOptions({ connection, leaseMs: 4000, logger: log.logger }));
      const running = holder(event, context);
      await waitUntilKeys(bucket, `.kicksaw/state/${runKey}.jobs/`, 1);
      executionId = String(recordsOf(runKey).find((r) => r.IdempotencyKey__c === runKey)?.Id);
      proxy.setRefusing(true);
      const first = await running;
      proxy.setRefusing(false);

      expect(proxy.refused()).toBeGreaterThan(0);
      expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'msg-refuse' }]);
      const item = first.results[0];
      // It parks while its lease still lasts (or, on a machine too slow for that, leaves the run unwritten).
      const why = item?.result?.pendingReason ?? item?.error?.message ?? '';
      expect(item?.status === 'pending' || item?.error?.code === 'RUN_INTERRUPTED').toBe(true);
      expect(why).toMatch(/could not be renewed/);
      expect(
        log.lines.some((line) => line.level === 'warn' && /could not renew the run lease/.test(line.message)),
      ).toBe(true);
      const jobsSent = (await keysUnder(h.s3, bucket, `.kicksaw/state/${runKey}.jobs/`)).length;
      const settled = item?.result?.summary ? item.result.summary.succeeded : 0;
      expect(Math.max(jobsSent * 500, settled)).toBeLessThan(5000);

      const done = await deliverUntilDone(createS3ImportHandler(handlerOptions({ leaseMs: 4000 })), event);
      expect(done.results[0]?.result?.status).toBe('completed');
      const held = contactsWith('REFUSE-');
      expect(held).toHaveLength(5000);
      expect(new Set(held.map((c) => c.External_Id__c))).toEqual(sample.goodIds);
      expect(recordsOf(runKey)).toHaveLength(1);
    } finally {
      await proxy.stop();
    }
  });
});

describe('lease records at the end of a run', () => {
  it('a delivery that takes a lease after the run finished deletes it instead of leaving it behind', async () => {
    const { bucket, sample, runKey } = await putSampleRun(h, 'late', 20, { prefix: 'LATE' });
    const base = {
      s3Client: h.s3.client,
      bucket,
      key: 'late.csv',
      object: 'Contact',
      operation: 'insert' as const,
      mapping: MAPPING,
      ingest: ingestTuning,
    };
    const finished = await importCsv({ ...base, connection: h.connection });
    expect(finished.status).toBe('completed');
    expect(recordsOf(runKey)).toHaveLength(1);

    // A late delivery claimed the run while it was still In Progress; the holder completes it and its
    // clean-up deletes every lease just before the late delivery looks for one.
    await putText(h.s3, bucket, 'late.csv', sample.csv); // the same bytes: the same version key
    const record = recordsOf(runKey)[0] as Record<string, unknown>;
    await h.connection.sobject('IntegrationExecution__c').update({ Id: String(record.Id), Status__c: 'In Progress' });
    const late = new Connection({
      instanceUrl: h.sf.instanceUrl,
      accessToken: h.sf.accessToken,
      version: h.sf.apiVersion,
    });
    const query = late.query.bind(late) as unknown as (...args: unknown[]) => PromiseLike<unknown>;
    let completedMeanwhile = false;
    late.query = ((soql: string, ...rest: unknown[]) => {
      if (!completedMeanwhile && soql.includes(':lease:')) {
        completedMeanwhile = true;
        return h.connection
          .sobject('IntegrationExecution__c')
          .update({ Id: String(record.Id), Status__c: 'Completed' })
          .then(() => query(soql, ...rest));
      }
      return query(soql, ...rest);
    }) as unknown as typeof late.query;

    const again = await importCsv({ ...base, connection: late });
    expect(completedMeanwhile).toBe(true);
    expect(again).toMatchObject({ status: 'skipped', reason: 'already-processed' });
    expect(again.leaseRecordsLeft).toBeUndefined();
    // Only the run's record: the lease the late delivery took is gone with it.
    expect(recordsOf(runKey).map((r) => r.IdempotencyKey__c)).toEqual([runKey]);
    expect(contactsWith('LATE-')).toHaveLength(20);
  });

  it('lease records that cannot be deleted are a warning naming them and a count in the result', async () => {
    const { bucket, eTag, runKey } = await putSampleRun(h, 'left', 20, { prefix: 'LEFT' });
    const proxy = await startRefusingProxy(h.sf.instanceUrl, {
      // Refused for good (jsforce retries a 503 with backoff before it gives up: same outcome, slower test).
      shouldRefuse: (method) => method === 'DELETE',
      status: 403,
      errorCode: 'INSUFFICIENT_ACCESS_OR_READONLY',
      message: 'insufficient access rights on object id',
    });
    const connection = new Connection({
      instanceUrl: proxy.instanceUrl,
      accessToken: h.sf.accessToken,
      version: h.sf.apiVersion,
    });
    try {
      const log = recordingLogger();
      const handler = createS3ImportHandler(handlerOptions({ connection, logger: log.logger }));
      const event = sqsEvent(s3Event(bucket, 'left.csv', eTag), 'msg-left');
      const first = await handler(event, context);
      expect(first.results[0]?.result).toMatchObject({ status: 'completed', leaseRecordsLeft: 1 });
      const warning = log.lines.find((line) => /could not delete the run lease records/.test(line.message));
      expect(warning?.level).toBe('warn');
      expect(JSON.stringify(warning?.context?.records)).toContain(`${runKey}:lease:1`);
      expect(recordsOf(runKey)).toHaveLength(2); // the run's record and lease 1

      // A later delivery of the finished run deletes them once the store answers again.
      proxy.setRefusing(false);
      const again = await handler(event, context);
      expect(again.results[0]?.result).toMatchObject({ status: 'skipped', reason: 'already-processed' });
      expect(again.results[0]?.result?.leaseRecordsLeft).toBeUndefined();
      expect(recordsOf(runKey)).toHaveLength(1);
    } finally {
      await proxy.stop();
    }
  });
});
