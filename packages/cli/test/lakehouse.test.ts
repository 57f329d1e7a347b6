import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type SalesforceEmulator, startSalesforceEmulator } from '@kicksaw/sf-emulator';
import { type LocalPostgres, startPostgres } from '@kicksaw/testkit/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertBuilt,
  CONTACT_WITH_EXTERNAL_ID,
  contactsCsv,
  insertContacts,
  kicksaw,
  loginWithToken,
  type Sandbox,
  sandbox,
} from './helpers.js';

let sf: SalesforceEmulator;
let box: Sandbox;
const ACCOUNTS = 12;

beforeAll(async () => {
  assertBuilt();
  [sf, box] = await Promise.all([
    startSalesforceEmulator({
      objects: [CONTACT_WITH_EXTERNAL_ID],
      seed: { Account: Array.from({ length: ACCOUNTS }, (_, i) => ({ Name: `Account ${i + 1}` })) },
    }),
    sandbox(),
  ]);
  await loginWithToken(box, sf);
});
afterAll(async () => {
  await Promise.all([sf?.stop(), box?.remove()]);
});

interface SyncDoc {
  objects: Array<{
    object: string;
    table: string;
    mode: string;
    read: number;
    inserted: number;
    updated: number;
    deleted: number;
    columnsAdded: string[];
    formulaFields: string[];
    formulasRefreshed: boolean;
    formulaRowsUpdated: number;
  }>;
}

describe('kicksaw create, sync, query --into, retl, jobs results --into (DuckDB by default)', () => {
  it('create, a full sync, a change and a delete in the org, an incremental sync', async () => {
    const create = await kicksaw(box, ['create', '--object', 'Account', '--json']);
    expect(create.code, create.stderr).toBe(0);
    const created = create.json<{
      table: string;
      created: boolean;
      columns: string[];
      warehouse: { type: string; location: string };
    }>();
    expect(created).toMatchObject({
      ok: true,
      command: 'create',
      table: 'Account',
      created: true,
      warehouse: { name: null, type: 'duckdb', location: join(box.dir, '.kicksaw', 'warehouse.duckdb') },
    });
    expect(created.columns).toEqual(expect.arrayContaining(['Id', 'Name', 'SystemModstamp']));

    const full = await kicksaw(box, ['sync', '--object', 'Account', '--json']);
    expect(full.code, full.stderr).toBe(0);
    expect(full.json<SyncDoc>().objects).toMatchObject([
      { object: 'Account', mode: 'full', read: ACCOUNTS, inserted: ACCOUNTS },
    ]);

    const [first, second] = sf.org.records('Account') as Array<{ Id: string }>;
    sf.org.dml('update', 'Account', [{ Id: first?.Id, Name: 'Renamed' }]);
    sf.org.dml('delete', 'Account', [{ Id: second?.Id }]);
    const incremental = await kicksaw(box, ['sync', '--object', 'Account', '--json']);
    expect(incremental.code, incremental.stderr).toBe(0);
    const [summary] = incremental.json<SyncDoc>().objects;
    expect(summary).toMatchObject({ mode: 'incremental', deleted: 1 });
    expect(summary?.updated).toBeGreaterThanOrEqual(1);

    const into = await kicksaw(box, [
      'query',
      "SELECT Id, Name FROM Account WHERE Name = 'Renamed'",
      '--into',
      'renamed',
      '--json',
    ]);
    expect(into.code, into.stderr).toBe(0);
    expect(into.json()).toMatchObject({ ok: true, command: 'query', rows: 1, into: 'renamed', mode: 'replace' });
    const test = await kicksaw(box, ['warehouse', 'test', '--json']);
    expect(test.json()).toMatchObject({ ok: true, name: null, type: 'duckdb', answer: 1 });

    // A formula field whose value changes without SystemModstamp moving: refreshed on demand, or by age.
    let score = 1;
    sf.org.addField('Account', {
      name: 'Score__c',
      type: 'formula',
      precision: 18,
      scale: 0,
      formula: { returnType: 'double', compute: () => score },
    });
    const added = await kicksaw(box, ['sync', '--object', 'Account', '--lookback', '0s', '--json']);
    expect(added.json<SyncDoc>().objects).toMatchObject([{ columnsAdded: ['Score__c'], formulasRefreshed: false }]);
    score = 2;
    const notDue = await kicksaw(box, [
      'sync',
      '--object',
      'Account',
      '--lookback',
      '0s',
      '--refresh-formulas',
      '1h',
      '--json',
    ]);
    expect(notDue.json<SyncDoc>().objects).toMatchObject([{ formulaFields: ['Score__c'], formulasRefreshed: false }]);
    const refreshed = await kicksaw(box, ['sync', '--object', 'Account', '--lookback', '0s', '--refresh-formulas']);
    expect(refreshed.code, refreshed.stderr).toBe(0);
    const [, read, changed] = /(\d+) read, .*formulas refreshed \((\d+) rows changed\)/.exec(refreshed.stdout) ?? [];
    // Rows read again came with the new value; every other row (the deleted one too) was refreshed.
    expect(Number(changed)).toBe(ACCOUNTS - Number(read));
  });

  it('unknown object and field name the nearest; a bad or missing SQL file fails before anything is sent', async () => {
    const object = await kicksaw(box, ['create', '--object', 'Acount', '--json']);
    expect(object.code).toBe(1);
    expect(object.json()).toMatchObject({ error: { code: 'SF_UNKNOWN_OBJECT', hint: 'Nearest objects: Account.' } });
    const field = await kicksaw(box, [
      'sync',
      '--object',
      'Account',
      '--table',
      'acc2',
      '--fields',
      'Id,Nme',
      '--full',
      '--json',
    ]);
    expect(field.code).toBe(1);
    expect(field.json()).toMatchObject({
      error: { code: 'SF_UNKNOWN_FIELD', message: expect.stringContaining('"Nme": nearest Name') },
    });

    await writeFile(join(box.dir, 'bad.sql'), 'SELEC "Id" FROM "Account"');
    const bad = await kicksaw(box, ['retl', 'update', '--object', 'Account', '--sql-file', 'bad.sql', '--json']);
    expect(bad.code).toBe(1);
    expect(bad.json()).toMatchObject({ error: { code: 'SQL_FAILED', message: expect.stringContaining('bad.sql') } });
    const missing = await kicksaw(box, ['retl', 'update', '--object', 'Account', '--sql-file', 'nope.sql', '--json']);
    expect(missing.json()).toMatchObject({ error: { code: 'SQL_FILE_UNREADABLE' } });
    const usage = await kicksaw(box, ['retl', 'update', '--object', 'Account']);
    expect(usage.code).toBe(2);
  });

  it('retl: only changed rows are sent; row failures exit 3 with a report; job results into a table', async () => {
    const update = [
      'retl',
      'update',
      '--object',
      'Account',
      '--sql',
      `SELECT "Id", "Name" || ' Ltd' AS "Name" FROM "Account" WHERE NOT "IsDeleted"`,
      '--json',
    ];
    const sent = await kicksaw(box, update);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.json()).toMatchObject({
      summary: { read: ACCOUNTS - 1, sent: ACCOUNTS - 1, succeeded: ACCOUNTS - 1, failed: 0 },
      exitCode: 0,
    });
    expect(sf.org.records('Account').filter((a) => String(a.Name).endsWith(' Ltd'))).toHaveLength(ACCOUNTS - 1);
    const again = await kicksaw(box, update);
    expect(again.json()).toMatchObject({ summary: { read: ACCOUNTS - 1, unchanged: ACCOUNTS - 1, sent: 0 } });

    // Every fourth contact has no last name: Salesforce refuses those on insert.
    const sql = `SELECT 'EXT-' || i AS "External_Id__c", CASE WHEN i % 4 = 0 THEN NULL ELSE 'Last ' || i END AS "LastName" FROM range(1, 13) t(i)`;
    const upsert = await kicksaw(box, [
      'retl',
      'upsert',
      '--object',
      'Contact',
      '--external-id',
      'External_Id__c',
      '--sql',
      sql,
      '--report',
      'retl-failed.csv',
      '--success-report',
      'retl-ok.csv',
      '--json',
    ]);
    expect(upsert.code, upsert.stderr).toBe(3);
    const doc = upsert.json<{ summary: Record<string, number>; report: string; reportRows: number }>();
    expect(doc.summary).toMatchObject({ read: 12, sent: 12, succeeded: 9, failed: 3 });
    expect(doc).toMatchObject({
      report: join(box.dir, 'retl-failed.csv'),
      reportRows: 3,
      successReport: join(box.dir, 'retl-ok.csv'),
      successRows: 9,
      exitCode: 3,
    });
    // The error-report layout: object, code, message, key, key value, the record as JSON.
    const report = (await readFile(join(box.dir, 'retl-failed.csv'), 'utf8')).trim().split('\r\n');
    expect(report[0]).toBe('salesforce_object,code,message,upsert_key,upsert_key_value,object_json');
    expect(
      report
        .slice(1)
        .map((l) => /^Contact,REQUIRED_FIELD_MISSING,[^,]*,External_Id__c,(EXT-\d+),/.exec(l)?.[1])
        .sort(),
    ).toEqual(['EXT-12', 'EXT-4', 'EXT-8']);
    const ok = (await readFile(join(box.dir, 'retl-ok.csv'), 'utf8')).trim().split('\r\n');
    expect(ok[0]).toBe('sf__Id,sf__Created,External_Id__c,LastName');
    const contacts = new Map(sf.org.records('Contact').map((c) => [String(c.External_Id__c), String(c.Id)]));
    expect(ok.slice(1).map((l) => l.split(',').slice(0, 3))).toEqual(
      expect.arrayContaining([[contacts.get('EXT-1'), 'true', 'EXT-1']]),
    );
    expect(ok).toHaveLength(10);

    await writeFile(join(box.dir, 'more.csv'), contactsCsv(210, 30, 'r'));
    const load = await kicksaw(box, insertContacts('more.csv', '--api', 'bulk', '--json'));
    const [jobId] = load.json<{ jobIds: string[] }>().jobIds;
    const results = await kicksaw(box, ['jobs', 'results', jobId as string, '--into', 'job_results', '--json']);
    expect(results.code, results.stderr).toBe(0);
    expect(results.json()).toMatchObject({
      ok: true,
      command: 'jobs results',
      jobId,
      into: 'job_results',
      succeeded: 203,
      failed: 7,
      unprocessed: 0,
    });
  });
});

describe('the same commands on a real PostgreSQL server', () => {
  let pg: LocalPostgres | undefined;
  afterAll(async () => {
    await pg?.stop();
  });

  it('warehouse add --postgres, test, create, sync into it', async () => {
    pg = await startPostgres();
    const add = await kicksaw(box, ['warehouse', 'add', 'pg', '--postgres', pg.connectionString, '--json']);
    expect(add.code, add.stderr).toBe(0);
    const test = await kicksaw(box, ['warehouse', 'test', 'pg', '--json']);
    expect(test.json()).toMatchObject({ ok: true, name: 'pg', type: 'postgres', answer: 1 });
    const sync = await kicksaw(box, ['sync', '--object', 'Account', '--warehouse', 'pg', '--json']);
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.json<SyncDoc & { warehouse: { type: string } }>()).toMatchObject({
      warehouse: { name: 'pg', type: 'postgres' },
      objects: [{ object: 'Account', mode: 'full', read: ACCOUNTS }], // a full sync reads deleted rows too (queryAll)
    });
  });
});

describe('the same commands on the local Snowflake', () => {
  it('warehouse add --snowflake (a connections.toml connection), create, sync, retl from it', async () => {
    const { startSnowflakeEmulator } = await import('@kicksaw/snowflake-emulator');
    const snow = await startSnowflakeEmulator({ port: 0 });
    try {
      // Snowflake's own connection file, as its CLI and drivers read it.
      await writeFile(
        join(box.dir, 'connections.toml'),
        `[local]\naccount = "${snow.account}"\nuser = "${snow.username}"\npassword = "${snow.password}"\ndatabase = "${snow.database}"\nschema = "${snow.schema}"\nwarehouse = "${snow.warehouse}"\naccess_url = "${snow.accessUrl}"\n`,
        { mode: 0o600 },
      );
      const env = { SNOWFLAKE_HOME: box.dir };
      const live = sf.org.records('Account').length; // earlier tests may have deleted one
      const add = await kicksaw(box, ['warehouse', 'add', 'snow', '--snowflake', 'local', '--json'], { env });
      expect(add.json()).toMatchObject({ ok: true, name: 'snow', type: 'snowflake', location: 'local' });
      const sync = await kicksaw(box, ['sync', '--object', 'Account', '--warehouse', 'snow', '--json'], { env });
      expect(sync.code, sync.stderr).toBe(0);
      expect(sync.json<SyncDoc>().objects).toMatchObject([{ object: 'Account', mode: 'full', read: ACCOUNTS }]);
      const retl = await kicksaw(
        box,
        [
          'retl',
          'update',
          '--object',
          'Account',
          '--warehouse',
          'snow',
          '--sql',
          `SELECT "Id", "Name" || ' (snow)' AS "Name" FROM "Account" WHERE NOT "IsDeleted"`,
          '--json',
        ],
        { env },
      );
      expect(retl.code, retl.stderr).toBe(0);
      expect(retl.json()).toMatchObject({
        summary: { read: live, sent: live, succeeded: live },
      });
      expect(sf.org.records('Account').filter((a) => String(a.Name).endsWith(' (snow)'))).toHaveLength(live);
    } finally {
      await snow.stop();
    }
  });
});
