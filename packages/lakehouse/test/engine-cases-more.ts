/**
 * More integration cases every warehouse engine can run, beside engine-cases.ts: formula refresh, the reverse
 * ETL CSV report (and no job for zero rows), reverse ETL in small batches, job results read while the session
 * expires. Imported by each
 * engine's test (packages/warehouse-<engine>/test/lakehouse-more.test.ts), against the local org with real
 * jsforce.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCsv } from '@kicksaw/csv';
import { connect, ingestAll } from '@kicksaw/sf-bulk';
import { type SalesforceEmulator, startSalesforceEmulator } from '@kicksaw/sf-emulator';
import { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  jobResultsIntoTable,
  listBulkJobs,
  RETL_RESULTS_TABLE,
  RETL_SNAPSHOT_TABLE,
  type ReverseEtlOptions,
  readSyncState,
  reverseEtl,
  sync,
  type Warehouse,
} from '../src/index.js';
import type { EngineHarness } from './engine-cases.js';
import { createLeadsOut, rows, usingWarehouse } from './engine-helpers.js';

async function csvRecords(path: string): Promise<Record<string, string>[]> {
  const out: Record<string, string>[] = [];
  for await (const item of readCsv(path, { delimiter: ',' })) {
    if ('problem' in item) throw new Error(`bad CSV line in ${path}: ${JSON.stringify(item)}`);
    out.push(item.record);
  }
  return out;
}

const DAY = 24 * 3_600_000;

/** Defines the extra lakehouse cases for one engine. */
export function defineMoreEngineCases(engine: string, harness: EngineHarness): void {
  describe(`lakehouse on ${engine} (formulas, reports, expired sessions)`, () => {
    let sf: SalesforceEmulator;
    let connection: Connection;
    let directory: string;
    // A value outside the record (a custom setting, a parent's field): changing it changes the formula's value
    // without moving the record's SystemModstamp.
    let discountRate = 0.1;

    beforeAll(async () => {
      directory = await mkdtemp(join(tmpdir(), 'kicksaw-lakehouse-more-'));
      sf = await startSalesforceEmulator({
        queryPageSize: 9,
        resultOrder: 'shuffle',
        clock: '2026-03-01T00:00:00.000Z',
        objects: [
          {
            // Values that are hard in CSV, for the round-trip case.
            name: 'Hard__c',
            fields: [
              { name: 'Name', type: 'string' },
              { name: 'Note__c', type: 'textarea', length: 32000 },
              { name: 'Blank__c', type: 'string', length: 80 },
              { name: 'Flag__c', type: 'boolean' },
              { name: 'Stamp__c', type: 'datetime' },
              { name: 'Day__c', type: 'date' },
              { name: 'Big__c', type: 'currency', precision: 18, scale: 0 },
              { name: 'Precise__c', type: 'double', precision: 18, scale: 4 },
            ],
          },
          {
            name: 'Account',
            merge: true,
            fields: [
              {
                // Days since the record was created: TODAY() moves it every day.
                name: 'AgeDays__c',
                type: 'formula',
                precision: 18,
                scale: 0,
                formula: {
                  returnType: 'double',
                  compute: (r) =>
                    Math.floor((sf.clock.now().getTime() - new Date(String(r.CreatedDate)).getTime()) / DAY),
                },
              },
              {
                name: 'NetRevenue__c',
                type: 'formula',
                precision: 18,
                scale: 2,
                formula: {
                  returnType: 'currency',
                  compute: (r) => (r.AnnualRevenue === null ? null : Number(r.AnnualRevenue) * (1 - discountRate)),
                },
              },
            ],
          },
        ],
      });
      connection = new Connection({ instanceUrl: sf.instanceUrl, accessToken: sf.accessToken, version: sf.apiVersion });
    });
    afterAll(async () => {
      await sf?.stop();
      await harness.stop?.();
      await rm(directory, { recursive: true, force: true });
    });

    const withWarehouse = (fn: (warehouse: Warehouse) => Promise<void>) => usingWarehouse(harness, fn);

    it('merges staged rows by key, with and without a key staged twice: the newest wins, an older row never overwrites', async () => {
      await withWarehouse(async (warehouse) => {
        const columns = [
          { name: 'Id', type: { kind: 'id' } },
          { name: 'Name', type: { kind: 'text' } },
          { name: 'SystemModstamp', type: { kind: 'timestamp' } },
          { name: 'Kept', type: { kind: 'text' } },
        ] as const;
        const t = (minute: number) => `2026-03-01 00:${String(minute).padStart(2, '0')}:00.250`;
        const q = (name: string) => warehouse.quoteIdentifier(name);
        const spec = {
          target: 'merge_t',
          key: 'Id',
          columns: ['Id', 'Name', 'SystemModstamp'],
          versionColumn: 'SystemModstamp',
        };
        await warehouse.createTable('merge_t', [...columns], { replace: true });
        await warehouse.load(
          'merge_t',
          ['Id', 'Name', 'SystemModstamp', 'Kept'],
          [
            ['A', 'a0', t(10), 'ka'],
            ['B', 'b0', t(10), 'kb'],
            ['C', 'c0', t(10), 'kc'],
          ],
        );
        const merged = async (staging: string, staged: (string | null)[][]) => {
          await warehouse.createTable(staging, columns.slice(0, 3), { replace: true });
          await warehouse.load(staging, ['Id', 'Name', 'SystemModstamp'], staged);
          const result = await warehouse.transaction((session) => session.merge({ ...spec, staging }));
          await warehouse.dropTable(staging);
          const table = await rows(
            warehouse,
            `SELECT ${q('Id')}, ${q('Name')}, ${q('Kept')} FROM ${warehouse.quoteTable('merge_t')} ORDER BY ${q('Id')}`,
          );
          return { result, table: table.map((r) => `${r.Id}:${r.Name}:${r.Kept}`) };
        };
        // Every key once: A newer, B older (stale), C the same version, D new.
        expect(
          await merged('merge_s1', [
            ['A', 'a1', t(20)],
            ['B', 'b1', t(5)],
            ['C', 'c1', t(10)],
            ['D', 'd1', t(20)],
          ]),
        ).toEqual({
          result: { inserted: 1, updated: 1, unchanged: 1, stale: 1, duplicates: 0 },
          table: ['A:a1:ka', 'B:b0:kb', 'C:c1:kc', 'D:d1:null'],
        });
        // Keys staged twice: the newest of each wins, in whatever order they were staged.
        expect(
          await merged('merge_s2', [
            ['A', 'a3', t(40)],
            ['A', 'a2', t(30)],
            ['B', 'b2', t(30)],
            ['B', 'b3', t(40)],
            ['E', 'e1', t(30)],
            ['E', 'e2', t(35)],
          ]),
        ).toEqual({
          result: { inserted: 1, updated: 2, unchanged: 0, stale: 0, duplicates: 3 },
          table: ['A:a3:ka', 'B:b3:kb', 'C:c1:kc', 'D:d1:null', 'E:e2:null'],
        });
        await warehouse.dropTable('merge_t');
      });
    });

    it('round-trips values that are hard in CSV exactly, through the full and the incremental Bulk path', async () => {
      const hard = [
        {
          Name: 'quotes, commas and lines',
          Note__c: 'He said "hi, there"\nsecond line, ✓ 日本語 ünïcødé 🚀',
          Blank__c: '',
          Flag__c: true,
          Stamp__c: '2026-02-03T04:05:06.789Z',
          Day__c: '2026-02-03',
          Big__c: 9007199254740991,
          Precise__c: 12345678901.2345,
        },
        {
          Name: 'a lone quote',
          Note__c: '"',
          Blank__c: null,
          Flag__c: false,
          Stamp__c: '2026-02-03T23:59:59.001Z',
          Day__c: '1999-12-31',
          Big__c: -1,
          Precise__c: 0.0001,
        },
        { Name: 'crlf', Note__c: 'a,b\r\nc ""', Blank__c: null, Flag__c: false, Stamp__c: null, Day__c: null },
      ];
      sf.org.seed('Hard__c', hard);
      await withWarehouse(async (warehouse) => {
        const q = (n: string) => warehouse.quoteIdentifier(n);
        const expectEqual = async () => {
          const table = await rows(
            warehouse,
            `SELECT ${['Name', 'Note__c', 'Blank__c', 'Flag__c', 'Stamp__c', 'Day__c', 'Big__c', 'Precise__c'].map(q).join(', ')} FROM ${warehouse.quoteTable('Hard__c')} ORDER BY ${q('Name')}`,
          );
          const org = sf.org
            .records('Hard__c')
            .sort((a, b) => (String(a.Name) < String(b.Name) ? -1 : 1))
            .map((r) => ({
              Name: r.Name,
              Note__c: r.Note__c ?? null,
              // Salesforce keeps no empty text: an empty value is null, in the org and in the table.
              Blank__c: r.Blank__c === '' || r.Blank__c === undefined ? null : r.Blank__c,
              Flag__c: r.Flag__c,
              Stamp__c: r.Stamp__c ? new Date(String(r.Stamp__c)).getTime() : null,
              Day__c: r.Day__c ?? null,
              Big__c: r.Big__c ?? null,
              Precise__c: r.Precise__c ?? null,
            }));
          expect(
            table.map((r) => ({
              Name: r.Name,
              Note__c: r.Note__c,
              Blank__c: r.Blank__c,
              Flag__c: r.Flag__c,
              Stamp__c: r.Stamp__c === null ? null : new Date(r.Stamp__c as Date).getTime(),
              Day__c: r.Day__c instanceof Date ? r.Day__c.toISOString().slice(0, 10) : r.Day__c,
              Big__c: r.Big__c === null ? null : Number(r.Big__c),
              Precise__c: r.Precise__c === null ? null : Number(r.Precise__c),
            })),
          ).toEqual(org);
          return table;
        };
        // Pages of 2 rows: the 3 rows arrive in two result pages, each loaded on its own.
        const base = {
          connection,
          warehouse,
          objects: 'Hard__c',
          pollIntervalMs: 5,
          restMaxRows: 0,
          pageSize: 2,
        } as const;
        await sync({ ...base, full: true });
        const table = await expectEqual();
        // The exact text, milliseconds and digits, spelled out once (not only equal to the org's).
        expect(table[2]?.Note__c).toBe('He said "hi, there"\nsecond line, ✓ 日本語 ünïcødé 🚀');
        expect(new Date(table[2]?.Stamp__c as Date).toISOString()).toBe('2026-02-03T04:05:06.789Z');
        expect(String(table[2]?.Big__c)).toBe('9007199254740991');
        expect(table.map((r) => r.Blank__c)).toEqual([null, null, null]);
        expect(table.map((r) => r.Flag__c)).toEqual([false, false, true]);

        sf.clock.advance(60_000);
        const id = sf.org.records('Hard__c').find((r) => r.Name === 'crlf')?.Id as string;
        sf.org.dml('update', 'Hard__c', [
          { Id: id, Note__c: '",\n"', Flag__c: true, Stamp__c: '2026-03-01T00:00:00.999Z', Big__c: 0 },
        ]);
        const summary = await sync(base);
        expect(summary.objects[0]).toMatchObject({ mode: 'incremental', updated: 1 });
        await expectEqual();
      });
    });

    it('refreshes formula fields in full on demand and on a schedule, writing only their columns', async () => {
      await withWarehouse(async (warehouse) => {
        const q = (n: string) => warehouse.quoteIdentifier(n);
        const t = warehouse.quoteTable('Account');
        sf.org.seed(
          'Account',
          Array.from({ length: 25 }, (_, i) => ({ Name: `Formula ${i}`, AnnualRevenue: (i + 1) * 1000 })),
        );
        const orgNow = () => sf.clock.now();
        const base = { connection, warehouse, objects: 'Account', pollIntervalMs: 5, now: orgNow } as const;
        /** Formula values of the table and of the org, by Id (numbers compared as numbers). */
        const formulas = async () => {
          const table = new Map(
            (await rows(warehouse, `SELECT ${q('Id')}, ${q('AgeDays__c')}, ${q('NetRevenue__c')} FROM ${t}`)).map(
              (r) => [String(r.Id), [Number(r.AgeDays__c), Number(r.NetRevenue__c)]],
            ),
          );
          const org = new Map(
            sf.org.records('Account').map((r) => [r.Id, [Number(r.AgeDays__c), Number(r.NetRevenue__c)]]),
          );
          return { table, org };
        };

        /** Ids whose formula values differ between the table and the org. */
        const differing = (seen: Awaited<ReturnType<typeof formulas>>) =>
          [...seen.table.keys()].filter(
            (id) => JSON.stringify(seen.table.get(id)) !== JSON.stringify(seen.org.get(id)),
          );
        // One record edited an hour after the others, so the cursor's lookback does not re-read all of them.
        sf.clock.advance(3_600_000);
        const marker = sf.org.records('Account')[0]?.Id as string;
        sf.org.dml('update', 'Account', [{ Id: marker, Description: 'marker' }]);

        const first = (await sync(base)).objects[0];
        expect(first).toMatchObject({ mode: 'full', read: 25, formulasRefreshed: true });
        expect(first?.formulaFields.sort()).toEqual(['AgeDays__c', 'NetRevenue__c']);
        let seen = await formulas();
        expect(seen.table).toEqual(seen.org);

        // Two days later, with a new discount rate: every formula value changed, no SystemModstamp moved. One
        // record is edited (its row is read again, formulas and all).
        sf.clock.advance(2 * DAY);
        discountRate = 0.25;
        const edited = sf.org.records('Account')[3]?.Id as string;
        sf.org.dml('update', 'Account', [{ Id: edited, Name: 'Formula 3 edited' }]);
        const plain = (await sync(base)).objects[0];
        expect(plain).toMatchObject({ mode: 'incremental', read: 2, updated: 1, formulasRefreshed: false });
        seen = await formulas();
        expect(seen.table.get(edited)).toEqual(seen.org.get(edited));
        const stale = differing(seen);
        expect(stale).toHaveLength(23); // all but the edited record and the marker (re-read inside the lookback)

        // A local edit of a non-formula column: the refresh must leave it alone.
        const local = stale[0] as string;
        await warehouse.execute(`UPDATE ${t} SET ${q('Name')} = 'kept in the warehouse' WHERE ${q('Id')} = $1`, [
          local,
        ]);
        const refreshed = (await sync({ ...base, refreshFormulas: true })).objects[0];
        expect(refreshed).toMatchObject({
          mode: 'incremental',
          formulasRefreshed: true,
          formulaRowsUpdated: stale.length,
          inserted: 0,
        });
        seen = await formulas();
        expect(seen.table).toEqual(seen.org);
        const [kept] = await rows(warehouse, `SELECT ${q('Name')} AS n FROM ${t} WHERE ${q('Id')} = '${local}'`);
        expect(kept?.n).toBe('kept in the warehouse');
        expect((await readSyncState(warehouse, 'Account'))?.formulasRefreshedAt?.getTime()).toBe(
          sf.clock.now().getTime(),
        );

        // On a schedule: refreshed only when the last full read is a day old.
        sf.clock.advance(3_600_000);
        discountRate = 0.5;
        const early = (await sync({ ...base, refreshFormulas: { olderThanMs: DAY } })).objects[0];
        expect(early).toMatchObject({ formulasRefreshed: false, formulaRowsUpdated: 0 });
        sf.clock.advance(DAY);
        const before = differing(await formulas());
        expect(before.length).toBeGreaterThan(20);
        const due = (await sync({ ...base, refreshFormulas: { olderThanMs: DAY } })).objects[0];
        // The row re-read inside the lookback came with fresh formulas already; the refresh wrote the others.
        expect(due).toMatchObject({ formulasRefreshed: true, read: 1, formulaRowsUpdated: before.length - 1 });
        seen = await formulas();
        expect(seen.table).toEqual(seen.org);
      });
    });

    it('reverse ETL writes a CSV report in the error-report layouts, and creates no job for zero rows', async () => {
      await withWarehouse(async (warehouse) => {
        const q = (n: string) => warehouse.quoteIdentifier(n);
        await createLeadsOut(warehouse, [
          ['L-1', 'Ada', 'Acme'],
          ['L-2', 'Bo', 'Globex'],
          ['L-3', 'Cy', 'Initech'],
          ['L-4', 'Di', 'Umbrella'],
          ['L-5', 'Ed', 'Hooli'],
        ]);
        const sql = `SELECT k, ${q('LastName')}, ${q('Company')} FROM ${warehouse.quoteTable('leads_out')}`;
        // Every run inserts the rows of leads_out by their key k; the report (and the API) differ.
        const insertLeads = (extra: Partial<Pick<ReverseEtlOptions, 'report' | 'ingest'>>) =>
          reverseEtl({
            connection,
            warehouse,
            object: 'Lead',
            operation: 'insert',
            key: 'k',
            sql,
            pollIntervalMs: 5,
            ...extra,
          });
        const errors = join(directory, `${engine}-errors.csv`.replace(/\W+/g, '-'));
        const successes = join(directory, `${engine}-successes.csv`.replace(/\W+/g, '-'));
        // Salesforce rejects two of the rows (chosen by content).
        sf.faults.set({
          rowErrors: [
            {
              statusCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
              message: 'Company is blocked',
              objects: ['Lead'],
              when: (r) => r.Company === 'Globex' || r.Company === 'Hooli',
            },
          ],
        });
        let first: Awaited<ReturnType<typeof reverseEtl>>;
        try {
          first = await insertLeads({
            report: { output: errors, includeSuccesses: successes },
            ingest: { api: 'bulk' },
          });
        } finally {
          sf.faults.reset();
        }
        expect(first).toMatchObject({ read: 5, sent: 5, succeeded: 3, failed: 2, jobs: 1 });
        expect(first.report).toMatchObject({ errorLines: 2, failedRows: 2, successRows: 3, outcomes: 5 });
        const errorLines = await csvRecords(errors);
        expect(
          errorLines.map((l) => [
            l.salesforce_object,
            l.code,
            l.message,
            l.upsert_key,
            JSON.parse(String(l.object_json)),
          ]),
        ).toEqual(
          expect.arrayContaining([
            [
              'Lead',
              'FIELD_CUSTOM_VALIDATION_EXCEPTION',
              'Company is blocked',
              'k',
              { LastName: 'Bo', Company: 'Globex' },
            ],
            [
              'Lead',
              'FIELD_CUSTOM_VALIDATION_EXCEPTION',
              'Company is blocked',
              'k',
              { LastName: 'Ed', Company: 'Hooli' },
            ],
          ]),
        );
        expect(errorLines).toHaveLength(2);
        const leads = new Map(sf.org.records('Lead').map((r) => [String(r.Company), r]));
        const successLines = await csvRecords(successes);
        expect(successLines.map((l) => [l.Company, l.sf__Id, l.sf__Created]).sort()).toEqual(
          ['Acme', 'Initech', 'Umbrella'].map((c) => [c, leads.get(c)?.Id, 'true']),
        );
        expect(leads.has('Globex')).toBe(false);

        // The rerun sends only the two failed rows (now accepted), with the Data Loader-like layout.
        const sourceRow = join(directory, `${engine}-source-row.csv`.replace(/\W+/g, '-'));
        const second = await insertLeads({
          report: { output: sourceRow, layout: 'source-row' },
          ingest: { api: 'bulk' },
        });
        expect(second).toMatchObject({ read: 5, sent: 2, succeeded: 2, failed: 0, unchanged: 3, jobs: 1 });
        expect(second.report).toMatchObject({ errorLines: 0, outcomes: 2 });
        expect((await readFile(sourceRow, 'utf8')).trim()).toBe('row,error_code,error_message,error_fields');

        // Nothing new (all rows sent with success), and an empty query: no job is created in the org.
        const jobsBefore = (await listBulkJobs(connection, { kind: 'ingest' })).length;
        const unchanged = await insertLeads({ report: { output: errors } });
        expect(unchanged).toMatchObject({ read: 5, sent: 0, unchanged: 5, jobs: 0 });
        expect(unchanged.report).toMatchObject({ errorLines: 0, outcomes: 0 });
        expect((await readFile(errors, 'utf8')).trim()).toBe(
          'salesforce_object,code,message,upsert_key,upsert_key_value,object_json',
        );
        const empty = await reverseEtl({
          connection,
          warehouse,
          object: 'Lead',
          operation: 'update',
          sql: `SELECT ${q('Id')}, ${q('LastName')} FROM ${warehouse.quoteTable('leads_out')} AS l CROSS JOIN (SELECT 'x' AS ${q('Id')}) AS i WHERE 1 = 0`,
          pollIntervalMs: 5,
        });
        expect(empty).toMatchObject({ read: 0, sent: 0, jobs: 0 });
        expect((await listBulkJobs(connection, { kind: 'ingest' })).length).toBe(jobsBefore);
      });
    });

    it('reverse ETL in batches of a few rows: every row sent once, each outcome and snapshot row recorded', async () => {
      await withWarehouse(async (warehouse) => {
        const q = (n: string) => warehouse.quoteIdentifier(n);
        const seeded = sf.org.seed(
          'Lead',
          Array.from({ length: 11 }, (_, i) => ({ LastName: `Batch ${i}`, Company: 'Seeded' })),
        );
        const ids = seeded.map((r) => String(r.Id));
        await warehouse.createTable('leads_batched', [
          { name: 'Id', type: { kind: 'id' } },
          { name: 'LastName', type: { kind: 'text' } },
          { name: 'Company', type: { kind: 'text' } },
        ]);
        await warehouse.load(
          'leads_batched',
          ['Id', 'LastName', 'Company'],
          ids.map((id, i) => [id, `Batch ${i}`, i === 5 ? 'Blocked' : `Company ${i}`]),
        );
        const updateLeads = (batchRows: number) =>
          reverseEtl({
            connection,
            warehouse,
            object: 'Lead',
            operation: 'update',
            name: 'leads-batched',
            sql: `SELECT ${q('Id')}, ${q('LastName')}, ${q('Company')} FROM ${warehouse.quoteTable('leads_batched')}`,
            pollIntervalMs: 5,
            batchRows,
            ingest: { api: 'bulk' },
          });
        const companies = () => new Map(sf.org.records('Lead').map((r) => [String(r.Id), String(r.Company)]));
        const resultsOf = async (runId: string) =>
          (
            await rows(
              warehouse,
              `SELECT row_key, status, sf_id FROM ${warehouse.quoteTable(RETL_RESULTS_TABLE)} WHERE run_id = '${runId}' ORDER BY row_key`,
            )
          ).map((r) => [r.row_key, r.status, r.sf_id]);
        const snapshot = async () =>
          (
            await rows(
              warehouse,
              `SELECT row_key, sf_id FROM ${warehouse.quoteTable(RETL_SNAPSHOT_TABLE)} WHERE name = 'leads-batched' ORDER BY row_key`,
            )
          ).map((r) => [r.row_key, r.sf_id]);
        const sorted = [...ids].sort();

        // 11 rows in batches of 3 (4 batches); Salesforce rejects the row of the middle batch.
        sf.faults.set({
          rowErrors: [
            {
              statusCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
              objects: ['Lead'],
              when: (r) => r.Company === 'Blocked',
            },
          ],
        });
        let first: Awaited<ReturnType<typeof reverseEtl>>;
        try {
          first = await updateLeads(3);
        } finally {
          sf.faults.reset();
        }
        expect(first).toMatchObject({ read: 11, sent: 11, succeeded: 10, failed: 1, unchanged: 0 });
        expect(ids.map((id) => companies().get(id))).toEqual(ids.map((_, i) => (i === 5 ? 'Seeded' : `Company ${i}`)));
        expect(await resultsOf(first.runId)).toEqual(
          sorted.map((id) => [id, id === ids[5] ? 'failed' : 'succeeded', id]),
        );
        expect(await snapshot()).toEqual(sorted.filter((id) => id !== ids[5]).map((id) => [id, id]));

        // Two rows changed (the first and the last key) and the rejected row fixed: batches of 4 send exactly
        // those three, in one job.
        const [firstKey, lastKey] = [sorted[0] as string, sorted[10] as string];
        await warehouse.execute(
          `UPDATE ${warehouse.quoteTable('leads_batched')} SET ${q('Company')} = ${q('LastName')} WHERE ${q('Id')} IN ($1, $2, $3)`,
          [firstKey, lastKey, ids[5] as string],
        );
        const second = await updateLeads(4);
        expect(second).toMatchObject({ read: 11, sent: 3, succeeded: 3, failed: 0, unchanged: 8, jobs: 1 });
        expect(await resultsOf(second.runId)).toEqual(
          [firstKey, ids[5] as string, lastKey].sort().map((id) => [id, 'succeeded', id]),
        );
        for (const id of [firstKey, lastKey, ids[5] as string]) {
          expect(companies().get(id)).toBe(`Batch ${ids.indexOf(id)}`);
        }
        expect(await snapshot()).toEqual(sorted.map((id) => [id, id]));

        // Nothing changed: batches of one row send nothing and create no job; a batch of 0 rows is refused.
        expect(await updateLeads(1)).toMatchObject({ read: 11, sent: 0, unchanged: 11, jobs: 0 });
        await expect(updateLeads(0)).rejects.toMatchObject({ code: 'RETL_BAD_OPTIONS' });
      });
    });

    it('reads a job’s results into a table while the session expires mid-download (renewed, nothing lost)', async () => {
      await withWarehouse(async (warehouse) => {
        // A login jsforce can repeat: username and password (a bare access token cannot be renewed).
        const renewable = await connect({ loginUrl: sf.loginUrl, username: sf.username, password: sf.password });
        const records = Array.from({ length: 40 }, (_, i) => ({
          LastName: `Expiry ${i}`,
          Company: i % 8 === 0 ? 'Blocked' : `Co ${i}`,
        }));
        sf.faults.set({
          rowErrors: [{ statusCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', when: (r) => r.Company === 'Blocked' }],
        });
        let jobId: string;
        try {
          const run = await ingestAll({
            connection: renewable,
            object: 'Lead',
            operation: 'insert',
            records,
            pollIntervalMs: 5,
            api: 'bulk',
          });
          jobId = String(run.outcomes[0]?.jobId);
          expect(run.summary).toMatchObject({ succeeded: 35, failed: 5, jobs: 1 });
        } finally {
          sf.faults.reset();
        }
        // Every session now dies after two API requests: the job read and each result download need renewals.
        sf.faults.set({ sessionExpiry: { afterRequests: 2 } });
        const tokenBefore = renewable.accessToken;
        let summary: Awaited<ReturnType<typeof jobResultsIntoTable>>;
        try {
          summary = await jobResultsIntoTable({ connection: renewable, warehouse, jobId, table: 'expiry_results' });
        } finally {
          sf.faults.reset();
        }
        expect(renewable.accessToken).not.toBe(tokenBefore);
        expect(summary).toMatchObject({ jobId, succeeded: 35, failed: 5, unprocessed: 0 });
        const q = (n: string) => warehouse.quoteIdentifier(n);
        const table = await rows(
          warehouse,
          `SELECT result, sf_id, ${q('LastName')} AS l, ${q('Company')} AS c FROM ${warehouse.quoteTable('expiry_results')}`,
        );
        const inOrg = new Map(sf.org.records('Lead').map((r) => [String(r.LastName), String(r.Id)]));
        expect(table.map((r) => [r.l, r.result, r.result === 'succeeded' ? r.sf_id : null]).sort()).toEqual(
          records
            .map((r) => [
              r.LastName,
              r.Company === 'Blocked' ? 'failed' : 'succeeded',
              r.Company === 'Blocked' ? null : inOrg.get(r.LastName),
            ])
            .sort(),
        );
      });
    });
  });
}
