import { Readable } from 'node:stream';
import { InputError, type RowOutcome } from '@kicksaw/core';
import type { SalesforceEmulator } from '@kicksaw/sf-emulator';
import type { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, ingestAll } from '../src/index.js';
import { bulkItems, FAST, startOrg, tokenConnection } from './helpers.js';

let sf: SalesforceEmulator;
let conn: Connection;

beforeAll(async () => {
  sf = await startOrg();
  conn = tokenConnection(sf);
});
afterAll(async () => {
  await sf?.stop();
});

/** Every outcome's record must be the record its row number was made from. */
function expectRowsMatchContent(outcomes: RowOutcome[], nameOf: (row: number) => string): void {
  for (const outcome of outcomes) expect(outcome.record.Name, `row ${outcome.row}`).toBe(nameOf(outcome.row));
}

async function jobCount(): Promise<number> {
  const list = (await conn.request('/services/data/v62.0/jobs/ingest')) as { records: unknown[] };
  return list.records.length;
}

describe('ingest through Bulk API 2.0', () => {
  it('inserts over several jobs with shuffled results and mixed failures, each outcome on its own row', async () => {
    const records = Array.from({ length: 2_500 }, (_, i) => ({
      Name: i % 250 === 7 ? 'x'.repeat(300) : `ins-${i + 1}`,
      Ext__c: `INS-${i + 1}`,
      Required__c: i % 100 === 3 ? '' : 'yes',
      Qty__c: i,
      Active__c: i % 2 === 0,
      Note__c: i % 10 === 0 ? `multi\nline, "quoted" ${i}` : null,
    }));
    const progress: number[] = [];
    const { outcomes, summary } = await ingestAll(
      bulkItems(conn, records, {
        maxRowsPerJob: 700,
        maxConcurrentJobs: 2,
        onProgress: (p) => progress.push(p.jobsDone),
      }),
    );
    expect(summary).toMatchObject({ input: 2500, succeeded: 2465, failed: 35, unprocessed: 0, jobs: 4, api: 'bulk' });
    expect(outcomes).toHaveLength(2500);
    expect(new Set(outcomes.map((o) => o.row)).size).toBe(2500);
    expectRowsMatchContent(outcomes, (row) => (records[row - 1] as { Name: string }).Name);
    const failed = outcomes.filter((o) => o.status === 'failed');
    expect(failed.filter((o) => o.errors[0]?.statusCode === 'REQUIRED_FIELD_MISSING')).toHaveLength(25);
    expect(failed.filter((o) => o.errors[0]?.statusCode === 'STRING_TOO_LONG')).toHaveLength(10);
    for (const o of failed) expect(o.jobId).toMatch(/^750/);
    const note = outcomes.find((o) => o.row === 11);
    expect(note?.record.Note__c).toBe('multi\nline, "quoted" 10');
    // What the org holds agrees with the outcomes.
    const held = new Map(sf.org.records('Item__c').map((r) => [r.Id, r]));
    for (const o of outcomes.filter((x) => x.status === 'succeeded')) {
      expect(o.created).toBe(true);
      expect(held.get(o.id as string)?.Ext__c).toBe(`INS-${o.row}`);
    }
    expect(Math.max(...progress)).toBe(4);
  });

  it('settles rows of the same content (or differing only in what Salesforce normalises) once each, over result batches', async () => {
    // 300 rows, most of them alike: the same cells sent many times in one job, numbers spelt '7', '7.0'
    // and 7, failures alike too. Results are read in batches of rows: each row must still end as one outcome.
    const records = Array.from({ length: 300 }, (_, i) => ({
      Name: i % 3 === 0 ? 'same' : `row-${i % 7}`,
      Required__c: i % 10 === 4 ? '' : 'yes',
      Qty__c: i % 3 === 0 ? 7 : i % 3 === 1 ? '7.0' : '7',
    }));
    const { outcomes, summary } = await ingestAll(bulkItems(conn, records, { maxRowsPerJob: 300 }));
    expect(summary).toMatchObject({ input: 300, succeeded: 270, failed: 30, unprocessed: 0, unmatchedResults: 0 });
    expect(outcomes).toHaveLength(300);
    expect(new Set(outcomes.map((o) => o.row)).size).toBe(300);
    for (const o of outcomes) {
      const sent = records[o.row - 1] as { Name: string; Required__c: string };
      expect(o.status, `row ${o.row}`).toBe(sent.Required__c === '' ? 'failed' : 'succeeded');
      expect(o.record.Name, `row ${o.row}`).toBe(sent.Name);
    }
    const ids = outcomes.filter((o) => o.status === 'succeeded').map((o) => o.id);
    expect(new Set(ids).size).toBe(270);
  });

  it('upserts, updates, deletes and hard-deletes by content', async () => {
    const base = Array.from({ length: 600 }, (_, i) => ({
      Name: `u-${i + 1}`,
      Ext__c: `UP-${i + 1}`,
      Required__c: 'r',
    }));
    const first = await ingestAll(bulkItems(conn, base));
    expect(first.summary.succeeded).toBe(600);
    first.outcomes.sort((a, b) => a.row - b.row);
    // Upsert: 300 existing (update) + 300 new (create).
    const upserts = Array.from({ length: 600 }, (_, i) => ({
      Name: `u2-${i + 301}`,
      Ext__c: `UP-${i + 301}`,
      Required__c: 'r',
    }));
    const up = await ingestAll({
      connection: conn,
      object: 'Item__c',
      operation: 'upsert',
      externalIdField: 'ext__c',
      records: upserts,
      api: 'bulk',
      maxRowsPerJob: 250,
      ...FAST,
    });
    expect(up.summary).toMatchObject({ input: 600, succeeded: 600, created: 300 });
    for (const o of up.outcomes) expect(o.created).toBe(o.row > 300);
    expectRowsMatchContent(up.outcomes, (row) => `u2-${row + 300}`);
    // Update by Id.
    const ids = first.outcomes.map((o) => ({ Id: o.id as string, Name: `upd-${o.row}` }));
    const upd = await ingestAll({
      connection: conn,
      object: 'Item__c',
      operation: 'update',
      records: ids,
      api: 'bulk',
      ...FAST,
    });
    expect(upd.summary.succeeded).toBe(600);
    expectRowsMatchContent(upd.outcomes, (row) => `upd-${row}`);
    expect(sf.org.get(first.outcomes[0]?.id as string)?.Name).toMatch(/^upd-/);
    // Delete half, hard-delete the other half.
    const all = first.outcomes.map((o) => ({ Id: o.id as string }));
    const del = await ingestAll({
      connection: conn,
      object: 'Item__c',
      operation: 'delete',
      records: all.slice(0, 300),
      api: 'bulk',
      ...FAST,
    });
    const hard = await ingestAll({
      connection: conn,
      object: 'Item__c',
      operation: 'hardDelete',
      records: all.slice(300),
      ...FAST,
    });
    expect(del.summary.succeeded).toBe(300);
    expect(hard.summary).toMatchObject({ succeeded: 300, api: 'bulk' });
    for (const o of del.outcomes) expect(o.id).toBe(all[o.row - 1]?.Id);
    expect(sf.org.get(all[0]?.Id as string)).toBeUndefined();
    expect(sf.org.get(all[0]?.Id as string, { includeDeleted: true })).toBeDefined();
    expect(sf.org.get(all[599]?.Id as string, { includeDeleted: true })).toBeUndefined();
  });

  it('keeps duplicate external ids of one upsert in separate jobs, or fails them unsent', async () => {
    const records = [
      { Name: 'd1', Ext__c: 'DUP-1', Required__c: 'r' },
      { Name: 'd2', Ext__c: 'dup-1', Required__c: 'r' },
      { Name: 'd3', Ext__c: 'DUP-2', Required__c: 'r' },
      { Name: 'd4', Ext__c: 'DUP-1', Required__c: 'r' },
    ];
    const upsert = { operation: 'upsert', externalIdField: 'Ext__c' } as const;
    const separate = await ingestAll(bulkItems(conn, records, upsert));
    expect(separate.summary).toMatchObject({ succeeded: 4, jobs: 3 });
    expect(separate.outcomes.filter((o) => o.created)).toHaveLength(2);
    const failing = await ingestAll(bulkItems(conn, records, { ...upsert, duplicateExternalIds: 'fail' }));
    expect(failing.summary).toMatchObject({ succeeded: 2, failed: 2, jobs: 1 });
    const dupes = failing.outcomes
      .filter((o) => o.status === 'failed')
      .map((o) => [o.row, o.errors[0]?.statusCode, o.attempts]);
    expect(dupes.sort()).toEqual([
      [2, 'DUPLICATE_EXTERNAL_ID', 0],
      [4, 'DUPLICATE_EXTERNAL_ID', 0],
    ]);
  });

  it('starts with a small job and doubles the next ones up to the row budget, every row on its own outcome', async () => {
    const before = new Set(
      ((await conn.request('/services/data/v62.0/jobs/ingest')) as { records: Array<{ id: string }> }).records.map(
        (job) => job.id,
      ),
    );
    const records = Array.from({ length: 1_900 }, (_, i) => ({ Name: `ramp-${i + 1}`, Required__c: 'r' }));
    const { outcomes, summary } = await ingestAll(bulkItems(conn, records, { firstJobRows: 100, maxRowsPerJob: 800 }));
    expect(summary).toMatchObject({ input: 1900, succeeded: 1900, jobs: 5, unmatchedResults: 0 });
    expect(new Set(outcomes.map((o) => o.row)).size).toBe(1900);
    expectRowsMatchContent(outcomes, (row) => `ramp-${row}`);
    const jobs = (
      (await conn.request('/services/data/v62.0/jobs/ingest')) as { records: Array<{ id: string }> }
    ).records
      .map((job) => job.id)
      .filter((id) => !before.has(id));
    const sizes = await Promise.all(
      jobs.map(
        async (id) =>
          ((await conn.request(`/services/data/v62.0/jobs/ingest/${id}`)) as { numberRecordsProcessed: number })
            .numberRecordsProcessed,
      ),
    );
    expect(sizes.sort((a, b) => a - b)).toEqual([100, 200, 400, 400, 800].sort((a, b) => a - b));
  });

  it('moves 250,000 rows over several jobs with flat bookkeeping and every row accounted', async () => {
    async function* rows() {
      for (let i = 1; i <= 250_000; i++)
        yield { row: i, record: { Name: `big-${i}`, Ext__c: `BIG-${i}`, Required__c: 'r', Qty__c: i % 97 } };
    }
    const run = ingest({
      connection: conn,
      object: 'Item__c',
      operation: 'insert',
      records: rows(),
      maxRowsPerJob: 60_000,
      maxConcurrentJobs: 3,
      ...FAST,
    });
    let count = 0;
    let bad = 0;
    for await (const outcome of run) {
      count++;
      if (outcome.status !== 'succeeded' || outcome.record.Name !== `big-${outcome.row}`) bad++;
    }
    const summary = await run.summary();
    expect(count).toBe(250_000);
    expect(bad).toBe(0);
    expect(summary).toMatchObject({ input: 250_000, succeeded: 250_000, jobs: 5, pending: 0, unmatchedResults: 0 });
  });
});

describe('pre-flight', () => {
  it('stops unknown fields before any job, naming them', async () => {
    const before = await jobCount();
    const run = () =>
      ingestAll({
        connection: conn,
        object: 'Item__c',
        operation: 'insert',
        records: [{ Name: 'a', Required__c: 'r', Colour__c: 'red' }],
      });
    await expect(run()).rejects.toThrow(InputError);
    await expect(run()).rejects.toThrow(/unknown field "Colour__c"/);
    expect(await jobCount()).toBe(before);
    await expect(
      ingestAll({ connection: conn, object: 'Nope__c', operation: 'insert', records: [{ Name: 'a' }] }),
    ).rejects.toThrow(/no object named "Nope__c"/);
  });

  it('flags read-only and missing required fields, normalises header case', async () => {
    await expect(
      ingestAll({
        connection: conn,
        object: 'Item__c',
        operation: 'insert',
        records: [{ Name: 'a', Required__c: 'r', CreatedDate: '2020-01-01' }],
      }),
    ).rejects.toThrow(/read-only for insert: "CreatedDate"/);
    await expect(
      ingestAll({ connection: conn, object: 'Item__c', operation: 'insert', records: [{ Name: 'a' }] }),
    ).rejects.toThrow(/required for insert but missing: "Required__c"/);
    const { outcomes, summary } = await ingestAll({
      connection: conn,
      object: 'item__c',
      operation: 'insert',
      records: [{ name: 'case', REQUIRED__C: 'r', ext__c: 'CASE-1' }],
      api: 'bulk',
      ...FAST,
    });
    expect(summary.succeeded).toBe(1);
    expect(outcomes[0]?.record).toEqual({ Name: 'case', Required__c: 'r', Ext__c: 'CASE-1' });
    expect(sf.org.get(outcomes[0]?.id as string)?.Ext__c).toBe('CASE-1');
  });
});

describe('inputs and small batches', () => {
  it('sends small inputs through sObject Collections with the same outcomes', async () => {
    const records = Array.from({ length: 50 }, (_, i) => ({
      Name: `rest-${i + 1}`,
      Required__c: i === 4 ? '' : 'r',
      Qty__c: String(i),
      Active__c: 'true',
    }));
    const { outcomes, summary } = await ingestAll({
      connection: conn,
      object: 'Item__c',
      operation: 'insert',
      records,
      ...FAST,
    });
    expect(summary).toMatchObject({ api: 'rest', input: 50, succeeded: 49, failed: 1, jobs: 0 });
    expect(outcomes.find((o) => o.status === 'failed')).toMatchObject({
      row: 5,
      errors: [{ statusCode: 'REQUIRED_FIELD_MISSING' }],
    });
    const ok = outcomes.find((o) => o.row === 10);
    expect(sf.org.get(ok?.id as string)).toMatchObject({ Name: 'rest-10', Qty__c: 9, Active__c: true });
  });

  it('reads a CSV byte stream and reports unknown keys and malformed rows as failed rows', async () => {
    const csv = 'Name,Required__c,Ext__c\ncsv-1,r,CSV-1\n"csv, 2",r,CSV-2\ncsv-3,r\ncsv-4,r,CSV-4\n';
    const { outcomes, summary } = await ingestAll(bulkItems(conn, Readable.from([Buffer.from(csv)])));
    expect(summary).toMatchObject({ input: 4, succeeded: 3, failed: 1 });
    expect(outcomes.find((o) => o.row === 3)).toMatchObject({
      status: 'failed',
      line: 4,
      errors: [{ statusCode: 'CSV_TOO_FEW_FIELDS' }],
    });
    expect(outcomes.find((o) => o.row === 2)?.record.Name).toBe('csv, 2');

    const mixed = await ingestAll({
      connection: conn,
      object: 'Item__c',
      operation: 'insert',
      records: [
        { Name: 'm1', Required__c: 'r' },
        { Name: 'm2', Required__c: 'r', Extra: 'x' },
      ],
      preflight: true,
      ...FAST,
    });
    expect(mixed.outcomes.find((o) => o.row === 2)).toMatchObject({
      status: 'failed',
      errors: [{ statusCode: 'KICKSAW_UNKNOWN_FIELD' }],
    });
    expect(mixed.summary).toMatchObject({ input: 2, succeeded: 1, failed: 1 });
  });
});

describe('a broken input', () => {
  it('settles the rows read before the break, then fails the run with the error', async () => {
    async function* breaking() {
      for (let i = 1; i <= 300; i++) yield { Name: `brk-${i}`, Required__c: 'r' };
      throw new Error('stream broke');
    }
    const run = ingest({
      connection: conn,
      object: 'Item__c',
      operation: 'insert',
      records: breaking(),
      api: 'bulk',
      ...FAST,
    });
    const seen: RowOutcome[] = [];
    await expect(
      (async () => {
        for await (const outcome of run) seen.push(outcome);
      })(),
    ).rejects.toThrow('stream broke');
    expect(seen).toHaveLength(300);
    expect(seen.every((o) => o.status === 'succeeded')).toBe(true);
    await expect(run.summary()).rejects.toThrow('stream broke');
  });
});
