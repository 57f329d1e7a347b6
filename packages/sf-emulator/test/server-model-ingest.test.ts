// The server model: Bulk ingest batches take a drawn time on a pool of the org's workers. Behaviour only (states,
// every row processed exactly once, the pool's bound, abort and stop): no timing is asserted, and the batch times
// are a few milliseconds except where a test needs batches to stay in process (then it ends them by abort or stop).
import { describe, expect, it } from 'vitest';
import { parseServerModel } from '../src/cli-args.js';
import type { SalesforceEmulator } from '../src/index.js';
import { api, csvRows, raw, startEmulator, waitForJob } from './http-support.js';

const rowsCsv = (prefix: string, count: number) =>
  `Name,Code__c,ExtId__c,Amount__c\n${Array.from({ length: count }, (_, i) => `${prefix} ${i},C,${prefix}-${i},${i % 1000}`).join('\n')}\n`;

async function openJob(sf: SalesforceEmulator, csv: string): Promise<string> {
  const created = await raw(sf, 'POST', api(sf, '/jobs/ingest'), {
    body: JSON.stringify({ object: 'Widget__c', operation: 'insert', lineEnding: 'LF' }),
  });
  const id = (created.json() as { id: string }).id;
  const put = await raw(sf, 'PUT', api(sf, `/jobs/ingest/${id}/batches`), { body: csv, type: 'text/csv' });
  expect(put.status).toBe(201);
  return id;
}

async function close(sf: SalesforceEmulator, id: string, state = 'UploadComplete') {
  const response = await raw(sf, 'PATCH', api(sf, `/jobs/ingest/${id}`), { body: JSON.stringify({ state }) });
  expect(response.status).toBe(200);
}

async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 4000; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('condition not reached');
}

const jobInfo = async (sf: SalesforceEmulator, id: string) =>
  (await raw(sf, 'GET', api(sf, `/jobs/ingest/${id}`))).json() as Record<string, unknown>;

describe('server model', () => {
  it('processes every row of several jobs exactly once, results in input order, within the pool bound', async () => {
    const sf = await startEmulator({ serverModel: { batchMs: { min: 1, max: 15 }, concurrency: 3 } });
    try {
      const sizes = [20_500, 10_000, 15_000];
      const ids: string[] = [];
      for (const [index, size] of sizes.entries()) ids.push(await openJob(sf, rowsCsv(`J${index}`, size)));
      for (const id of ids) await close(sf, id);
      for (const [index, id] of ids.entries()) {
        const final = await waitForJob(sf, 'ingest', id);
        expect(final).toMatchObject({
          state: 'JobComplete',
          numberRecordsProcessed: sizes[index],
          numberRecordsFailed: 0,
        });
        const success = csvRows((await raw(sf, 'GET', api(sf, `/jobs/ingest/${id}/successfulResults`))).text);
        // resultOrder 'input' (the test helper's): batches finish in any order, results come back in input order.
        expect(success.slice(1).map((row) => row[4])).toEqual(
          Array.from({ length: sizes[index]! }, (_, i) => `J${index}-${i}`),
        );
        const ids18 = new Set(success.slice(1).map((row) => row[0]));
        expect(ids18.size).toBe(sizes[index]);
      }
      expect(sf.org.records('Widget__c')).toHaveLength(45_500);
      const stats = sf.bulkStats();
      expect(stats.internalBatches).toBe(3 + 1 + 2);
      expect(stats.peakConcurrentBatches).toBeGreaterThanOrEqual(1);
      expect(stats.peakConcurrentBatches).toBeLessThanOrEqual(3);
    } finally {
      await sf.stop();
    }
  });

  it('keeps batches in process (InProgress, nothing applied) up to the concurrency, the rest queued', async () => {
    const sf = await startEmulator({ serverModel: { batchMs: 600_000, concurrency: 2 } });
    try {
      const id = await openJob(sf, rowsCsv('Q', 45_000));
      await close(sf, id);
      await until(() => sf.bulkStats().peakConcurrentBatches === 2);
      const info = await jobInfo(sf, id);
      expect(info).toMatchObject({ state: 'InProgress', numberRecordsProcessed: 0 });
      expect(sf.org.records('Widget__c')).toHaveLength(0);
      expect(sf.bulkStats().peakConcurrentBatches).toBe(2); // the other three batches wait for a worker
      // Abort: batches in process and queued give up; every row is reported unprocessed, none applied.
      await close(sf, id, 'Aborted');
      await until(async () => {
        const rows = csvRows((await raw(sf, 'GET', api(sf, `/jobs/ingest/${id}/unprocessedrecords`))).text);
        return rows.length === 45_001;
      });
      const unprocessed = csvRows((await raw(sf, 'GET', api(sf, `/jobs/ingest/${id}/unprocessedrecords`))).text);
      expect(new Set(unprocessed.slice(1).map((row) => row[2])).size).toBe(45_000);
      expect(await jobInfo(sf, id)).toMatchObject({ state: 'Aborted', numberRecordsProcessed: 0 });
      expect(sf.org.records('Widget__c')).toHaveLength(0);
      // The pool is free again: a new job runs (its batch time is long, so it ends by stop below).
      const next = await openJob(sf, rowsCsv('N', 5));
      await close(sf, next);
      await until(async () => (await jobInfo(sf, next)).state === 'InProgress');
    } finally {
      await sf.stop(); // stop ends the waits: the last job's rows are applied before the org is left
    }
    expect(sf.org.records('Widget__c').map((record) => record.Name)).toEqual(['N 0', 'N 1', 'N 2', 'N 3', 'N 4']);
  });

  it('takes its settings from --batch-time and --batch-concurrency, and refuses bad ones', async () => {
    expect(parseServerModel('2000-8000', '4')).toEqual({ batchMs: { min: 2000, max: 8000 }, concurrency: 4 });
    expect(parseServerModel('500', undefined)).toEqual({ batchMs: 500 });
    expect(parseServerModel(undefined, undefined)).toBeUndefined();
    expect(() => parseServerModel('9-3', undefined)).toThrow(/MIN-MAX/);
    expect(() => parseServerModel('fast', undefined)).toThrow(/--batch-time/);
    expect(() => parseServerModel('10', '0')).toThrow(/--batch-concurrency/);
    expect(() => parseServerModel(undefined, '3')).toThrow(/needs --batch-time/);
    await expect(startEmulator({ serverModel: { batchMs: { min: 5, max: 1 } } })).rejects.toThrow(/serverModel/);
  });
});
