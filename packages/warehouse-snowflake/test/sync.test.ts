import { readSyncState, SyncError, sync } from '@kicksaw/lakehouse';
import { type SalesforceEmulator, startSalesforceEmulator } from '@kicksaw/sf-emulator';
import { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows as all, failingStateWrites } from '../../lakehouse/test/engine-helpers.js';
import { type LocalSnowflake, startLocalSnowflake } from './support.js';

const HOUR = 3_600_000;
let sf: SalesforceEmulator;
let connection: Connection;
let local: LocalSnowflake;

beforeAll(async () => {
  sf = await startSalesforceEmulator({ clock: '2026-03-01T00:00:00.123Z', queryPageSize: 7, resultOrder: 'shuffle' });
  connection = new Connection({ instanceUrl: sf.instanceUrl, accessToken: sf.accessToken, version: sf.apiVersion });
  local = await startLocalSnowflake();
});
afterAll(async () => {
  await sf?.stop();
  await local?.stop();
});

describe('sync into the local Snowflake', () => {
  it('leaves table and cursor as they were when the state write fails, after an incremental MERGE and after a full rebuild swapped in, and resumes from the old cursor', async () => {
    const warehouse = await local.open();
    try {
      const q = (n: string) => warehouse.quoteIdentifier(n);
      const table = warehouse.quoteTable('Lead');
      const snapshot = () => all(warehouse, `SELECT * FROM ${table} ORDER BY ${q('Id')}`);
      const orgNow = () => sf.clock.now();
      sf.org.seed('Lead', [
        { LastName: 'A', Company: 'X' },
        { LastName: 'B', Company: 'Y' },
      ]);
      const first = await sync({ connection, warehouse, objects: 'Lead', pollIntervalMs: 5, now: orgNow });
      expect(first.objects[0]).toMatchObject({ mode: 'full', read: 2, inserted: 2 });
      const before = await snapshot();
      const stateBefore = await readSyncState(warehouse, 'Lead');
      expect(before).toHaveLength(2);

      sf.clock.advance(HOUR);
      sf.org.dml('insert', 'Lead', [{ LastName: 'C', Company: 'Z' }]);
      sf.clock.advance(2 * 60_000);
      for (const full of [false, true]) {
        const error = await sync({
          connection,
          warehouse: failingStateWrites(warehouse),
          objects: 'Lead',
          full,
          pollIntervalMs: 5,
          now: orgNow,
        }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SyncError);
        expect((error as SyncError).summary.failures[0]?.message).toContain('injected');
        expect(await snapshot()).toEqual(before);
        expect(await readSyncState(warehouse, 'Lead')).toEqual(stateBefore);
        // No staging, id, deleted or rebuilt tables are left behind.
        const leftovers = await all(
          warehouse,
          "SELECT table_name FROM information_schema.tables WHERE table_schema = CURRENT_SCHEMA() AND (table_name LIKE '%KICKSAW%' OR table_name LIKE '%kicksaw%')",
        );
        expect(leftovers.map((r) => r.table_name)).toEqual(['_KICKSAW_SYNC_STATE']);
      }

      const retry = await sync({ connection, warehouse, objects: 'Lead', pollIntervalMs: 5, now: orgNow });
      expect(retry.objects[0]).toMatchObject({ mode: 'incremental', inserted: 1, unchanged: 2 }); // A and B are inside the lookback;
      const rebuilt = await sync({
        connection,
        warehouse,
        objects: 'Lead',
        full: true,
        pollIntervalMs: 5,
        now: orgNow,
      });
      expect(rebuilt.objects[0]).toMatchObject({ mode: 'full', read: 3, inserted: 3 });
      const org = sf.org
        .records('Lead')
        .map((r) => [r.Id, r.LastName, r.Company])
        .sort();
      const rows = (await all(warehouse, `SELECT ${q('Id')}, ${q('LastName')}, ${q('Company')} FROM ${table}`))
        .map((r) => [r.Id, r.LastName, r.Company])
        .sort();
      expect(rows).toEqual(org);
    } finally {
      await warehouse.close();
    }
  });
  it('logs no "Column type differs" on a rerun when overrides spell Snowflake types another way (STRING, varchar(40), DATETIME, date)', async () => {
    const warehouse = await local.open();
    const warnings: Array<[string, unknown]> = [];
    const logger = {
      debug: () => {},
      info: () => {},
      warn: (message: string, context?: unknown) => warnings.push([message, context]),
      error: () => {},
    };
    try {
      const orgNow = () => sf.clock.now();
      sf.org.seed('Contact', [{ LastName: 'Typed' }]);
      const overrides = {
        LastName: { kind: 'sql', sql: 'STRING' },
        FirstName: { kind: 'sql', sql: 'varchar(40)' },
        CreatedDate: { kind: 'sql', sql: 'DATETIME' },
        Birthdate: { kind: 'sql', sql: 'date' },
      } as const;
      const options = { connection, warehouse, objects: 'Contact', pollIntervalMs: 5, now: orgNow, logger, overrides };
      await sync(options);
      sf.clock.advance(HOUR);
      sf.org.dml('insert', 'Contact', [{ LastName: 'Later' }]);
      sf.clock.advance(2 * 60_000);
      const second = await sync(options);
      expect(second.objects[0]).toMatchObject({ mode: 'incremental', typeChanges: [] });
      expect(warnings.filter(([message]) => message.includes('type differs'))).toEqual([]);
      const columns = new Map((await warehouse.listColumns('Contact'))?.map((c) => [c.name, c.sqlType]));
      expect([columns.get('LastName'), columns.get('FirstName'), columns.get('CreatedDate')]).toEqual([
        'VARCHAR',
        'VARCHAR(40)',
        'TIMESTAMP_NTZ(9)',
      ]);
    } finally {
      await warehouse.close();
    }
  });
});
