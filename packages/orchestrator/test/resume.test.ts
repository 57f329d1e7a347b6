import { S3Client } from '@aws-sdk/client-s3';
import { Connection } from 'jsforce';
import { describe, expect, it } from 'vitest';
import { createS3ImportHandler, importCsv, type S3ImportHandlerResponse } from '../src/index.js';
import { RowSet } from '../src/rows.js';
import { POSITION_EVERY, SourcePositions } from '../src/source-positions.js';
import { MAPPING, type SampleFile, sampleContacts } from './fixtures.js';
import {
  contactsIn,
  getText,
  keysUnder,
  putText,
  s3Event,
  sqsEvent,
  startCuttingProxy,
  startHoldingProxy,
  startRefusingProxy,
  useHarness,
} from './harness.js';

const h = useHarness();

const ingestTuning = { pollIntervalMs: 20, maxPollIntervalMs: 50, http: { maxRetries: 1, retryDelayMs: 1 } };

const contactsWith = (prefix: string) => contactsIn(h, prefix);

/** Every good row once in the org (insert: a row sent twice is a second Contact). */
function expectExact(prefix: string, sample: SampleFile) {
  const held = contactsWith(prefix);
  expect(held).toHaveLength(sample.goodIds.size);
  expect(new Set(held.map((c) => c.External_Id__c))).toEqual(sample.goodIds);
}

/** Rows of the sample file that never reach Salesforce: a CSV problem or a value the mapping refuses. */
function locallyFailed(sample: SampleFile): number {
  return [...sample.bad.values()].filter((why) => why === 'CSV_TOO_MANY_FIELDS' || why === 'INVALID_DATE').length;
}

/** Byte offset just past data row `row` of an ASCII file with LF line ends. */
function offsetAfterRow(csv: string, row: number): number {
  let at = 0;
  for (let line = 0; line <= row; line++) at = csv.indexOf('\n', at) + 1;
  return at;
}

/** Ids of the org's Bulk API ingest jobs (every page). */
async function ingestJobIds(connection: Connection): Promise<string[]> {
  const ids: string[] = [];
  let url: string | null = `/services/data/v${connection.version}/jobs/ingest`;
  while (url) {
    const page: { records: Array<{ id: string }>; nextRecordsUrl: string | null } = await connection.request(url);
    ids.push(...page.records.map((job) => job.id));
    url = page.nextRecordsUrl;
  }
  return ids;
}

/** Rows Salesforce processed in the given jobs (each row a job takes, whatever its result). */
async function rowsProcessed(connection: Connection, ids: string[]): Promise<number> {
  let rows = 0;
  for (const id of ids) {
    const job: { numberRecordsProcessed: number } = await connection.request(
      `/services/data/v${connection.version}/jobs/ingest/${id}`,
    );
    rows += job.numberRecordsProcessed;
  }
  return rows;
}

/**
 * A file in a new bucket, read through a proxy that lists every request, and `insert` options for it:
 * `getsSince(mark)` are the GETs of the file after `mark()`.
 */
async function watchedFile(key: string, csv: string, ingest: Record<string, unknown>) {
  const bucket = await h.s3.createBucket();
  await putText(h.s3, bucket, key, csv);
  const proxy = await startCuttingProxy(h.s3.endpoint, { shouldCut: () => false, afterBytes: 0, times: 0 });
  const client = new S3Client({ ...h.s3.clientConfig, endpoint: proxy.endpoint });
  const options = {
    s3Client: client,
    connection: h.connection,
    bucket,
    key,
    object: 'Contact',
    operation: 'insert' as const,
    mapping: MAPPING,
    ingest: { ...ingestTuning, ...ingest },
  };
  return {
    bucket,
    options,
    mark: () => proxy.requests().length,
    getsSince: (mark: number) =>
      proxy
        .requests()
        .slice(mark)
        .filter((r) => r.method === 'GET' && r.path.startsWith(`/${bucket}/${key}`)),
    async stop() {
      h.sf.faults.reset();
      client.destroy();
      await proxy.stop();
    },
  };
}

/** Rows 5-40 of a sample meet a lock error on every attempt until `unlock()` (with `faults` besides). */
function lockEarlyRows(prefix: string, faults: Record<string, unknown> = {}) {
  const early = new Set(Array.from({ length: 36 }, (_, i) => `${prefix}-${String(i + 5).padStart(7, '0')}`));
  let locking = true;
  h.sf.faults.set({
    ...faults,
    rowErrors: [
      {
        statusCode: 'UNABLE_TO_LOCK_ROW',
        when: (record) => locking && early.has(String(record.External_Id__c)),
        objects: ['Contact'],
      },
    ],
  });
  return {
    early,
    unlock: () => {
      locking = false;
    },
  };
}

describe('where a pass over the file starts', () => {
  it('is the last kept position before the first row not covered', () => {
    const format = { header: ['a'], delimiter: ',', encoding: 'utf-8', line: 1, lineBreaks: ['\n'] };
    const positions = new SourcePositions();
    const covered = new RowSet();
    expect(positions.startFor(covered)).toBeUndefined(); // nothing known: from the top
    positions.setFormat(format);
    positions.add({ offset: 100, row: 10, line: 11 });
    positions.add({ offset: 200, row: 20, line: 21 });
    expect(positions.startFor(covered)).toBeUndefined(); // row 1 uncovered
    for (let row = 1; row <= 20; row++) covered.add(row);
    expect(covered.firstMissing()).toBe(21);
    expect(positions.startFor(covered)?.position).toEqual({ offset: 200, row: 20, line: 21 });
    covered.delete(15); // a row of a job that never ran comes back
    expect(positions.startFor(covered)?.position).toEqual({ offset: 100, row: 10, line: 11 });
    // What a parked state or a checkpoint saved gives the same answer.
    const again = new SourcePositions(positions.toJSON());
    expect(again.startFor(covered)).toEqual(positions.startFor(covered));
  });
});

describe('a run resumed mid-file reads from the first unsettled row on', () => {
  it('after a broken S3 stream, the next invocation asks S3 for a byte range and sends only the rows never sent', async () => {
    const bucket = await h.s3.createBucket();
    const rows = 3 * POSITION_EVERY; // the last row ends exactly at a kept position, at the end of the file
    const sample = sampleContacts(rows, { prefix: 'OFFSET', bad: true });
    await putText(h.s3, bucket, 'offset.csv', sample.csv);
    const proxy = await startCuttingProxy(h.s3.endpoint, {
      shouldCut: (method, path) => method === 'GET' && path.startsWith(`/${bucket}/offset.csv`),
      afterBytes: Math.round(sample.csv.length * 0.6),
      times: 1,
    });
    const client = new S3Client({ ...h.s3.clientConfig, endpoint: proxy.endpoint });
    const jobsBefore = new Set(await ingestJobIds(h.connection));
    const options = {
      s3Client: client,
      connection: h.connection,
      bucket,
      key: 'offset.csv',
      object: 'Contact',
      operation: 'insert' as const,
      mapping: MAPPING,
      ingest: { ...ingestTuning, maxRowsPerJob: 1000 },
      sourceRetries: 0,
    };
    try {
      const first = await importCsv(options);
      expect(proxy.cuts()).toBe(1);
      expect(first.status).toBe('pending');
      expect(first.pendingReason).toMatch(/source stream broke/);
      const loadedFirst = contactsWith('OFFSET-').length;
      expect(loadedFirst).toBeGreaterThan(POSITION_EVERY / 2);
      expect(loadedFirst).toBeLessThan(sample.goodIds.size);

      const second = await importCsv(options);
      expect(second.status).toBe('completed');
      expect(second.summary).toMatchObject({ input: rows, failed: sample.bad.size, succeeded: sample.goodIds.size });
      expectExact('OFFSET-', sample);

      // The second invocation did not read the file from its start: one ranged GET from a kept position.
      const gets = proxy.requests().filter((r) => r.method === 'GET' && r.path.startsWith(`/${bucket}/offset.csv`));
      expect(gets[0]?.range).toBeUndefined();
      const kept = [1, 2, 3].map((k) => offsetAfterRow(sample.csv, k * POSITION_EVERY));
      const ranged = gets.slice(1).map((r) => Number(/^bytes=(\d+)-$/.exec(r.range ?? '')?.[1]));
      expect(ranged).toHaveLength(1);
      expect(kept).toContain(ranged[0]);

      // Exactly the rows never sent went out: Salesforce processed each row that reached it once.
      const jobs = (await ingestJobIds(h.connection)).filter((id) => !jobsBefore.has(id));
      expect(await rowsProcessed(h.connection, jobs)).toBe(rows - locallyFailed(sample));
    } finally {
      client.destroy();
      await proxy.stop();
    }
  });
});

describe('403 REQUEST_LIMIT_EXCEEDED when a Bulk API job is created', () => {
  it('parks the rows as unsent, leaves the run retryable and unarchived, and the next delivery loads them', async () => {
    const bucket = await h.s3.createBucket();
    const sample = sampleContacts(900, { prefix: 'LIMIT', bad: true });
    const eTag = await putText(h.s3, bucket, 'limit.csv', sample.csv);
    const proxy = await startRefusingProxy(h.sf.instanceUrl, {
      shouldRefuse: (method, path) => method === 'POST' && /\/jobs\/ingest\/?(\?.*)?$/.test(path),
      status: 403,
      errorCode: 'REQUEST_LIMIT_EXCEEDED',
      message: 'TotalRequests Limit exceeded.',
    });
    const connection = new Connection({
      instanceUrl: proxy.instanceUrl,
      accessToken: h.sf.accessToken,
      version: h.sf.apiVersion,
    });
    const handler = createS3ImportHandler({
      object: 'Contact',
      operation: 'insert',
      mapping: MAPPING,
      s3Client: h.s3.client,
      connection,
      ingest: ingestTuning,
    });
    const event = sqsEvent(s3Event(bucket, 'limit.csv', eTag), 'msg-limit');
    try {
      const first = await handler(event, { getRemainingTimeInMillis: () => 120_000 });
      expect(proxy.refused()).toBeGreaterThan(0);
      expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'msg-limit' }]);
      const parked = first.results[0]?.result;
      expect(parked?.status).toBe('pending');
      expect(parked?.pendingReason).toMatch(/KICKSAW_JOB_NOT_CREATED/);
      expect(parked?.pendingReason).toMatch(/REQUEST_LIMIT_EXCEEDED/);
      // Only the rows that failed locally are settled; every other row waits, unsent.
      expect(parked?.summary).toMatchObject({ failed: locallyFailed(sample), succeeded: 0 });
      expect(parked?.unsentRows).toBe(900 - locallyFailed(sample));
      expect(contactsWith('LIMIT-')).toEqual([]);
      expect(await keysUnder(h.s3, bucket, 'limit.csv')).toEqual(['limit.csv']); // not archived
      expect(await keysUnder(h.s3, bucket, 'archive/')).toEqual([]);
      expect(await keysUnder(h.s3, bucket, 'errors/')).toEqual([]);
      expect(h.sf.org.get(parked?.executionId as string)).toMatchObject({ Status__c: 'Queued' });

      proxy.setRefusing(false); // the next day's limit
      let last: S3ImportHandlerResponse | undefined;
      for (let tries = 0; tries < 10 && last?.batchItemFailures.length !== 0; tries++) {
        last = await handler(event, { getRemainingTimeInMillis: () => 120_000 });
      }
      expect(last?.batchItemFailures).toEqual([]);
      expect(last?.results[0]?.result).toMatchObject({
        status: 'completed',
        summary: { input: 900, failed: sample.bad.size, succeeded: sample.goodIds.size },
      });
      expectExact('LIMIT-', sample);
      expect(await keysUnder(h.s3, bucket, 'archive/')).toHaveLength(1);
      expect(await keysUnder(h.s3, bucket, 'errors/')).toHaveLength(1);
      expect(await keysUnder(h.s3, bucket, '.kicksaw/')).toEqual([]);
      const records = (h.sf.org.records('IntegrationExecution__c') as Array<Record<string, unknown>>).filter((r) =>
        String(r.ExecutionPayload__c ?? '').includes(`s3://${bucket}/limit.csv`),
      );
      expect(records).toHaveLength(1);
      expect(records[0]?.Status__c).toBe('Completed with Errors');
    } finally {
      await proxy.stop();
    }
  });
});

describe('rows whose retries a deadline cut short, early in the file', () => {
  it('are spooled with their records: the next invocation sends them first and reads the file only from past them', async () => {
    const rows = 3 * POSITION_EVERY;
    const sample = sampleContacts(rows, { prefix: 'SPOOLED' });
    // Rows 5-40 meet a lock error on every attempt during the first invocation, so their retries go
    // on until its deadline cuts them short: they are left unsent near the top of the file.
    const { early, unlock } = lockEarlyRows('SPOOLED');
    const file = await watchedFile('spooled.csv', sample.csv, { maxRowsPerJob: 1000, retry: { maxAttempts: 100_000 } });
    const { bucket, options } = file;
    try {
      const first = await importCsv({ ...options, deadline: Date.now() + 4_000 });
      expect(first.status).toBe('pending');
      expect(first.pendingReason).toMatch(/UNABLE_TO_LOCK_ROW|deadline/);
      for (const id of early) expect(contactsWith(id)).toEqual([]);
      // The rows left unsent are parked with their records beside the run's state.
      const spools = (await keysUnder(h.s3, bucket, '.kicksaw/')).filter((key) => key.endsWith('.rows.jsonl'));
      expect(spools).toHaveLength(1);
      const spooled = (await getText(h.s3, bucket, spools[0] as string))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { row: number; record: { External_Id__c: string } });
      for (const id of early) expect(spooled.map((entry) => entry.record.External_Id__c)).toContain(id);
      const mark = file.mark();

      unlock();
      const second = await importCsv(options);
      expect(second.status).toBe('completed');
      expect(second.summary).toMatchObject({ input: rows, succeeded: rows, failed: 0 });
      // Every row in the org exactly once, matched by content (insert: a row sent twice is a second Contact).
      expectExact('SPOOLED-', sample);
      // The takeover never read the file from its top: any pass over it was a ranged GET that starts
      // past a kept position beyond the early rows (none at all when the first invocation read it all).
      for (const get of file.getsSince(mark)) {
        const offset = Number(/^bytes=(\d+)-$/.exec(get.range ?? '')?.[1]);
        expect(offset).toBeGreaterThanOrEqual(offsetAfterRow(sample.csv, POSITION_EVERY));
      }
      expect(await keysUnder(h.s3, bucket, '.kicksaw/')).toEqual([]);
    } finally {
      await file.stop();
    }
  }, 60_000);
});

describe('rows the deadline cuts off before their first job', () => {
  it('are left in the file, not spooled: the next invocation reads them from a kept position and sends each once', async () => {
    const rows = 3 * POSITION_EVERY;
    const sample = sampleContacts(rows, { prefix: 'TAIL' });
    // One job at a time, each held up in the org: the parts read after the first wait for the job slot
    // until the deadline cuts them off (the rows read last, the tail of what was read).
    h.sf.faults.set({ jobProcessingMs: 3_000 });
    const file = await watchedFile('tail.csv', sample.csv, { maxRowsPerJob: 1000, maxConcurrentJobs: 1 });
    const { bucket, options } = file;
    const jobsBefore = new Set(await ingestJobIds(h.connection));
    try {
      const first = await importCsv({ ...options, deadline: Date.now() + 1_500 });
      expect(first.status).toBe('pending');
      // Rows were read and cut off (not only never read): the engine reads ahead of the job slot.
      const state = (await keysUnder(h.s3, bucket, '.kicksaw/')).filter((key) => key.endsWith('.json'));
      expect(state.length).toBeGreaterThan(0);
      // None of them went to a spool: they are read again from the file.
      expect((await keysUnder(h.s3, bucket, '.kicksaw/')).filter((key) => key.endsWith('.rows.jsonl'))).toEqual([]);
      const mark = file.mark();

      h.sf.faults.reset();
      const second = await importCsv(options);
      expect(second.status).toBe('completed');
      expect(second.summary).toMatchObject({ input: rows, succeeded: rows, failed: 0 });
      expectExact('TAIL-', sample);
      // The second invocation read the file (the rows left in it), at most once over.
      expect(file.getsSince(mark)).toHaveLength(1);
      // Salesforce processed each row once: none was sent by both invocations.
      const jobs = (await ingestJobIds(h.connection)).filter((id) => !jobsBefore.has(id));
      expect(await rowsProcessed(h.connection, jobs)).toBe(rows);
      expect(await keysUnder(h.s3, bucket, '.kicksaw/')).toEqual([]);
    } finally {
      await file.stop();
    }
  }, 60_000);
});

describe('rows of a parked job whose retries were cut short', () => {
  it('are sent again from the spool with the record Salesforce echoed: the takeover does not read the file again', async () => {
    const rows = 2_000;
    const sample = sampleContacts(rows, { prefix: 'ECHO' });
    // The whole file goes out in one job, still running in the org when the first invocation's deadline
    // comes; rows 5-40 meet a lock error when it runs. The next invocation collects the job by id.
    const { unlock } = lockEarlyRows('ECHO', { jobProcessingMs: 8_000 });
    const file = await watchedFile('echo.csv', sample.csv, { maxRowsPerJob: 20_000 });
    const { bucket, options } = file;
    try {
      const first = await importCsv({ ...options, deadline: Date.now() + 5_000 });
      expect(first.status).toBe('pending');
      expect(first.pendingReason).toBe('deadline reached');
      expect(first.pendingJobs).toHaveLength(1);
      // The job ends in the org (its lock errors drawn), then the locks are gone.
      const jobUrl = `/services/data/v${h.connection.version}/jobs/ingest/${first.pendingJobs?.[0]}`;
      while (((await h.connection.request(jobUrl)) as { state: string }).state !== 'JobComplete') {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      unlock();
      const mark = file.mark();

      const second = await importCsv(options);
      expect(second.status).toBe('completed');
      expect(second.summary).toMatchObject({ input: rows, succeeded: rows, failed: 0 });
      expectExact('ECHO-', sample);
      // The rows to retry came from the spool: the file was not read again.
      expect(file.getsSince(mark)).toEqual([]);
      expect(await keysUnder(h.s3, bucket, '.kicksaw/')).toEqual([]);
    } finally {
      await file.stop();
    }
  }, 60_000);
});

describe('a takeover with parked jobs', () => {
  it('sends the rows never sent while it collects the parked jobs, and sends no row twice', async () => {
    const bucket = await h.s3.createBucket();
    const sample = sampleContacts(1000, { prefix: 'BESIDE' });
    await putText(h.s3, bucket, 'beside.csv', sample.csv);
    const jobsBefore = new Set(await ingestJobIds(h.connection));
    const tuning = { ...ingestTuning, maxRowsPerJob: 200, maxConcurrentJobs: 1 };
    const options = {
      s3Client: h.s3.client,
      connection: h.connection,
      bucket,
      key: 'beside.csv',
      object: 'Contact',
      operation: 'insert' as const,
      mapping: MAPPING,
    };
    // The takeover's reads of the parked jobs are held until it creates a job of its own (or 10 s passed).
    let parkedJobs: string[] = [];
    const org = await startHoldingProxy(h.sf.instanceUrl, {
      shouldHold: (method, path) => method === 'GET' && parkedJobs.some((id) => path.includes(`/jobs/ingest/${id}`)),
      releaseOn: (method, path) => method === 'POST' && /\/jobs\/ingest\/?$/.test(path),
      fallbackMs: 10_000,
    });
    try {
      // The first invocation: once a job is up, the Bulk API answers 503 (job status and new jobs alike),
      // so the run parks with that job running and the other rows never sent.
      const first = await importCsv({
        ...options,
        ingest: {
          ...tuning,
          onProgress: (progress: { rowsUploaded: number }) => {
            if (progress.rowsUploaded > 0 && !h.sf.faults.current().httpErrors) {
              h.sf.faults.set({ httpErrors: { status: 503, rate: 1, match: /jobs\/ingest(\/\w+)?$/ } });
            }
          },
        },
      });
      h.sf.faults.reset();
      expect(first.status).toBe('pending');
      expect(first.pendingJobs?.length).toBeGreaterThan(0);
      expect(first.unsentRows ?? sample.goodIds.size).toBeGreaterThan(0);
      parkedJobs = first.pendingJobs ?? [];

      const connection = new Connection({
        instanceUrl: org.instanceUrl,
        accessToken: h.sf.accessToken,
        version: h.sf.apiVersion,
      });
      const second = await importCsv({ ...options, connection, ingest: tuning });
      expect(second.status).toBe('completed');
      expect(org.held()).toBeGreaterThan(0);
      // A job of the rows never sent was created while the parked jobs were still being collected.
      expect(org.releasedBy()).toBe('request');
      expectExact('BESIDE-', sample);
      // Salesforce processed each row once: neither stream sent a row of the other.
      const jobs = (await ingestJobIds(h.connection)).filter((id) => !jobsBefore.has(id));
      expect(await rowsProcessed(h.connection, jobs)).toBe(1000);
    } finally {
      await org.stop();
    }
  });
});
