import type { RowOutcome } from '@kicksaw/core';
import type { SalesforceEmulator } from '@kicksaw/sf-emulator';
import { afterEach, describe, expect, it } from 'vitest';
import { ingest, ingestAll, type PendingJob, pendingJobRows } from '../src/index.js';
import { bulkItems, loginConnection, startOrg } from './helpers.js';

let sf: SalesforceEmulator | undefined;
afterEach(async () => {
  await sf?.stop();
  sf = undefined;
});

function items(n: number, prefix: string) {
  return Array.from({ length: n }, (_, i) => ({ Name: `${prefix}-${i + 1}`, Required__c: 'r', Qty__c: i % 50 }));
}

/**
 * A promise that resolves with true when `open()` is called, or with false after `ms` (only a build that never
 * calls it waits that long: the fallback keeps such a build from hanging, so that the test fails on an assertion).
 */
function gate(ms: number): { opened: Promise<boolean>; open(): void } {
  let open: (value: boolean) => void = () => {};
  const opened = new Promise<boolean>((resolve) => {
    open = resolve;
    setTimeout(() => resolve(false), ms).unref();
  });
  return { opened, open: () => open(true) };
}

/** Every row once, on its own outcome, succeeded, and the org holds each once. */
function expectAllHeldOnce(outcomes: RowOutcome[], n: number, prefix: string, org: SalesforceEmulator['org']) {
  expect(outcomes).toHaveLength(n);
  expect(new Set(outcomes.map((o) => o.row)).size).toBe(n);
  for (const o of outcomes) expect(o).toMatchObject({ status: 'succeeded', record: { Name: `${prefix}-${o.row}` } });
  const held = org.records('Item__c').filter((r) => String(r.Name).startsWith(`${prefix}-`));
  expect(held).toHaveLength(n);
  expect(new Set(held.map((r) => r.Name)).size).toBe(n);
}

describe('jobs in flight', () => {
  it("sends a finished job's lock-failed rows again while another job of the run is still open", async () => {
    // Rows 1-300 are job 1, rows 301-600 job 2. Every tenth row of job 1 fails with UNABLE_TO_LOCK_ROW on its
    // first attempt; job 2 is held before it is closed until the retry job of job 1's rows is uploaded.
    const failedOnce = new Set<string>();
    sf = await startOrg({
      faults: {
        rowErrors: [
          {
            statusCode: 'UNABLE_TO_LOCK_ROW',
            when: (record) => {
              const name = String(record.Name);
              const row = Number(name.split('-')[1]);
              if (row > 300 || row % 10 !== 0 || failedOnce.has(name)) return false;
              failedOnce.add(name);
              return true;
            },
          },
        ],
      },
    });
    const conn = await loginConnection(sf);
    const retryUploaded = gate(10_000);
    const events: string[] = [];
    const uploads: PendingJob[] = [];
    const { outcomes, summary } = await ingestAll(
      bulkItems(conn, items(600, 'early'), {
        maxRowsPerJob: 300,
        maxConcurrentJobs: 2,
        onJobUploaded: async (job) => {
          uploads.push(job);
          const rows = [...pendingJobRows(job)];
          if (rows.some((row) => row > 300)) {
            events.push('job 2 uploaded, held');
            const byRetry = await retryUploaded.opened;
            events.push(byRetry ? 'job 2 released by the retry job' : 'job 2 released by the fallback');
          } else if (uploads.filter((u) => [...pendingJobRows(u)].every((row) => row <= 300)).length === 2) {
            events.push(`retry job uploaded (${rows.length} rows)`);
            retryUploaded.open();
          }
        },
      }),
    );
    // The retry job went out while job 2 was still open (never closed, so not processed), not after it.
    expect(events).toEqual(['job 2 uploaded, held', 'retry job uploaded (30 rows)', 'job 2 released by the retry job']);
    expect(summary).toMatchObject({ input: 600, succeeded: 600, jobs: 3, retried: 30 });
    const retryJob = uploads.filter((u) => [...pendingJobRows(u)].every((row) => row <= 300))[1] as PendingJob;
    const retried = outcomes.filter((o) => (o.attempts ?? 1) > 1);
    expect(retried.map((o) => o.row).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => (i + 1) * 10));
    for (const o of retried) expect(o).toMatchObject({ attempts: 2, jobId: retryJob.jobId });
    expect([...pendingJobRows(retryJob)].sort((a, b) => a - b)).toEqual(
      retried.map((o) => o.row).sort((a, b) => a - b),
    );
    expectAllHeldOnce(outcomes, 600, 'early', sf.org);
  });

  it('starts the next job once Salesforce has ended one, while the results of that one are still being read', async () => {
    // One job at a time; the caller takes no outcome until the second job exists. Job 1's results fill the
    // outcome queue (and so stay unread) while it waits: the next job must not wait for them.
    sf = await startOrg();
    const conn = await loginConnection(sf);
    const secondJob = gate(10_000);
    const created: string[] = [];
    const run = ingest(
      bulkItems(conn, items(4_000, 'slot'), {
        maxRowsPerJob: 2_000,
        maxConcurrentJobs: 1,
        logger: {
          debug: (message, context) => {
            if (message !== 'Bulk API job created') return;
            created.push(String(context?.jobId));
            if (created.length === 2) secondJob.open();
          },
          info: () => {},
          warn: () => {},
          error: () => {},
        },
      }),
    );
    const iterator = run[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    // Job 1 ended (its first outcome is out) and its 2,000 outcomes are more than the queue holds.
    expect(await secondJob.opened).toBe(true);
    const outcomes: RowOutcome[] = [first.value as RowOutcome];
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) outcomes.push(next.value);
    expect(await run.summary()).toMatchObject({ input: 4000, succeeded: 4000, jobs: 2 });
    expect(new Set(outcomes.map((o) => o.jobId))).toEqual(new Set(created));
    expectAllHeldOnce(outcomes, 4_000, 'slot', sf.org);
  });
});
