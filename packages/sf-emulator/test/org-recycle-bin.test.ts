// Deletes, the recycle bin and the replication API (`updated` / `deleted`), with real jsforce over HTTP and the
// org's clock moved instead of waiting.
import type { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SalesforceEmulator } from '../src/index.js';
import { createOrg } from '../src/index.js';
import { connect, raw, startEmulator } from './http-support.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
let sf: SalesforceEmulator;
let conn: Connection;
beforeAll(async () => {
  sf = await startEmulator({ clock: '2024-06-01T00:00:00Z', replicationIdLimit: 50 });
  conn = connect(sf);
});
afterAll(async () => {
  await sf.stop();
});

async function createAccounts(names: string[]): Promise<string[]> {
  const results = await conn.sobject('Account').create(names.map((Name) => ({ Name })));
  return results.map((result) => {
    if (!result.success) throw new Error(JSON.stringify(result));
    return result.id as string;
  });
}

async function bulkQuery(soql: string, scanAll: boolean): Promise<Array<Record<string, unknown>>> {
  const records = await conn.bulk2.query(soql, { scanAll, pollInterval: 10, pollTimeout: 30_000 });
  return (await records.toArray()) as Array<Record<string, unknown>>;
}

/** REST queryAll (jsforce: `query(soql, { scanAll: true })`). */
async function queryAll(soql: string): Promise<{ totalSize: number; records: Array<Record<string, unknown>> }> {
  return (await conn.query(soql, { scanAll: true })) as unknown as {
    totalSize: number;
    records: Array<Record<string, unknown>>;
  };
}

async function runBulkJob(operation: 'hardDelete' | 'delete', ids: string[]): Promise<void> {
  const job = conn.bulk2.createJob({ object: 'Account', operation });
  await job.open();
  await job.uploadData(`Id\n${ids.join('\n')}\n`);
  await job.close();
  await job.poll(10, 30_000);
}

describe('soft delete and the recycle bin', () => {
  it('moves deleted records to the bin: IsDeleted = true, visible to queryAll and Bulk queryAll only', async () => {
    sf.clock.set('2024-06-01T10:00:00Z');
    const [keep, gone] = await createAccounts(['Bin Keep', 'Bin Gone']);
    sf.clock.set('2024-06-01T10:05:00.500Z');
    await conn.sobject('Account').destroy(gone!);
    const soql = "SELECT Id, Name, IsDeleted, LastModifiedDate, SystemModstamp FROM Account WHERE Name LIKE 'Bin %'";
    expect((await conn.query(soql)).records.map((r) => r.Name)).toEqual(['Bin Keep']);
    expect((await conn.query(`${soql} AND IsDeleted = true`)).totalSize).toBe(0);
    const all = (await queryAll(`${soql} ORDER BY Name`)).records as Array<Record<string, unknown>>;
    expect(all.map((r) => [r.Name, r.IsDeleted])).toEqual([
      ['Bin Gone', true],
      ['Bin Keep', false],
    ]);
    expect(all[0]).toMatchObject({
      LastModifiedDate: '2024-06-01T10:05:00.500+0000',
      SystemModstamp: '2024-06-01T10:05:00.500+0000',
    });
    expect((await bulkQuery(soql, false)).map((r) => r.Id)).toEqual([keep]);
    const bulkAll = await bulkQuery(`${soql} ORDER BY Name`, true);
    expect(bulkAll.map((r) => [r.Id, r.IsDeleted])).toEqual([
      [gone, 'true'],
      [keep, 'false'],
    ]);
    expect(sf.org.recycleBin('Account')).toContainEqual({
      id: gone,
      object: 'Account',
      deletedDate: '2024-06-01T10:05:00.500+0000',
    });
    // The org reads a deleted record only when asked to.
    expect(sf.org.get(gone!)).toBeUndefined();
    expect(sf.org.get(gone!, { includeDeleted: true })?.IsDeleted).toBe(true);
  });

  it('undeletes (in code and through the admin route) with the children deleted with the parent', async () => {
    sf.clock.set('2024-06-02T00:00:00Z');
    const [parent] = await createAccounts(['Undelete Parent']);
    const { id: contact } = (await conn.sobject('Contact').create({ LastName: 'Child', AccountId: parent })) as {
      id: string;
    };
    await conn.sobject('Account').destroy(parent!);
    expect((await queryAll(`SELECT IsDeleted FROM Contact WHERE Id = '${contact}'`)).records[0]?.IsDeleted).toBe(true);
    sf.clock.advance(MINUTE);
    const [result] = sf.org.undelete([parent!]);
    expect(result).toMatchObject({ success: true, id: parent });
    expect((await conn.query(`SELECT Id FROM Contact WHERE Id = '${contact}'`)).totalSize).toBe(1);
    const restored = (await conn.sobject('Account').retrieve(parent!)) as Record<string, unknown>;
    expect(restored.SystemModstamp).toBe('2024-06-02T00:01:00.000+0000');

    await conn.sobject('Account').destroy(parent!);
    const viaRoute = await raw(sf, 'POST', '/_emulator/recycle-bin/undelete', {
      body: JSON.stringify({ ids: [parent, '001000000000000AAA'] }),
    });
    expect(viaRoute.status).toBe(200);
    const [ok, bad] = viaRoute.json() as Array<Record<string, unknown>>;
    expect(ok).toMatchObject({ success: true, id: parent });
    expect(bad).toMatchObject({ success: false });
    expect((await conn.query(`SELECT Id FROM Account WHERE Id = '${parent}'`)).totalSize).toBe(1);
  });

  it('hard deletes with a Bulk hardDelete job and empties the bin: gone from queryAll', async () => {
    sf.clock.set('2024-06-03T00:00:00Z');
    const [hard, soft, other] = await createAccounts(['Hard 1', 'Soft 1', 'Soft 2']);
    await runBulkJob('hardDelete', [hard!]);
    await runBulkJob('delete', [soft!, other!]);
    const names = async () =>
      (
        await queryAll("SELECT Name FROM Account WHERE Name IN ('Hard 1', 'Soft 1', 'Soft 2') ORDER BY Name")
      ).records.map((r) => r.Name);
    expect(await names()).toEqual(['Soft 1', 'Soft 2']);
    expect(sf.org.emptyRecycleBin([soft!])[0]).toMatchObject({ success: true, id: soft });
    expect(await names()).toEqual(['Soft 2']);
    const emptied = await raw(sf, 'POST', '/_emulator/recycle-bin/empty', { body: '{}' });
    expect((emptied.json() as Array<{ id: string }>).map((r) => r.id)).toContain(other);
    expect(await names()).toEqual([]);
    expect(sf.org.emptyRecycleBin([other!])[0]).toMatchObject({ success: false });
    // The delete log still holds all three for the replication API.
    const deleted = await conn.sobject('Account').deleted('2024-06-03T00:00:00Z', '2024-06-03T00:01:00Z');
    expect(deleted.deletedRecords.map((r) => r.id).sort()).toEqual([hard, soft, other].sort());
  });

  it('empties the bin after the retention, measured on the org clock; the retention is settable', async () => {
    sf.clock.set('2024-06-10T00:00:00Z');
    const [old] = await createAccounts(['Retained']);
    await conn.sobject('Account').destroy(old!);
    const inBin = async () => (await queryAll(`SELECT Id FROM Account WHERE Id = '${old}'`)).totalSize;
    sf.clock.advance(15 * DAY - 1);
    expect(await inBin()).toBe(1);
    sf.clock.advance(1);
    expect(await inBin()).toBe(0);
    expect(sf.org.recycleBin().map((entry) => entry.id)).not.toContain(old);

    const [short] = await createAccounts(['Short']);
    await conn.sobject('Account').destroy(short!);
    const set = await raw(sf, 'POST', '/_emulator/recycle-bin', { body: JSON.stringify({ retentionDays: 1 }) });
    expect(set.json()).toMatchObject({ retentionDays: 1 });
    expect((set.json() as { records: Array<{ id: string }> }).records.map((r) => r.id)).toContain(short);
    sf.clock.advance(DAY);
    expect((await queryAll(`SELECT Id FROM Account WHERE Id = '${short}'`)).totalSize).toBe(0);
    sf.org.recycleBinRetentionDays = 15;
  });
});

describe('the replication API', () => {
  it('answers updated ids by SystemModstamp over minute-truncated windows, as jsforce calls it', async () => {
    sf.clock.set('2024-07-01T12:00:10Z');
    const [a, b] = await createAccounts(['Rep A', 'Rep B']);
    sf.clock.set('2024-07-01T12:01:30Z');
    await conn.sobject('Account').update({ Id: a!, Phone: '555' });
    sf.clock.set('2024-07-01T12:05:00Z');
    const first = await conn.sobject('Account').updated('2024-07-01T12:00:00Z', '2024-07-01T12:01:00Z');
    expect(first).toEqual({ ids: [b], latestDateCovered: '2024-07-01T12:01:00.000+0000' });
    // Seconds are ignored: 12:01:45 is 12:01:00.
    const second = await conn
      .sobject('Account')
      .updated(new Date('2024-07-01T12:01:45Z'), new Date('2024-07-01T12:02:59Z'));
    expect(second).toEqual({ ids: [a], latestDateCovered: '2024-07-01T12:02:00.000+0000' });
    // An end in the future is covered up to the current minute only.
    const open = await conn.sobject('Account').updated('2024-07-01T12:00:00Z', '2024-07-02T00:00:00Z');
    expect(open.ids.sort()).toEqual([a, b].sort());
    expect(open.latestDateCovered).toBe('2024-07-01T12:05:00.000+0000');
  });

  it('answers deleted records with deletedDate, earliestDateAvailable and latestDateCovered', async () => {
    sf.clock.set('2024-07-02T09:00:00Z');
    const [x, y] = await createAccounts(['Del X', 'Del Y']);
    sf.clock.set('2024-07-02T09:10:20.300Z');
    await conn.sobject('Account').destroy(x!);
    sf.clock.set('2024-07-02T09:20:00Z');
    await conn.sobject('Account').destroy(y!);
    const result = await conn.sobject('Account').deleted('2024-07-02T09:00:00Z', '2024-07-02T09:15:00Z');
    expect(result.deletedRecords).toEqual([{ id: x, deletedDate: '2024-07-02T09:10:20.300+0000' }]);
    expect(result.latestDateCovered).toBe('2024-07-02T09:15:00.000+0000');
    expect(Date.parse(result.earliestDateAvailable)).toBeLessThanOrEqual(Date.parse('2024-07-02T09:00:00Z'));
    // An undeleted record leaves the delete log and shows as updated.
    sf.org.undelete([y!]);
    const later = await conn.sobject('Account').deleted('2024-07-02T09:15:00Z', '2024-07-02T09:30:00Z');
    expect(later.deletedRecords).toEqual([]);
    const updated = await conn.sobject('Account').updated('2024-07-02T09:15:00Z', '2024-07-02T09:30:00Z');
    expect(updated.ids).toContain(y);
    // After the retention the log entry is gone and earliestDateAvailable moves up to it.
    sf.clock.set('2024-07-17T09:11:00Z');
    const purged = await conn.sobject('Account').deleted('2024-07-02T09:30:00Z', '2024-07-17T09:00:00Z');
    expect(purged.deletedRecords.map((r) => r.id)).not.toContain(x);
    expect(purged.earliestDateAvailable).toBe('2024-07-02T09:10:20.300+0000');
  });

  it('refuses reversed, empty, too old and too large windows with Salesforce error codes', async () => {
    sf.clock.set('2024-08-01T00:00:00Z');
    const failure = async (call: Promise<unknown>) => {
      try {
        await call;
      } catch (error) {
        return { errorCode: (error as { errorCode?: string }).errorCode, message: (error as Error).message };
      }
      throw new Error('the call succeeded');
    };
    const account = conn.sobject('Account');
    expect(await failure(account.updated('2024-07-31T10:00:00Z', '2024-07-31T09:00:00Z'))).toMatchObject({
      errorCode: 'INVALID_REPLICATION_DATE',
      message: expect.stringContaining('must be before end'),
    });
    // The same minute once seconds are dropped.
    expect(await failure(account.deleted('2024-07-31T10:00:05Z', '2024-07-31T10:00:50Z'))).toMatchObject({
      errorCode: 'INVALID_REPLICATION_DATE',
    });
    expect(await failure(account.updated('2024-07-01T23:59:00Z', '2024-07-31T00:00:00Z'))).toMatchObject({
      errorCode: 'INVALID_REPLICATION_DATE',
      message: expect.stringContaining('more than 30 days'),
    });
    expect(await failure(account.deleted('2024-07-16T00:00:00Z', '2024-07-20T00:00:00Z'))).toMatchObject({
      errorCode: 'INVALID_REPLICATION_DATE',
      message: expect.stringContaining('more than 15 days'),
    });
    sf.clock.set('2024-08-01T01:00:00Z');
    await createAccounts(Array.from({ length: 51 }, (_, i) => `Many ${i}`));
    expect(await failure(account.updated('2024-08-01T00:30:00Z', '2024-08-01T01:30:00Z'))).toMatchObject({
      errorCode: 'EXCEEDED_ID_LIMIT',
    });
    const missing = await raw(
      sf,
      'GET',
      `/services/data/v${sf.apiVersion}/sobjects/Account/updated/?start=2024-08-01T00:00:00Z`,
    );
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('end is required');
    const unknown = await raw(sf, 'GET', `/services/data/v${sf.apiVersion}/sobjects/Nope__c/deleted/?start=a&end=b`);
    expect(unknown.status).toBe(404);
  });
});

describe('the delete log in a saved org', () => {
  it('survives toJSON and fromJSON with the retention', () => {
    const org = createOrg({ clock: '2024-09-01T00:00:00Z', recycleBinRetentionDays: 3 });
    const [result] = org.dml('insert', 'Account', [{ Name: 'Saved' }]);
    org.clock.advance(MINUTE);
    org.dml('delete', 'Account', [{ Id: result!.id }]);
    const copy = createOrg({ clock: '2024-09-01T00:05:00Z', fromJSON: JSON.parse(JSON.stringify(org.toJSON())) });
    expect(copy.recycleBinRetentionDays).toBe(3);
    expect(copy.recycleBin()).toEqual([
      { id: result!.id, object: 'Account', deletedDate: '2024-09-01T00:01:00.000+0000' },
    ]);
    expect(copy.getDeleted('Account', '2024-09-01T00:00:00Z', '2024-09-01T00:05:00Z').deletedRecords).toEqual([
      { id: result!.id, deletedDate: '2024-09-01T00:01:00.000+0000' },
    ]);
  });
});
