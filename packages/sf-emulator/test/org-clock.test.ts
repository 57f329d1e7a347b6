// The org's clock: every timestamp the org writes comes from it, and SOQL date filters read it; tests move it
// instead of sleeping. Real jsforce over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SalesforceEmulator } from '../src/index.js';
import { createOrg, OrgClock } from '../src/index.js';
import { compileFormula } from '../src/schema/formula.js';
import { api, connect, csvRows, raw, startEmulator, waitForJob } from './http-support.js';

const DAY = 86_400_000;
let sf: SalesforceEmulator;
beforeAll(async () => {
  sf = await startEmulator({
    clock: '2024-03-13T12:00:00Z', // a Wednesday
    objects: [
      {
        name: 'Clocked__c',
        fields: [
          { name: 'Account__c', type: 'reference', referenceTo: ['Account'], relationshipName: 'Account__r' },
          {
            name: 'Today__c',
            type: 'formula',
            formula: { returnType: 'date', compute: compileFormula('TODAY()') as (r: unknown) => unknown },
          },
        ],
      },
    ],
  });
});
afterAll(async () => {
  await sf.stop();
});

async function ids(soql: string): Promise<string[]> {
  const result = await connect(sf).query<{ Id: string }>(soql);
  return result.records.map((record) => record.Id).sort();
}

describe('the org clock', () => {
  it('stamps CreatedDate, LastModifiedDate and SystemModstamp with millisecond precision', async () => {
    const conn = connect(sf);
    sf.clock.set('2024-03-13T12:00:00.123Z');
    const { id } = (await conn.sobject('Account').create({ Name: 'Clocked' })) as { id: string };
    const created = (await conn.sobject('Account').retrieve(id)) as Record<string, unknown>;
    expect(created).toMatchObject({
      CreatedDate: '2024-03-13T12:00:00.123+0000',
      LastModifiedDate: '2024-03-13T12:00:00.123+0000',
      SystemModstamp: '2024-03-13T12:00:00.123+0000',
    });
    sf.clock.advance(1_500);
    await conn.sobject('Account').update({ Id: id, Name: 'Clocked 2' });
    const updated = (await conn.sobject('Account').retrieve(id)) as Record<string, unknown>;
    expect(updated).toMatchObject({
      CreatedDate: '2024-03-13T12:00:00.123+0000',
      LastModifiedDate: '2024-03-13T12:00:01.623+0000',
      SystemModstamp: '2024-03-13T12:00:01.623+0000',
    });
    expect(sf.org.clock).toBe(sf.clock);
    expect(sf.clock.now().toISOString()).toBe('2024-03-13T12:00:01.623Z');
  });

  it('moves SystemModstamp alone on a system change, and neither timestamp when a formula changes', async () => {
    const conn = connect(sf);
    sf.clock.set('2024-03-13T12:00:00Z');
    const parent = (await conn.sobject('Account').create({ Name: 'Parent' })) as { id: string };
    const child = (await conn.sobject('Clocked__c').create({ Account__c: parent.id })) as { id: string };
    const before = (await conn.sobject('Clocked__c').retrieve(child.id)) as Record<string, unknown>;
    expect(before.Today__c).toBe('2024-03-13');
    sf.clock.advance(DAY);
    const after = (await conn.sobject('Clocked__c').retrieve(child.id)) as Record<string, unknown>;
    expect(after.Today__c).toBe('2024-03-14');
    expect(after.SystemModstamp).toBe(before.SystemModstamp);
    expect(after.LastModifiedDate).toBe(before.LastModifiedDate);
    // Deleting the parent clears the lookup: a system change.
    await conn.sobject('Account').destroy(parent.id);
    const cleared = (await conn.sobject('Clocked__c').retrieve(child.id)) as Record<string, unknown>;
    expect(cleared.Account__c).toBeNull();
    expect(cleared.LastModifiedDate).toBe('2024-03-13T12:00:00.000+0000');
    expect(cleared.SystemModstamp).toBe('2024-03-14T12:00:00.000+0000');
  });

  it('filters on the timestamps in every datetime literal form and with date literals relative to the clock', async () => {
    const conn = connect(sf);
    sf.clock.set('2024-03-13T10:00:00.250Z');
    const early = (await conn.sobject('Clocked__c').create({})) as { id: string };
    sf.clock.set('2024-03-13T10:00:00.750Z');
    const late = (await conn.sobject('Clocked__c').create({})) as { id: string };
    const base =
      'SELECT Id FROM Clocked__c WHERE CreatedDate >= 2024-03-13T10:00:00Z AND CreatedDate < 2024-03-13T10:00:01Z';
    expect(await ids(base)).toEqual([early.id, late.id].sort());
    const window = 'AND SystemModstamp < 2024-03-13T10:00:01Z';
    expect(await ids(`SELECT Id FROM Clocked__c WHERE SystemModstamp > 2024-03-13T10:00:00.250Z ${window}`)).toEqual([
      late.id,
    ]);
    expect(await ids('SELECT Id FROM Clocked__c WHERE SystemModstamp = 2024-03-13T11:00:00.250+01:00')).toEqual([
      early.id,
    ]);
    expect(await ids('SELECT Id FROM Clocked__c WHERE CreatedDate = 2024-03-13T05:00:00.750-05:00')).toEqual([late.id]);
    // Date literals are relative to the org's clock, not the machine's.
    const both = [early.id, late.id].sort();
    const mine = (literal: string) =>
      ids(
        `SELECT Id FROM Clocked__c WHERE CreatedDate = ${literal} AND CreatedDate >= 2024-03-13T10:00:00Z AND CreatedDate < 2024-03-13T10:00:01Z`,
      );
    expect(await mine('TODAY')).toEqual(both);
    expect(await mine('THIS_WEEK')).toEqual(both);
    expect(await mine('THIS_MONTH')).toEqual(both);
    expect(await mine('THIS_QUARTER')).toEqual(both);
    expect(await mine('THIS_FISCAL_YEAR')).toEqual(both);
    expect(await mine('LAST_N_DAYS:0')).toEqual(both);
    expect(await mine('YESTERDAY')).toEqual([]);
    sf.clock.advance(2 * DAY);
    expect(await mine('TODAY')).toEqual([]);
    expect(await mine('N_DAYS_AGO:2')).toEqual(both);
    expect(await mine('LAST_N_DAYS:2')).toEqual(both);
    expect(await mine('LAST_N_DAYS:1')).toEqual([]);
    expect(await mine('THIS_WEEK')).toEqual(both);
    sf.clock.advance(5 * DAY);
    expect(await mine('LAST_WEEK')).toEqual(both);
    expect(await mine('LAST_N_WEEKS:1')).toEqual(both);
    sf.clock.set('2024-04-02T00:00:00Z');
    expect(await mine('LAST_MONTH')).toEqual(both);
    expect(await mine('LAST_QUARTER')).toEqual(both);
    expect(await mine('LAST_N_MONTHS:1')).toEqual(both);
    expect(await mine('N_MONTHS_AGO:1')).toEqual(both);
    expect(await mine('LAST_90_DAYS')).toEqual(both);
    expect(await mine('NEXT_N_DAYS:5')).toEqual([]);
    sf.clock.set('2025-01-01T00:00:00Z');
    expect(await mine('LAST_YEAR')).toEqual(both);
    expect(await mine('LAST_FISCAL_YEAR')).toEqual(both);
    expect(await mine('LAST_N_YEARS:1')).toEqual(both);
    expect(await mine('N_FISCAL_QUARTERS_AGO:4')).toEqual(both);
    // Bulk query CSV writes the same instants with Z.
    const job = await raw(sf, 'POST', api(sf, '/jobs/query'), {
      body: JSON.stringify({
        operation: 'query',
        query: `SELECT Id, CreatedDate FROM Clocked__c WHERE Id = '${late.id}'`,
      }),
    });
    const jobInfo = job.json() as { id: string; createdDate: string };
    expect(jobInfo.createdDate).toBe('2025-01-01T00:00:00.000+0000');
    await waitForJob(sf, 'query', jobInfo.id);
    const csv = await raw(sf, 'GET', api(sf, `/jobs/query/${jobInfo.id}/results`));
    expect(csvRows(csv.text)).toEqual([
      ['Id', 'CreatedDate'],
      [late.id, '2024-03-13T10:00:00.750Z'],
    ]);
  });

  it('is moved through POST /_emulator/clock and read through GET', async () => {
    const set = await raw(sf, 'POST', '/_emulator/clock', { body: JSON.stringify({ set: '2030-01-01T00:00:00Z' }) });
    expect(set.status).toBe(200);
    expect(set.json()).toEqual({ now: '2030-01-01T00:00:00.000Z', fixed: true });
    const moved = await raw(sf, 'POST', '/_emulator/clock', { body: JSON.stringify({ advanceMs: 1000 }) });
    expect(moved.json()).toEqual({ now: '2030-01-01T00:00:01.000Z', fixed: true });
    expect((await raw(sf, 'GET', '/_emulator/clock')).json()).toEqual({ now: '2030-01-01T00:00:01.000Z', fixed: true });
    const bad = await raw(sf, 'POST', '/_emulator/clock', { body: JSON.stringify({ set: 'tomorrow' }) });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('ISO 8601');
    expect((await raw(sf, 'GET', '/_emulator/clock', { token: null })).status).toBe(401);
    const real = await raw(sf, 'POST', '/_emulator/clock', { body: JSON.stringify({ realTime: true }) });
    const { now, fixed } = real.json() as { now: string; fixed: boolean };
    expect(fixed).toBe(false);
    expect(Math.abs(Date.parse(now) - Date.now())).toBeLessThan(60_000);
    sf.clock.set('2030-01-01T00:00:01Z');
  });
});

describe('OrgClock', () => {
  it('fixes, advances, shifts real time and returns to it', () => {
    let wall = 1_000_000;
    const clock = new OrgClock(undefined, () => wall);
    expect(clock.millis()).toBe(1_000_000);
    clock.advance(500); // real time shifted
    wall += 10;
    expect(clock.millis()).toBe(1_000_510);
    expect(clock.isFixed).toBe(false);
    clock.set(new Date(5_000));
    wall += 10;
    expect(clock.millis()).toBe(5_000);
    clock.advance(-1_000);
    expect(clock.now().getTime()).toBe(4_000);
    clock.useRealTime();
    expect(clock.millis()).toBe(wall);
    expect(() => clock.set('not a date')).toThrow(/ISO 8601/);
    expect(() => clock.advance(Number.NaN)).toThrow(/finite number/);
  });

  it('is an option of createOrg and drives seeded records', () => {
    const org = createOrg({ clock: '2020-02-29T23:59:59.999Z' });
    const [seeded] = org.seed('Account', [{ Name: 'Leap' }]);
    expect(seeded?.CreatedDate).toBe('2020-02-29T23:59:59.999+0000');
    expect(org.now().toISOString()).toBe('2020-02-29T23:59:59.999Z');
  });
});
