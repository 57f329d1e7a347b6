/**
 * The integration cases every warehouse engine runs: the same file, imported by each engine's test
 * (packages/warehouse-<engine>/test/lakehouse.test.ts), against the local org with real jsforce.
 */
import { type SalesforceEmulator, startSalesforceEmulator } from '@kicksaw/sf-emulator';
import { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  abortBulkJob,
  createTable,
  DELETED_AT_COLUMN,
  deleteBulkJob,
  getBulkJob,
  jobResultsIntoTable,
  LakehouseError,
  listBulkJobs,
  queryIntoTable,
  RETL_RESULTS_TABLE,
  readSyncState,
  reverseEtl,
  SyncError,
  sync,
  type Warehouse,
} from '../src/index.js';
import { createLeadsOut, failingStateWrites, rows, usingWarehouse } from './engine-helpers.js';

export interface EngineHarness {
  open(): Promise<Warehouse>;
  stop?(): Promise<void>;
}

function millis(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.getTime();
  return new Date(String(value).replace('+0000', 'Z')).getTime();
}

/** The table equals the org, row for row (deleted rows included), on the columns compared. */
async function expectTableEqualsOrg(
  warehouse: Warehouse,
  sf: SalesforceEmulator,
  object: string,
  options: { fields?: string[]; hardDeletes?: boolean } = {},
): Promise<void> {
  const fields = options.fields ?? ['Id', 'Name', 'IsDeleted', 'SystemModstamp', 'AnnualRevenue', 'NumberOfEmployees'];
  const q = (n: string) => warehouse.quoteIdentifier(n);
  const table = await rows(
    warehouse,
    `SELECT ${fields.map(q).join(', ')}, ${q(DELETED_AT_COLUMN)} FROM ${warehouse.quoteTable(object)} ORDER BY ${q('Id')}`,
  );
  const org = sf.org
    .records(object, { includeDeleted: !options.hardDeletes })
    .filter((r) => !(options.hardDeletes && r.IsDeleted === true))
    .sort((a, b) => (a.Id < b.Id ? -1 : a.Id > b.Id ? 1 : 0));
  const normalize = (record: Record<string, unknown>) =>
    Object.fromEntries(
      fields.map((f) => {
        const value = record[f];
        if (f === 'SystemModstamp') return [f, millis(value)];
        if (value === undefined || value === null || value === '') return [f, null];
        if (
          typeof value === 'number' ||
          (typeof value === 'string' && f !== 'Id' && f !== 'Name' && /^-?\d+(\.\d+)?$/.test(value))
        ) {
          return [f, Number(value)];
        }
        return [f, value];
      }),
    );
  expect(table.map(normalize)).toEqual(org.map(normalize));
  for (const row of table) {
    expect(row[DELETED_AT_COLUMN] === null).toBe(row.IsDeleted !== true);
  }
}

/** Defines the lakehouse cases for one engine. */
export function defineEngineCases(engine: string, harness: EngineHarness): void {
  describe(`lakehouse on ${engine}`, () => {
    let sf: SalesforceEmulator;
    let connection: Connection;

    beforeAll(async () => {
      // A fixed org clock, moved forward by the tests (never slept on).
      sf = await startSalesforceEmulator({
        resultOrder: 'shuffle',
        queryPageSize: 7,
        clock: '2026-03-01T00:00:00.123Z',
        objects: [
          {
            name: 'Opportunity',
            merge: true,
            fields: [{ name: 'Ext__c', type: 'string', length: 40, externalId: true, unique: true }],
          },
        ],
      });
      connection = new Connection({ instanceUrl: sf.instanceUrl, accessToken: sf.accessToken, version: sf.apiVersion });
    });
    afterAll(async () => {
      await sf?.stop();
      await harness.stop?.();
    });

    const HOUR = 3_600_000;
    const orgNow = () => sf.clock.now();

    const withWarehouse = (fn: (warehouse: Warehouse) => Promise<void>) => usingWarehouse(harness, fn);

    it('creates a table from the describe with the engine type map, and adds what is missing on a rerun', async () => {
      await withWarehouse(async (warehouse) => {
        const first = await createTable({
          connection,
          warehouse,
          object: 'Account',
          fields: ['Name', 'AnnualRevenue'],
        });
        expect(first.created).toBe(true);
        expect(first.table).toBe('Account');
        const columns = await warehouse.listColumns('Account');
        const byName = new Map(columns?.map((c) => [c.name, c.sqlType]));
        expect([...byName.keys()]).toEqual(
          expect.arrayContaining(['Id', 'IsDeleted', 'Name', 'AnnualRevenue', 'SystemModstamp', DELETED_AT_COLUMN]),
        );
        expect(byName.has('BillingAddress')).toBe(false);
        expect(byName.get('Id')).toBe(warehouse.columnType({ kind: 'id' }));
        expect(byName.get('IsDeleted')).toBe(warehouse.columnType({ kind: 'boolean' }));
        expect(byName.get('SystemModstamp')).toBe(warehouse.columnType({ kind: 'timestamp' }));
        expect(byName.get('AnnualRevenue')).toMatch(/^(DECIMAL|numeric|NUMBER)\(18,\s?0\)$/i);

        const all = await createTable({ connection, warehouse, object: 'Account' });
        expect(all.created).toBe(false);
        expect(all.columnsAdded).toEqual(expect.arrayContaining(['BillingCity', 'Industry', 'NumberOfEmployees']));
        expect(all.columnsAdded).not.toContain('BillingAddress');
        const after = await warehouse.listColumns('Account');
        expect(after?.map((c) => c.name)).toContain('BillingCity');
        expect(after?.slice(0, columns?.length).map((c) => c.name)).toEqual(columns?.map((c) => c.name));

        await expect(createTable({ connection, warehouse, object: 'NoSuch__c' })).rejects.toMatchObject({
          code: 'SF_UNKNOWN_OBJECT',
        });
        await expect(
          createTable({ connection, warehouse, object: 'Account', fields: ['Nope__c'] }),
        ).rejects.toBeInstanceOf(LakehouseError);
      });
    });

    it('syncs in full, then incrementally (updates, inserts, soft deletes, undeletes, hard deletes), equal to the org each time', async () => {
      await withWarehouse(async (warehouse) => {
        const seeded = sf.org.seed(
          'Account',
          Array.from({ length: 40 }, (_, i) => ({
            Name: `Acme ${i} "quoted", with comma\nand newline`,
            AnnualRevenue: i * 1000.5,
            NumberOfEmployees: i,
          })),
        );
        const first = await sync({ connection, warehouse, objects: 'Account', pollIntervalMs: 5, now: orgNow });
        const [full] = first.objects;
        expect(full).toMatchObject({ object: 'Account', mode: 'full', read: 40, inserted: 40, updated: 0, deleted: 0 });
        expect(full?.cursorField).toBe('SystemModstamp');
        await expectTableEqualsOrg(warehouse, sf, 'Account');
        const state = await readSyncState(warehouse, 'Account');
        expect(state?.cursorValue?.getTime()).toBe(millis(seeded.at(-1)?.SystemModstamp));

        // Changes: 3 updates, 2 inserts, 2 soft deletes, then one of them undeleted, one hard delete.
        sf.clock.advance(HOUR);
        const ids = seeded.map((r) => r.Id);
        sf.org.dml('update', 'Account', [
          { Id: ids[0], Name: 'Changed 0' },
          { Id: ids[1], AnnualRevenue: null },
          { Id: ids[2], NumberOfEmployees: 99 },
        ]);
        sf.org.dml('insert', 'Account', [{ Name: 'New A' }, { Name: 'New B', AnnualRevenue: 12.25 }]);
        sf.org.dml('delete', 'Account', [{ Id: ids[3] }, { Id: ids[4] }]);
        sf.org.dml('undelete', 'Account', [{ Id: ids[4] }]);
        sf.org.dml('hardDelete', 'Account', [{ Id: ids[5] }]);
        sf.clock.advance(2 * 60_000);

        const second = await sync({ connection, warehouse, objects: ['Account'], pollIntervalMs: 5, now: orgNow });
        const [incremental] = second.objects;
        expect(incremental?.mode).toBe('incremental');
        expect(incremental?.inserted).toBe(2);
        // 3 updates + the deleted and the undeleted row; rows inside the lookback come back unchanged.
        expect(incremental?.updated).toBe(5);
        expect(incremental?.deleted).toBe(2); // the soft delete and the hard delete
        expect(incremental?.deleteCheck).toBe('replication');
        expect(incremental?.unchanged).toBe(34);
        expect(incremental?.read).toBe(41);
        const hard = await rows(
          warehouse,
          `SELECT ${warehouse.quoteIdentifier('IsDeleted')} AS d, ${warehouse.quoteIdentifier(DELETED_AT_COLUMN)} AS at FROM ${warehouse.quoteTable('Account')} WHERE ${warehouse.quoteIdentifier('Id')} = '${ids[5]}'`,
        );
        expect(hard).toHaveLength(1);
        expect(hard[0]?.d).toBe(true);
        expect(hard[0]?.at).toBeInstanceOf(Date);
        // The org no longer has the purged row at all: compare the rest.
        await warehouse.execute(
          `DELETE FROM ${warehouse.quoteTable('Account')} WHERE ${warehouse.quoteIdentifier('Id')} = '${ids[5]}'`,
        );
        await expectTableEqualsOrg(warehouse, sf, 'Account');

        // A rerun with nothing new changes nothing (rows in the lookback are "unchanged").
        sf.clock.advance(HOUR);
        const third = await sync({ connection, warehouse, objects: 'Account', pollIntervalMs: 5, now: orgNow });
        expect(third.objects[0]).toMatchObject({ mode: 'incremental', inserted: 0, updated: 0, deleted: 0 });
        await expectTableEqualsOrg(warehouse, sf, 'Account');

        // hardDeletes: deleted rows leave the table.
        sf.org.dml('delete', 'Account', [{ Id: ids[6] }]);
        sf.clock.advance(2 * 60_000);
        const fourth = await sync({
          connection,
          warehouse,
          objects: 'Account',
          hardDeletes: true,
          pollIntervalMs: 5,
          now: orgNow,
        });
        expect(fourth.objects[0]?.deleted).toBe(2); // ids[3] (marked before) and ids[6]
        await expectTableEqualsOrg(warehouse, sf, 'Account', { hardDeletes: true });

        // full: rebuilt into a new table and swapped in.
        const fifth = await sync({
          connection,
          warehouse,
          objects: 'Account',
          full: true,
          pollIntervalMs: 5,
          now: orgNow,
        });
        expect(fifth.objects[0]).toMatchObject({
          mode: 'full',
          read: sf.org.records('Account', { includeDeleted: true }).length,
        });
        await expectTableEqualsOrg(warehouse, sf, 'Account');
      });
    });

    it('keeps milliseconds, NULLs and empty values exactly, and the cursor in _kicksaw_sync_state', async () => {
      await withWarehouse(async (warehouse) => {
        const [contact] = sf.org.seed('Contact', [{ LastName: 'Ms', Email: null, Birthdate: '1990-02-03' }]);
        await sync({ connection, warehouse, objects: 'Contact', pollIntervalMs: 5, now: orgNow });
        const q = (n: string) => warehouse.quoteIdentifier(n);
        const [row] = await rows(
          warehouse,
          `SELECT ${q('SystemModstamp')} AS s, ${q('Email')} AS e, ${q('Birthdate')} AS b FROM ${warehouse.quoteTable('Contact')} WHERE ${q('Id')} = '${contact?.Id}'`,
        );
        expect(millis(row?.s)).toBe(millis(contact?.SystemModstamp));
        expect(row?.e).toBeNull();
        expect(row?.b).toBe('1990-02-03');
      });
    });

    it('leaves table and cursor as they were when a sync fails, and picks up from the old cursor next time', async () => {
      await withWarehouse(async (warehouse) => {
        sf.org.seed('Lead', [
          { LastName: 'A', Company: 'X' },
          { LastName: 'B', Company: 'Y' },
        ]);
        await sync({ connection, warehouse, objects: 'Lead', pollIntervalMs: 5, now: orgNow });
        const before = await rows(
          warehouse,
          `SELECT * FROM ${warehouse.quoteTable('Lead')} ORDER BY ${warehouse.quoteIdentifier('Id')}`,
        );
        const stateBefore = await readSyncState(warehouse, 'Lead');
        sf.clock.advance(HOUR);
        sf.org.dml('insert', 'Lead', [{ LastName: 'C', Company: 'Z' }]);
        sf.clock.advance(2 * 60_000);
        // 1) The run is stopped after the rows were read and staged.
        const controller = new AbortController();
        await expect(
          sync({
            connection,
            warehouse,
            objects: ['Lead'],
            pollIntervalMs: 5,
            now: orgNow,
            signal: controller.signal,
            onProgress: (p) => p.phase === 'read' && p.rows > 0 && controller.abort(new Error('stopped by the test')),
          }),
        ).rejects.toBeInstanceOf(SyncError);
        // 2) The warehouse fails inside the transaction, after the MERGE ran (writing the cursor).
        const failing = failingStateWrites(warehouse);
        const error = await sync({
          connection,
          warehouse: failing,
          objects: 'Lead',
          pollIntervalMs: 5,
          now: orgNow,
        }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SyncError);
        expect((error as SyncError).summary.failures[0]?.message).toContain('injected');
        const after = await rows(
          warehouse,
          `SELECT * FROM ${warehouse.quoteTable('Lead')} ORDER BY ${warehouse.quoteIdentifier('Id')}`,
        );
        expect(after).toEqual(before);
        expect(await readSyncState(warehouse, 'Lead')).toEqual(stateBefore);
        // No staging table is left behind (filtered here: LIKE escapes differ between engines).
        const tables = (await rows(warehouse, 'SELECT table_name FROM information_schema.tables')).filter((t) =>
          String(Object.values(t)[0]).toLowerCase().startsWith('_kicksaw_stage'),
        );
        expect(tables).toEqual([]);
        const retry = await sync({ connection, warehouse, objects: 'Lead', pollIntervalMs: 5, now: orgNow });
        expect(retry.objects[0]).toMatchObject({ mode: 'incremental', inserted: 1 });
        await expectTableEqualsOrg(warehouse, sf, 'Lead', { fields: ['Id', 'LastName', 'Company', 'IsDeleted'] });
      });
    });

    it('reverse ETL: upserts the rows of a query, then sends only new and changed rows, resends failures, mirrors deletes, round-trips', async () => {
      await withWarehouse(async (warehouse) => {
        const t = warehouse.quoteTable('opps_out');
        const q = (n: string) => warehouse.quoteIdentifier(n);
        await warehouse.createTable('opps_out', [
          { name: 'Ext__c', type: { kind: 'text' } },
          { name: 'Name', type: { kind: 'text' } },
          { name: 'StageName', type: { kind: 'text' } },
          { name: 'CloseDate', type: { kind: 'date' } },
          { name: 'Amount', type: { kind: 'decimal', precision: 18, scale: 2 } },
        ]);
        await warehouse.load(
          'opps_out',
          ['Ext__c', 'Name', 'StageName', 'CloseDate', 'Amount'],
          Array.from({ length: 30 }, (_, i) => [
            `E-${String(i).padStart(3, '0')}`,
            `Deal ${i}`,
            'Prospecting',
            '2026-06-30',
            i * 10.5,
          ]),
        );
        const base = {
          connection,
          warehouse,
          object: 'Opportunity',
          operation: 'upsert' as const,
          externalIdField: 'Ext__c',
          sql: `SELECT ${q('Ext__c')}, ${q('Name')}, ${q('StageName')}, ${q('CloseDate')}, ${q('Amount')} FROM ${t}`,
          pollIntervalMs: 5,
        };
        const first = await reverseEtl(base);
        expect(first).toMatchObject({ read: 30, sent: 30, succeeded: 30, created: 30, failed: 0, unchanged: 0 });
        const inOrg = () => new Map(sf.org.records('Opportunity').map((r) => [String(r.Ext__c), r]));
        expect(inOrg().size).toBe(30);
        expect(inOrg().get('E-007')).toMatchObject({ Name: 'Deal 7', Amount: 73.5, CloseDate: '2026-06-30' });
        const results = await rows(
          warehouse,
          `SELECT row_key, status, sf_id, created, run_id FROM ${warehouse.quoteTable(RETL_RESULTS_TABLE)} ORDER BY row_key`,
        );
        expect(results).toHaveLength(30);
        for (const r of results) {
          expect(r.status).toBe('succeeded');
          expect(r.sf_id).toBe(inOrg().get(String(r.row_key))?.Id);
          expect(r.run_id).toBe(first.runId);
        }

        // Nothing changed: nothing sent, no job.
        const second = await reverseEtl(base);
        expect(second).toMatchObject({ read: 30, sent: 0, unchanged: 30, jobs: 0 });

        // Two changed, one new, one NULL amount (left unchanged in Salesforce), one that Salesforce rejects.
        await warehouse.execute(`UPDATE ${t} SET ${q('Name')} = 'Deal 1 renamed' WHERE ${q('Ext__c')} = 'E-001'`);
        await warehouse.execute(`UPDATE ${t} SET ${q('Amount')} = NULL WHERE ${q('Ext__c')} = 'E-002'`);
        await warehouse.execute(`UPDATE ${t} SET ${q('Name')} = 'Bad' WHERE ${q('Ext__c')} = 'E-003'`);
        await warehouse.load(
          'opps_out',
          ['Ext__c', 'Name', 'StageName', 'CloseDate', 'Amount'],
          [['E-100', 'Deal 100', 'Prospecting', '2026-07-01', 1]],
        );
        sf.faults.set({
          rowErrors: [{ statusCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', rate: 1, when: (r) => r.Name === 'Bad' }],
        });
        try {
          const third = await reverseEtl(base);
          expect(third).toMatchObject({ read: 31, sent: 4, unchanged: 27, succeeded: 3, failed: 1, created: 1 });
        } finally {
          sf.faults.reset();
        }
        expect(inOrg().get('E-001')?.Name).toBe('Deal 1 renamed');
        expect(inOrg().get('E-002')?.Amount).toBe(21); // NULL left the value unchanged
        expect(inOrg().get('E-003')?.Name).toBe('Deal 3');
        // The failed row is sent again, unchanged as it is.
        const fourth = await reverseEtl(base);
        expect(fourth).toMatchObject({ sent: 1, succeeded: 1, unchanged: 30 });
        expect(inOrg().get('E-003')?.Name).toBe('Bad');

        // clearNulls sends NULL as #N/A; mirror deletes the record of a row gone from the query.
        await warehouse.execute(`DELETE FROM ${t} WHERE ${q('Ext__c')} = 'E-029'`);
        const fifth = await reverseEtl({ ...base, clearNulls: true, mirror: true, name: 'Opportunity:upsert:Ext__c' });
        expect(fifth.mirrorDeleted).toBe(1);
        expect(inOrg().has('E-029')).toBe(false);
        expect(inOrg().get('E-002')?.Amount ?? null).toBeNull();

        // Round trip: what went to Salesforce comes back equal.
        await sync({
          connection,
          warehouse,
          objects: 'Opportunity',
          fields: ['Ext__c', 'Name', 'Amount'],
          now: orgNow,
          pollIntervalMs: 5,
        });
        const back = await rows(
          warehouse,
          `SELECT o.${q('Ext__c')} AS k, o.${q('Name')} AS n, o.${q('Amount')} AS a FROM ${warehouse.quoteTable('Opportunity')} AS o WHERE o.${q('IsDeleted')} = FALSE ORDER BY 1`,
        );
        const sent = await rows(
          warehouse,
          `SELECT ${q('Ext__c')} AS k, ${q('Name')} AS n, ${q('Amount')} AS a FROM ${t} ORDER BY 1`,
        );
        const num = (v: unknown) => (v === null ? null : Number(v));
        expect(back.map((r) => [r.k, r.n, num(r.a)])).toEqual(sent.map((r) => [r.k, r.n, num(r.a)]));
      });
    });

    it('catches late commits inside the lookback, records purged from the recycle bin, and reconciles Ids after the replication window', async () => {
      await withWarehouse(async (warehouse) => {
        const seeded = sf.org.seed(
          'Case',
          Array.from({ length: 6 }, (_, i) => ({ Subject: `Case ${i}` })),
        );
        await sync({ connection, warehouse, objects: 'Case', pollIntervalMs: 5, now: orgNow });
        const cursor = (await readSyncState(warehouse, 'Case'))?.cursorValue as Date;
        const after = new Date(cursor.getTime() + HOUR);

        // A transaction that committed after the sync with a SystemModstamp 5 minutes before the cursor.
        sf.clock.set(new Date(cursor.getTime() - 5 * 60_000));
        const [late] = sf.org.dml('insert', 'Case', [{ Subject: 'committed late' }]);
        sf.clock.set(after);
        // Deleted, then purged from the recycle bin: gone from every query, known only to the replication API.
        sf.org.dml('delete', 'Case', [{ Id: seeded[0]?.Id }]);
        sf.org.emptyRecycleBin([seeded[0]?.Id as string]);
        sf.clock.advance(2 * 60_000);
        const second = await sync({ connection, warehouse, objects: 'Case', pollIntervalMs: 5, now: orgNow });
        expect(second.objects[0]).toMatchObject({
          mode: 'incremental',
          inserted: 1,
          deleted: 1,
          deleteCheck: 'replication',
        });
        const q = (n: string) => warehouse.quoteIdentifier(n);
        const marked = await rows(
          warehouse,
          `SELECT ${q('Id')} AS id FROM ${warehouse.quoteTable('Case')} WHERE ${q('IsDeleted')} = TRUE`,
        );
        expect(marked.map((r) => r.id)).toEqual([seeded[0]?.Id]);
        expect(
          (
            await rows(
              warehouse,
              `SELECT ${q('Id')} AS id FROM ${warehouse.quoteTable('Case')} WHERE ${q('Id')} = '${late?.id}'`,
            )
          ).length,
        ).toBe(1);

        // Past the replication window (16 days later): a hard delete is found by comparing Ids.
        sf.clock.advance(16 * 24 * HOUR);
        sf.org.dml('hardDelete', 'Case', [{ Id: seeded[1]?.Id }]);
        sf.clock.advance(2 * 60_000);
        const third = await sync({ connection, warehouse, objects: 'Case', pollIntervalMs: 5, now: orgNow });
        expect(third.objects[0]).toMatchObject({ deleted: 1, deleteCheck: 'reconcile' });
        await warehouse.execute(
          `DELETE FROM ${warehouse.quoteTable('Case')} WHERE ${q('Id')} IN ('${seeded[0]?.Id}', '${seeded[1]?.Id}')`,
        );
        await expectTableEqualsOrg(warehouse, sf, 'Case', { fields: ['Id', 'Subject', 'IsDeleted', 'SystemModstamp'] });
      });
    });

    it('follows schema drift: a new field becomes a column, a removed field keeps its column and data, a type change is reported', async () => {
      await withWarehouse(async (warehouse) => {
        const org = sf.org as unknown as {
          addField(object: string, field: Record<string, unknown>): void;
          removeField(object: string, field: string): void;
        };
        org.addField('Contact', { name: 'Old__c', type: 'string', length: 20 });
        org.addField('Contact', { name: 'Score__c', type: 'double', precision: 5, scale: 0 });
        const [c] = sf.org.seed('Contact', [{ LastName: 'Drift', Old__c: 'keep me', Score__c: 7 }]);
        await sync({ connection, warehouse, objects: 'Contact', pollIntervalMs: 5, now: orgNow });

        sf.clock.advance(HOUR);
        org.addField('Contact', { name: 'New__c', type: 'string', length: 20 });
        org.removeField('Contact', 'Old__c');
        org.removeField('Contact', 'Score__c');
        org.addField('Contact', { name: 'Score__c', type: 'string', length: 10 });
        sf.org.dml('update', 'Contact', [{ Id: c?.Id, New__c: 'fresh', LastName: 'Drifted' }]);
        sf.clock.advance(2 * 60_000);
        const second = await sync({ connection, warehouse, objects: 'Contact', pollIntervalMs: 5, now: orgNow });
        const summary = second.objects[0];
        expect(summary?.columnsAdded).toEqual(['New__c']);
        expect(summary?.columnsNotInSalesforce).toEqual(['Old__c']);
        expect(summary?.typeChanges.map((t) => t.column)).toEqual(['Score__c']);
        expect(summary?.typeChanges[0]?.hint).toMatch(/full/);
        const q = (n: string) => warehouse.quoteIdentifier(n);
        const [row] = await rows(
          warehouse,
          `SELECT ${q('LastName')} AS l, ${q('New__c')} AS n, ${q('Old__c')} AS o FROM ${warehouse.quoteTable('Contact')} WHERE ${q('Id')} = '${c?.Id}'`,
        );
        expect(row).toEqual({ l: 'Drifted', n: 'fresh', o: 'keep me' });
      });
    });

    it("sends any SOQL into a table (locator pages) and a Bulk ingest job's results into a table", async () => {
      await withWarehouse(async (warehouse) => {
        const [parent] = sf.org.seed('Account', [{ Name: 'Parent Co' }]);
        sf.org.seed(
          'Contact',
          Array.from({ length: 25 }, (_, i) => ({ LastName: `Q${i}`, AccountId: parent?.Id })),
        );
        const summary = await queryIntoTable({
          connection,
          warehouse,
          soql: `SELECT Id, LastName, Account.Name, CreatedDate FROM Contact WHERE AccountId = '${parent?.Id}'`,
          table: 'parent_contacts',
          api: 'bulk',
          pageSize: 10,
          pollIntervalMs: 5,
        });
        expect(summary).toMatchObject({ rows: 25, columns: ['Id', 'LastName', 'Account.Name', 'CreatedDate'] });
        const q = (n: string) => warehouse.quoteIdentifier(n);
        const got = await rows(
          warehouse,
          `SELECT count(DISTINCT ${q('Id')}) AS n, min(${q('Account.Name')}) AS a FROM ${warehouse.quoteTable('parent_contacts')}`,
        );
        expect(Number(got[0]?.n)).toBe(25);
        expect(got[0]?.a).toBe('Parent Co');

        // A job with a failure: its results land in one table.
        await createLeadsOut(warehouse, [
          ['1', 'Ok', 'A'],
          ['2', 'Ok too', 'B'],
          ['3', 'Fails', 'C'],
        ]);
        sf.faults.set({
          rowErrors: [
            { statusCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', rate: 1, when: (r) => r.LastName === 'Fails' },
          ],
        });
        let retl: Awaited<ReturnType<typeof reverseEtl>>;
        try {
          retl = await reverseEtl({
            connection,
            warehouse,
            object: 'Lead',
            operation: 'insert',
            key: 'k',
            sql: `SELECT ${q('LastName')}, ${q('Company')}, ${q('k')} FROM ${warehouse.quoteTable('leads_out')}`,
            ingest: { api: 'bulk' },
            pollIntervalMs: 5,
          }).catch((e: unknown) => {
            throw e;
          });
        } finally {
          sf.faults.reset();
        }
        expect(retl).toMatchObject({ sent: 3, succeeded: 2, failed: 1 });
        const [job] = await rows(
          warehouse,
          `SELECT DISTINCT job_id FROM ${warehouse.quoteTable(RETL_RESULTS_TABLE)} WHERE run_id = '${retl.runId}'`,
        );
        const results = await jobResultsIntoTable({
          connection,
          warehouse,
          jobId: String(job?.job_id),
          table: 'lead_job',
        });
        expect(results).toMatchObject({ succeeded: 2, failed: 1, unprocessed: 0 });
        const failed = await rows(
          warehouse,
          `SELECT ${q('LastName')} AS l, sf_error FROM ${warehouse.quoteTable('lead_job')} WHERE result = 'failed'`,
        );
        expect(failed).toEqual([
          { l: 'Fails', sf_error: expect.stringContaining('FIELD_CUSTOM_VALIDATION_EXCEPTION') },
        ]);

        // The job through the jobs helpers: listed, shown, not abortable once complete, deleted.
        const jobId = String(job?.job_id);
        expect((await listBulkJobs(connection, { kind: 'ingest' })).map((j) => j.id)).toContain(jobId);
        expect(await getBulkJob(connection, { kind: 'ingest', id: jobId })).toMatchObject({
          state: 'JobComplete',
          numberRecordsFailed: 1,
        });
        await expect(abortBulkJob(connection, { kind: 'ingest', id: jobId })).rejects.toThrow(/INVALIDJOBSTATE|state/i);
        await deleteBulkJob(connection, { kind: 'ingest', id: jobId });
        expect((await listBulkJobs(connection, { kind: 'ingest' })).map((j) => j.id)).not.toContain(jobId);
      });
    });
  });
}
