import { type RowOutcome, silentLogger } from '@kicksaw/core';
import type { SalesforceEmulator } from '@kicksaw/sf-emulator';
import { afterEach, describe, expect, it } from 'vitest';
import { type IngestOptions, ingest, type PendingJob, pendingJobRows, resume } from '../src/index.js';
import { bulkItems, FAST, loginConnection, startOrg } from './helpers.js';

let sf: SalesforceEmulator | undefined;
afterEach(async () => {
  await sf?.stop();
  sf = undefined;
});

function items(n: number, prefix: string) {
  return Array.from({ length: n }, (_, i) => ({ Name: `${prefix}-${i + 1}`, Required__c: 'r' }));
}

const base = (conn: IngestOptions['connection'], records: IngestOptions['records']): IngestOptions =>
  bulkItems(conn, records, { maxRowsPerJob: 500 });

function held(prefix: string): number {
  return (sf as SalesforceEmulator).org.records('Item__c').filter((r) => String(r.Name).startsWith(`${prefix}-`))
    .length;
}

describe('job checkpoints (onJobUploaded)', () => {
  it('hands every job over before it is closed; a failed checkpoint aborts the job and its rows come out unsent', async () => {
    sf = await startOrg();
    const conn = await loginConnection(sf);
    const checkpoints: PendingJob[] = [];
    let calls = 0;
    const run = ingest({
      ...base(conn, items(2_000, 'ck')),
      onJobUploaded: (job) => {
        calls += 1;
        if (calls === 2) throw new Error('disk full');
        checkpoints.push(JSON.parse(JSON.stringify(job)));
      },
    });
    const outcomes: RowOutcome[] = [];
    for await (const outcome of run) outcomes.push(outcome);
    const summary = await run.summary();
    expect(summary).toMatchObject({ input: 2000, succeeded: 1500, unprocessed: 500, pending: 0 });
    expect(checkpoints).toHaveLength(3);
    const unsent = outcomes.filter((o) => o.status === 'unprocessed');
    expect(new Set(unsent.map((o) => o.errors[0]?.statusCode))).toEqual(new Set(['KICKSAW_JOB_NOT_STARTED']));
    expect(unsent.every((o) => o.record.Name === `ck-${o.row}`)).toBe(true);
    // The checkpoints name exactly the rows that were sent, which are exactly the rows the org holds.
    const sentRows = checkpoints.flatMap((job) => [...pendingJobRows(job)]);
    expect(sentRows.sort((a, b) => a - b)).toEqual(
      outcomes
        .filter((o) => o.status === 'succeeded')
        .map((o) => o.row)
        .sort((a, b) => a - b),
    );
    expect(held('ck')).toBe(1500);
  });

  it('resume({ abortOpenJobs }) aborts a checkpointed job its uploader never closed: its rows are reported unsent, none loaded', async () => {
    sf = await startOrg();
    const conn = await loginConnection(sf);
    let saved: PendingJob | undefined;
    // The uploader "dies" after its checkpoint: the hook never returns, so the job is never closed.
    const run = ingest({
      ...base(conn, items(300, 'open')),
      onJobUploaded: (job) => {
        saved = JSON.parse(JSON.stringify(job));
        return new Promise<void>(() => undefined);
      },
    });
    const iterator = run[Symbol.asyncIterator]();
    void iterator.next();
    while (!saved) await new Promise((resolve) => setTimeout(resolve, 5));
    const later = resume({ connection: conn, jobs: [saved], abortOpenJobs: true, ...FAST });
    const outcomes: RowOutcome[] = [];
    for await (const outcome of later) outcomes.push(outcome);
    expect(await later.summary()).toMatchObject({ input: 300, unprocessed: 300, pending: 0 });
    expect(outcomes.every((o) => o.errors[0]?.statusCode === 'KICKSAW_JOB_NOT_STARTED')).toBe(true);
    expect(new Set(outcomes.map((o) => o.row)).size).toBe(300);
    expect(held('open')).toBe(0);
  });
});

describe('a close whose answer is lost', () => {
  it('keeps the job for resume when its state cannot be read either (never aborted blind)', async () => {
    sf = await startOrg();
    const conn = await loginConnection(sf);
    const run = ingest({
      ...base(conn, items(400, 'blind')),
      http: { maxRetries: 1, retryDelayMs: 1 },
      // Right before the close, the job's own URL stops answering: the close and the status read both fail.
      onJobUploaded: () => {
        sf?.faults.set({ httpErrors: { status: 503, rate: 1, match: /jobs\/ingest\/[^/]+$/ } });
      },
    });
    const outcomes: RowOutcome[] = [];
    for await (const outcome of run) outcomes.push(outcome);
    const summary = await run.summary();
    expect(outcomes).toHaveLength(0);
    expect(summary).toMatchObject({ input: 0, pending: 400 });
    sf.faults.reset();
    // The close never landed: resume finds the job Open and, told that nobody owns it, aborts it.
    const later = resume({ connection: conn, jobs: run.pendingJobStates(), abortOpenJobs: true, ...FAST });
    for await (const outcome of later) outcomes.push(outcome);
    expect(outcomes).toHaveLength(400);
    expect(outcomes.every((o) => o.errors[0]?.statusCode === 'KICKSAW_JOB_NOT_STARTED')).toBe(true);
    expect(held('blind')).toBe(0);
  });
});

describe('a failed poll without a deadline', () => {
  it('counts the rows of jobs left running as pending with the job ids, says why, and resume() settles them', async () => {
    sf = await startOrg({ faults: { jobProcessingMs: 200 } });
    const conn = await loginConnection(sf);
    const logged: Array<{ message: string; context?: Record<string, unknown> }> = [];
    const logger = {
      ...silentLogger,
      info: (message: string, context?: Record<string, unknown>) =>
        logged.push({ message, ...(context ? { context } : {}) }),
      warn: (message: string, context?: Record<string, unknown>) =>
        logged.push({ message, ...(context ? { context } : {}) }),
      error: (message: string, context?: Record<string, unknown>) =>
        logged.push({ message, ...(context ? { context } : {}) }),
    };
    let broken = false;
    const run = ingest({
      ...base(conn, items(1_000, 'poll')),
      maxRowsPerJob: 1_000,
      http: { maxRetries: 1, retryDelayMs: 1 },
      logger,
      // Once the job is closed, its status can no longer be read (an API outage past the retry budget).
      onProgress: (progress) => {
        if (!broken && progress.rowsUploaded > 0) {
          broken = true;
          sf?.faults.set({ jobProcessingMs: 200, httpErrors: { status: 503, rate: 1, match: /jobs\/ingest\/[^/]+$/ } });
        }
      },
    });
    const outcomes: RowOutcome[] = [];
    for await (const outcome of run) outcomes.push(outcome);
    const summary = await run.summary();
    expect(outcomes).toHaveLength(0);
    expect(summary).toMatchObject({ input: 0, pending: 1000 });
    expect(summary.pendingJobIds).toEqual(run.pendingJobs());
    expect(summary.pendingJobIds).toHaveLength(1);
    expect(logged.some((line) => /Deadline reached/.test(line.message))).toBe(false);
    expect(logged.some((line) => /Polling a job failed/.test(line.message))).toBe(true);
    expect(logged.find((line) => /Jobs left running/.test(line.message))?.context).toMatchObject({
      rows: 1000,
      reasons: [expect.stringMatching(/^polling failed/)],
    });
    sf.faults.reset();
    const later = resume({ connection: conn, jobs: run.pendingJobStates(), ...FAST });
    for await (const outcome of later) outcomes.push(outcome);
    expect(outcomes.filter((o) => o.status === 'succeeded')).toHaveLength(1000);
    expect(held('poll')).toBe(1000);
  });
});
