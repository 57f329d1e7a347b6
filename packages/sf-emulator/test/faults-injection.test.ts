import { Connection } from 'jsforce';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SalesforceEmulator } from '../src/index.js';
import { api, connect, csvRows, raw, startEmulator, waitForJob } from './http-support.js';

let sf: SalesforceEmulator;
beforeAll(async () => {
  sf = await startEmulator();
});
afterEach(() => {
  sf.faults.reset();
});
afterAll(async () => {
  await sf.stop();
});

/**
 * Runs `test` against an emulator of its own whose sessions expire after 2 requests, with a jsforce connection
 * logged in by password (so it can refresh) and the number of its refreshes so far; stops the emulator after.
 */
async function withExpiringSessions(
  test: (own: SalesforceEmulator, conn: Connection, refreshes: () => number) => Promise<void>,
): Promise<void> {
  const own = await startEmulator({ faults: { sessionExpiry: { afterRequests: 2 } } });
  try {
    const conn = new Connection({ loginUrl: own.loginUrl, version: own.apiVersion });
    await conn.login(own.username, own.password);
    let refreshes = 0;
    conn.on('refresh', () => refreshes++);
    await test(own, conn, () => refreshes);
  } finally {
    await own.stop();
  }
}

async function ingest(target: SalesforceEmulator, csv: string, operation = 'insert') {
  const job = (
    await raw(target, 'POST', api(target, '/jobs/ingest'), {
      body: JSON.stringify({ object: 'Widget__c', operation }),
    })
  ).json() as { id: string };
  await raw(target, 'PUT', api(target, `/jobs/ingest/${job.id}/batches`), { body: csv, type: 'text/csv' });
  await raw(target, 'PATCH', api(target, `/jobs/ingest/${job.id}`), { body: '{"state":"UploadComplete"}' });
  return job.id;
}

const rows = (n: number, prefix: string) =>
  `ExtId__c,Code__c\n${Array.from({ length: n }, (_, i) => `${prefix}-${i},C`).join('\n')}\n`;

describe('fault injection', () => {
  it('fails rows by rate, repeatably for a seed, in Bulk ingest', async () => {
    const failedSet = async (prefix: string) => {
      sf.faults.set({ seed: 7, rowErrors: [{ statusCode: 'UNABLE_TO_LOCK_ROW', rate: 0.3 }] });
      const id = await ingest(sf, rows(200, prefix));
      const info = await waitForJob(sf, 'ingest', id);
      const failed = csvRows((await raw(sf, 'GET', api(sf, `/jobs/ingest/${id}/failedResults`))).text).slice(1);
      expect(info.numberRecordsFailed).toBe(failed.length);
      for (const row of failed) {
        expect(row[1]).toBe('UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record or 1 records: --');
      }
      return failed.map((row) => Number(row[2]?.split('-')[1])).sort((a, b) => a - b);
    };
    const first = await failedSet('R');
    expect(first.length).toBeGreaterThan(30);
    expect(first.length).toBeLessThan(90);
    expect(await failedSet('S')).toEqual(first);
  });

  it('fails rows chosen by a predicate in REST collections, only for the named objects', async () => {
    sf.faults.set({
      rowErrors: [
        {
          statusCode: 'UNABLE_TO_LOCK_ROW',
          when: (record) => String(record.Name).startsWith('lock'),
          objects: ['account'],
        },
      ],
    });
    const conn = connect(sf);
    const results = await conn.sobject('Account').create([{ Name: 'lock me' }, { Name: 'fine' }], { allOrNone: false });
    expect(results.map((r) => r.success)).toEqual([false, true]);
    const widget = await conn.sobject('Widget__c').create({ Name: 'lock widget', Code__c: 'W' });
    expect(widget.success).toBe(true);
  });

  it('answers HTTP errors by rate on matching paths only', async () => {
    sf.faults.set({ httpErrors: { status: 503, rate: 1, match: /\/limits$/ } });
    const failing = await raw(sf, 'GET', api(sf, '/limits'));
    expect(failing.status).toBe(503);
    expect((failing.json() as Array<{ errorCode: string }>)[0]?.errorCode).toBe('SERVER_UNAVAILABLE');
    expect((await raw(sf, 'GET', api(sf, '/sobjects'))).status).toBe(200);
    sf.faults.set({ httpErrors: { status: 500, rate: 1 } });
    expect((await raw(sf, 'GET', api(sf, '/sobjects'))).status).toBe(500);
  });

  it('drops connections without an answer', async () => {
    sf.faults.set({ dropConnectionRate: 1 });
    await expect(raw(sf, 'GET', api(sf, '/limits'))).rejects.toThrow();
    sf.faults.reset();
    expect((await raw(sf, 'GET', api(sf, '/limits'))).status).toBe(200);
  });

  it('adds latency', async () => {
    sf.faults.set({ latencyMs: 120 });
    expect(sf.faults.current()).toEqual({ latencyMs: 120 });
    const started = performance.now();
    await raw(sf, 'GET', api(sf, '/limits'));
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
  });

  it('expires sessions after N requests; jsforce with a password login refreshes and carries on', async () => {
    await withExpiringSessions(async (own, conn, refreshes) => {
      for (let i = 0; i < 5; i++) {
        expect((await conn.query('SELECT Id FROM User')).totalSize).toBeGreaterThan(0);
      }
      expect(refreshes()).toBeGreaterThanOrEqual(2);
      const plain = await raw(own, 'GET', api(own, '/limits'));
      const again = await raw(own, 'GET', api(own, '/limits'));
      const third = await raw(own, 'GET', api(own, '/limits'));
      expect([plain.status, again.status, third.status]).toEqual([200, 200, 401]);
      expect(third.json()).toEqual([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    });
  });

  it('expires sessions during a Bulk 2.0 load; jsforce refreshes on 401 INVALID_SESSION_ID and finishes', async () => {
    await withExpiringSessions(async (own, conn, refreshes) => {
      const results = await conn.bulk2.loadAndWaitForResults({
        object: 'Widget__c',
        operation: 'insert',
        input: 'Code__c\nA\nB\n',
        pollInterval: 10,
        pollTimeout: 10_000,
      });
      expect(results.successfulResults).toHaveLength(2);
      expect(refreshes()).toBeGreaterThanOrEqual(1);
      expect(own.org.records('Widget__c')).toHaveLength(2);
    });
  });

  it('expires sessions after T seconds', async () => {
    const own = await startEmulator({ faults: { sessionExpiry: { afterSeconds: 0.05 } } });
    try {
      await new Promise((resolve) => setTimeout(resolve, 80));
      expect((await raw(own, 'GET', api(own, '/limits'))).status).toBe(401);
    } finally {
      await own.stop();
    }
  });

  it('fails an ingest job part-way: some rows committed, the rest unprocessed', async () => {
    sf.faults.set({ failIngestJobAfterRows: 10 });
    const before = sf.org.records('Widget__c').length;
    const id = await ingest(sf, rows(25, 'F'));
    const info = await waitForJob(sf, 'ingest', id);
    expect(info).toMatchObject({ state: 'Failed', numberRecordsProcessed: 10, numberRecordsFailed: 0 });
    expect(String(info.errorMessage)).toMatch(/after 10 records/);
    expect(sf.org.records('Widget__c').length).toBe(before + 10);
    const success = csvRows((await raw(sf, 'GET', api(sf, `/jobs/ingest/${id}/successfulResults`))).text).slice(1);
    const unprocessed = csvRows((await raw(sf, 'GET', api(sf, `/jobs/ingest/${id}/unprocessedrecords`))).text);
    expect(success).toHaveLength(10);
    expect(unprocessed[0]).toEqual(['ExtId__c', 'Code__c']);
    expect(unprocessed.slice(1)).toHaveLength(15);
  });

  it('keeps jobs InProgress for jobProcessingMs, and an abort then leaves every row unprocessed', async () => {
    sf.faults.set({ jobProcessingMs: 5_000 });
    const id = await ingest(sf, rows(5, 'P'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const info = (await raw(sf, 'GET', api(sf, `/jobs/ingest/${id}`))).json() as { state: string };
    expect(info.state).toBe('InProgress');
    const aborted = await raw(sf, 'PATCH', api(sf, `/jobs/ingest/${id}`), { body: '{"state":"Aborted"}' });
    expect(aborted.json()).toMatchObject({ state: 'Aborted' });
    expect(sf.org.records('Widget__c').some((w) => String(w.ExtId__c).startsWith('P-'))).toBe(false);
  });

  it('enforces a daily API request limit with 403 REQUEST_LIMIT_EXCEEDED', async () => {
    const own = await startEmulator({ faults: { dailyApiRequestLimit: 2 } });
    try {
      expect((await raw(own, 'GET', api(own, '/limits'))).status).toBe(200);
      const limits = (await raw(own, 'GET', api(own, '/limits'))).json() as {
        DailyApiRequests: { Max: number; Remaining: number };
      };
      expect(limits.DailyApiRequests).toEqual({ Max: 2, Remaining: 0 });
      const over = await raw(own, 'GET', api(own, '/limits'));
      expect(over.status).toBe(403);
      expect(over.json()).toEqual([{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
    } finally {
      await own.stop();
    }
  });
});
