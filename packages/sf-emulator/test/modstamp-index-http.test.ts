// The range index over HTTP: REST query, queryAll and COUNT(), and a Bulk API 2.0 query job, through real jsforce,
// answer an incremental sync's SystemModstamp window as a full scan does (the same clause in parentheses, which the
// planner does not read).
import type { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SalesforceEmulator } from '../src/index.js';
import { connect, startEmulator } from './http-support.js';

const START = Date.parse('2024-06-01T00:00:00.000Z');
const MINUTE = 60_000;
const literal = (minutes: number) => new Date(START + minutes * MINUTE).toISOString();

let sf: SalesforceEmulator;
let conn: Connection;
beforeAll(async () => {
  sf = await startEmulator({ clock: literal(0) });
  conn = connect(sf);
});
afterAll(async () => {
  await sf.stop();
});

describe('a SystemModstamp window over HTTP', () => {
  it('gives the same rows, count and order through REST and Bulk as a scan', async () => {
    sf.org.generate('Account', 2000, { spread: { from: literal(-2000), to: literal(0) } });
    const ids = (await conn.query('SELECT Id FROM Account ORDER BY Id')).records.map((record) => record.Id as string);
    sf.clock.set(literal(10));
    const changed = ids.filter((_, index) => index % 50 === 7);
    await conn.sobject('Account').update(changed.map((Id) => ({ Id, Phone: '555' })));
    await conn.sobject('Account').destroy(changed.slice(0, 3));
    const window = `SystemModstamp >= ${literal(1)} AND SystemModstamp < ${literal(20)}`;
    const fields = 'Id, Name, Phone, IsDeleted, SystemModstamp';
    const rest = await conn.query(`SELECT ${fields} FROM Account WHERE ${window}`, { scanAll: true });
    const restScan = await conn.query(`SELECT ${fields} FROM Account WHERE (${window})`, { scanAll: true });
    expect(rest.records.map((record) => record.Id)).toEqual(changed);
    expect(rest.records).toEqual(restScan.records);
    const live = await conn.query(`SELECT COUNT() FROM Account WHERE ${window}`);
    expect(live.totalSize).toBe(changed.length - 3);
    const bulk = async (where: string) =>
      (await (
        await conn.bulk2.query(`SELECT ${fields} FROM Account WHERE ${where}`, {
          scanAll: true,
          pollInterval: 10,
          pollTimeout: 30_000,
        })
      ).toArray()) as Array<Record<string, unknown>>;
    const rows = await bulk(window);
    expect(rows.map((row) => row.Id)).toEqual(changed);
    expect(rows).toEqual(await bulk(`(${window})`));
  });
});
