import { type RowOutcome, silentLogger } from '@kicksaw/core';
import type { SalesforceEmulator } from '@kicksaw/sf-emulator';
import { afterEach, describe, expect, it } from 'vitest';
import { type IngestOptions, ingest, ingestAll, resume } from '../src/index.js';
import { bulkItems, FAST, loginConnection, startOrg } from './helpers.js';

let sf: SalesforceEmulator | undefined;
afterEach(async () => {
  await sf?.stop();
  sf = undefined;
});

function items(n: number, prefix: string) {
  return Array.from({ length: n }, (_, i) => ({
    Name: `${prefix}-${i + 1}`,
    Ext__c: `${prefix.toUpperCase()}-${i + 1}`,
    Required__c: 'r',
    Qty__c: i % 50,
  }));
}

/** Zero rows lost, each outcome on its own row, and what succeeded is what the org holds. */
function expectAccountedAndHeld(outcomes: RowOutcome[], n: number, prefix: string, org: SalesforceEmulator['org']) {
  expect(outcomes).toHaveLength(n);
  expect(new Set(outcomes.map((o) => o.row)).size).toBe(n);
  for (const o of outcomes) expect(o.record.Name).toBe(`${prefix}-${o.row}`);
  const held = org.records('Item__c').filter((r) => String(r.Name).startsWith(`${prefix}-`));
  const succeeded = outcomes.filter((o) => o.status === 'succeeded');
  expect(held).toHaveLength(succeeded.length);
  const byId = new Map(held.map((r) => [r.Id, r]));
  for (const o of succeeded) expect(byId.get(o.id as string)?.Name).toBe(`${prefix}-${o.row}`);
}

const base = (conn: IngestOptions['connection'], records: IngestOptions['records']): IngestOptions =>
  bulkItems(conn, records, { maxRowsPerJob: 1_000 });

describe('faults', () => {
  it('retries rows failed with UNABLE_TO_LOCK_ROW (2%) until they succeed', async () => {
    sf = await startOrg({ faults: { rowErrors: [{ statusCode: 'UNABLE_TO_LOCK_ROW', rate: 0.02 }] } });
    const conn = await loginConnection(sf);
    const { outcomes, summary } = await ingestAll({
      ...base(conn, items(5_000, 'lock')),
      retry: { maxAttempts: 5, sortBy: 'Qty__c' },
    });
    expect(summary).toMatchObject({ input: 5000, succeeded: 5000, failed: 0, unprocessed: 0 });
    const retried = outcomes.filter((o) => (o.attempts ?? 0) > 1);
    expect(retried.length).toBeGreaterThan(50);
    expect(summary.retried).toBeGreaterThanOrEqual(retried.length);
    expectAccountedAndHeld(outcomes, 5000, 'lock', sf.org);
  });

  it('sends retries mid-run once they fill a job, even with one job in flight', async () => {
    sf = await startOrg({ faults: { rowErrors: [{ statusCode: 'UNABLE_TO_LOCK_ROW', rate: 0.1 }] } });
    const conn = await loginConnection(sf);
    const { outcomes, summary } = await ingestAll({
      ...base(conn, items(4_000, 'midrun')),
      maxRowsPerJob: 200,
      maxConcurrentJobs: 1,
      retry: { maxAttempts: 6 },
    });
    expect(summary).toMatchObject({ input: 4000, succeeded: 4000 });
    expect(summary.jobs).toBeGreaterThan(22);
    expectAccountedAndHeld(outcomes, 4000, 'midrun', sf.org);
  });

  it('settles rows as failed with their attempts when retries run out', async () => {
    sf = await startOrg({
      faults: { rowErrors: [{ statusCode: 'UNABLE_TO_LOCK_ROW', when: (r) => String(r.Name).endsWith('7') }] },
    });
    const conn = await loginConnection(sf);
    const { outcomes, summary } = await ingestAll({ ...base(conn, items(300, 'stuck')), retry: { maxAttempts: 3 } });
    expect(summary).toMatchObject({ input: 300, succeeded: 270, failed: 30 });
    for (const o of outcomes.filter((x) => x.status === 'failed')) {
      expect(o).toMatchObject({ attempts: 3, errors: [{ statusCode: 'UNABLE_TO_LOCK_ROW' }] });
    }
    expectAccountedAndHeld(outcomes, 300, 'stuck', sf.org);
  });

  it('loses nothing with 5% HTTP 503 and 3% dropped connections', async () => {
    sf = await startOrg({ faults: { httpErrors: { status: 503, rate: 0.05 }, dropConnectionRate: 0.03, seed: 7 } });
    const conn = await loginConnection(sf);
    const retries: string[] = [];
    const logger = { ...silentLogger, debug: (message: string) => retries.push(message) };
    const { outcomes, summary } = await ingestAll({
      ...base(conn, items(6_000, 'flaky')),
      maxConcurrentJobs: 3,
      logger,
    });
    expect(retries.filter((m) => m.includes('transient status')).length).toBeGreaterThan(0);
    expect(retries.filter((m) => m.includes('on the network')).length).toBeGreaterThan(0);
    expect(summary).toMatchObject({ input: 6000, succeeded: 6000, failed: 0, unprocessed: 0, unmatchedResults: 0 });
    expectAccountedAndHeld(outcomes, 6000, 'flaky', sf.org);
  });

  it('renews expired sessions mid-run through jsforce', async () => {
    sf = await startOrg({ faults: { sessionExpiry: { afterRequests: 25 } } });
    const conn = await loginConnection(sf);
    const firstToken = conn.accessToken;
    const { outcomes, summary } = await ingestAll({ ...base(conn, items(8_000, 'expiry')), maxRowsPerJob: 500 });
    expect(summary).toMatchObject({ input: 8000, succeeded: 8000 });
    expect(conn.accessToken).not.toBe(firstToken);
    expectAccountedAndHeld(outcomes, 8000, 'expiry', sf.org);
  });

  it('reports rows of a job that Failed part-way as unprocessed, and can retry them', async () => {
    sf = await startOrg({ faults: { failIngestJobAfterRows: 1_500 } });
    const conn = await loginConnection(sf);
    const { outcomes, summary } = await ingestAll({ ...base(conn, items(4_000, 'broken')), maxRowsPerJob: 4_000 });
    expect(summary).toMatchObject({ input: 4000, succeeded: 1500, unprocessed: 2500 });
    const un = outcomes.find((o) => o.status === 'unprocessed');
    expect(un?.errors[0]?.statusCode).toBe('KICKSAW_JOB_FAILED');
    expect(un?.errors[0]?.message).toMatch(/Processing stopped after 1500/);
    expectAccountedAndHeld(outcomes, 4000, 'broken', sf.org);

    sf.faults.reset();
    sf.faults.set({ failIngestJobAfterRows: 1_000 });
    const again = await ingestAll({
      ...base(conn, items(2_000, 'again')),
      maxRowsPerJob: 2_000,
      retry: { unprocessed: true, maxAttempts: 3 },
    });
    expect(again.summary).toMatchObject({ input: 2000, succeeded: 2000 });
  });

  it('leaves slow jobs running at the deadline and resume() collects the same outcomes', async () => {
    sf = await startOrg({
      faults: { jobProcessingMs: 3_000, rowErrors: [{ statusCode: 'UNABLE_TO_LOCK_ROW', rate: 0.02 }] },
    });
    const conn = await loginConnection(sf);
    const run = ingest({ ...base(conn, items(3_000, 'slow')), deadline: Date.now() + 1_200 });
    const firstOutcomes: RowOutcome[] = [];
    for await (const o of run) firstOutcomes.push(o);
    const firstSummary = await run.summary();
    expect(firstSummary.pending).toBe(3000);
    expect(firstSummary.input).toBe(0);
    expect(run.pendingJobs()).toHaveLength(3);
    const state = JSON.parse(JSON.stringify(run.pendingJobStates()));
    sf.faults.set({ jobProcessingMs: 0, rowErrors: [{ statusCode: 'UNABLE_TO_LOCK_ROW', rate: 0.02 }] });

    const later = resume({ connection: conn, jobs: state, ...FAST });
    const resumed: RowOutcome[] = [];
    for await (const o of later) resumed.push(o);
    const summary = await later.summary();
    expect(summary).toMatchObject({ input: 3000, succeeded: 3000, pending: 0 });
    expect(resumed.some((o) => (o.attempts ?? 0) > 1)).toBe(true);
    expectAccountedAndHeld([...firstOutcomes, ...resumed], 3000, 'slow', sf.org);
  });

  it('stops reading input at the deadline: rows read but unsent are unprocessed, none lost', async () => {
    sf = await startOrg();
    const conn = await loginConnection(sf);
    async function* slowRows() {
      for (let i = 1; i <= 5_000; i++) {
        if (i % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
        yield { Name: `late-${i}`, Required__c: 'r' };
      }
    }
    let rowsRead = 0;
    const run = ingest({
      ...base(conn, slowRows()),
      maxRowsPerJob: 150,
      deadline: Date.now() + 300,
      onProgress: (p) => {
        rowsRead = p.rowsRead;
      },
    });
    const outcomes: RowOutcome[] = [];
    for await (const o of run) outcomes.push(o);
    const summary = await run.summary();
    expect(summary.input + summary.pending).toBeLessThan(5_000);
    expect(outcomes).toHaveLength(summary.input);
    expect(new Set(outcomes.map((o) => o.row)).size).toBe(outcomes.length);
    expect(rowsRead).toBe(summary.input + summary.pending);
    for (const o of outcomes.filter((x) => x.status === 'unprocessed')) {
      expect(o).toMatchObject({ attempts: 0, errors: [{ statusCode: 'KICKSAW_DEADLINE' }] });
    }
    const later = resume({ connection: conn, jobs: run.pendingJobStates(), ...FAST });
    for await (const o of later) outcomes.push(o);
    expect(outcomes).toHaveLength(rowsRead);
    for (const o of outcomes) expect(o.record.Name).toBe(`late-${o.row}`);
  });

  it('gives rows taken from the input to choose the API an outcome when the deadline has passed', async () => {
    sf = await startOrg();
    const conn = await loginConnection(sf);
    let pulled = 0;
    function* rows() {
      for (let i = 1; i <= 1_000; i++) {
        pulled++;
        yield { Name: `early-${i}`, Required__c: 'r' };
      }
    }
    const { outcomes, summary } = await ingestAll({
      ...base(conn, rows()),
      api: 'auto',
      deadline: Date.now() - 1,
    });
    expect(pulled).toBeGreaterThan(0);
    expect(summary.input).toBe(pulled);
    expect(outcomes).toHaveLength(pulled);
    for (const o of outcomes) {
      expect(o).toMatchObject({ status: 'unprocessed', attempts: 0, errors: [{ statusCode: 'KICKSAW_DEADLINE' }] });
      expect(o.record.Name).toBe(`early-${o.row}`);
    }
    expect(sf.org.records('Item__c').filter((r) => String(r.Name).startsWith('early-'))).toHaveLength(0);
  });
});
