// The range index on SystemModstamp and CreatedDate: after every way the org writes records (DML, the Bulk ingest's
// column path, generate, seed, persistence, the recycle bin, a rollback, the clock set back), a query the planner
// answers from the index returns what a full scan returns, in the same order; and the index itself holds exactly the
// records' current stamps.
import { seededRandom } from '@kicksaw/core';
import { describe, expect, it } from 'vitest';
import type { OrgRecord } from '../src/contract.js';
import { createOrg, type EmulatedOrg, type LocalOrg } from '../src/org/index.js';
import { STAMP_FIELDS, StampIndex, stampKey } from '../src/org/modstamp-index.js';
import { formatDateTime } from '../src/org/values.js';

const START = Date.parse('2024-06-01T00:00:00.000Z');
const MINUTE = 60_000;

function newOrg(): EmulatedOrg & LocalOrg {
  return createOrg({ clock: new Date(START).toISOString() }) as EmulatedOrg & LocalOrg;
}

const at = (minutes: number) => formatDateTime(START + minutes * MINUTE);
const literal = (minutes: number) => new Date(START + minutes * MINUTE).toISOString();

/**
 * Checks the index of every stamp field of Account against the records: all of it, and the range between each pair of
 * neighbouring distinct stamps (and from each), read through `stampRange`, names exactly the records a filter of a
 * scan names, in the same order.
 */
function expectIndexMatchesRecords(org: LocalOrg, objectName = 'Account'): void {
  const records = org.storeOf(objectName)!.records;
  const all = [...records.values()];
  for (const field of STAMP_FIELDS) {
    const keys = [...new Set(all.map((record) => stampKey(record[field])).filter((key) => key >= 0))].sort(
      (a, b) => a - b,
    );
    const bounds: Array<[number, number]> = [[Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]];
    const step = Math.max(1, Math.floor(keys.length / 40)); // about 40 keys of many
    for (let index = 0; index < keys.length; index += step) {
      bounds.push([keys[index]!, keys[index]!], [keys[index]!, Number.POSITIVE_INFINITY]);
      if (index > 0) bounds.push([keys[index - step]!, keys[index]!]);
    }
    for (const [low, high] of bounds) {
      const places = records.stampRange(field, low, high, Number.POSITIVE_INFINITY);
      expect(places, `${field} is indexed`).toBeDefined();
      const found = [...places!].map((place) => records.recordAt(place)?.Id);
      const expected = all
        .filter((record) => {
          const key = stampKey(record[field]);
          return key >= 0 && key >= low && key <= high;
        })
        .map((record) => record.Id);
      expect(found, `${field} in [${low}, ${high}]`).toEqual(expected);
    }
  }
}

/**
 * Runs a WHERE clause as the planner answers it (a plain AND chain) and as a full scan (the same clause in
 * parentheses, which the planner does not read), through REST query and queryAll, COUNT() and a Bulk query, and
 * expects the same records in the same order. Returns the ids found by query.
 */
function expectSameAsScan(org: EmulatedOrg, where: string, objectName = 'Account'): string[] {
  const fields = 'Id, Name, SystemModstamp, CreatedDate, IsDeleted';
  let ids: string[] = [];
  for (const all of [false, true]) {
    const planned = org.query(`SELECT ${fields} FROM ${objectName} WHERE ${where}`, { all });
    const scanned = org.query(`SELECT ${fields} FROM ${objectName} WHERE (${where})`, { all });
    expect(planned.records, `${where} (all: ${all})`).toEqual(scanned.records);
    const count = org.query(`SELECT COUNT() FROM ${objectName} WHERE ${where}`, { all }).totalSize;
    expect(count).toBe(scanned.totalSize);
    const bulkPlanned = org.bulkQuery(`SELECT ${fields} FROM ${objectName} WHERE ${where}`, { all });
    const bulkScanned = org.bulkQuery(`SELECT ${fields} FROM ${objectName} WHERE (${where})`, { all });
    const rowsOf = (rows: typeof bulkPlanned) => rows.rows.map((row) => rows.recordOf(row));
    expect(rowsOf(bulkPlanned)).toEqual(rowsOf(bulkScanned));
    if (!all) ids = (planned.records as OrgRecord[]).map((record) => record.Id);
  }
  return ids;
}

/** The ranges every write-path test queries, around the minutes its writes were made at. */
function expectRangesSameAsScan(org: EmulatedOrg, minutes: number[]): void {
  for (const from of minutes) {
    expectSameAsScan(org, `SystemModstamp >= ${literal(from)}`);
    expectSameAsScan(org, `SystemModstamp > ${literal(from)}`);
    expectSameAsScan(org, `SystemModstamp <= ${literal(from)}`);
    expectSameAsScan(org, `SystemModstamp = ${literal(from)}`);
    expectSameAsScan(org, `CreatedDate < ${literal(from)}`);
    for (const to of minutes) {
      expectSameAsScan(org, `SystemModstamp >= ${literal(from)} AND SystemModstamp < ${literal(to)}`);
      expectSameAsScan(org, `CreatedDate >= ${literal(from)} AND SystemModstamp < ${literal(to)} AND Name != 'x'`);
    }
  }
}

describe('stampKey', () => {
  it('orders the datetimes the org stores as their text orders them, and refuses any other form', () => {
    const random = seededRandom(7);
    const texts: string[] = [];
    for (let index = 0; index < 2000; index++) {
      const millis = Date.UTC(1000, 0, 1) + Math.floor(random() * (Date.UTC(9999, 11, 31) - Date.UTC(1000, 0, 1)));
      texts.push(formatDateTime(index % 10 === 0 ? Math.floor(millis / 1000) * 1000 : millis));
    }
    texts.sort();
    for (let index = 1; index < texts.length; index++) {
      const [before, after] = [stampKey(texts[index - 1]), stampKey(texts[index])];
      expect(before).toBeGreaterThanOrEqual(0);
      expect(texts[index - 1] === texts[index] ? before === after : before < after).toBe(true);
    }
    expect(stampKey(null)).toBe(-1);
    expect(stampKey(undefined)).toBe(-1);
    for (const other of ['2024-06-01T00:00:00Z', '2024-06-01T00:00:00.000Z', '2024-06-01', 1_717_200_000_000]) {
      expect(stampKey(other)).toBe(-2);
    }
    expect(stampKey(formatDateTime(Date.UTC(10_000, 0, 1)))).toBe(-2); // +010000-...: not the 28-character form
  });
});

describe('StampIndex', () => {
  it('finds each slot once, by its latest key, through random writes, removals, keys going back and compaction', () => {
    for (const seed of [1, 2, 3]) {
      const random = seededRandom(seed);
      const index = new StampIndex();
      const model = new Map<number, number>();
      let clock = 1_000_000;
      for (let step = 0; step < 20_000; step++) {
        const roll = random();
        const slot = Math.floor(random() * 300);
        if (roll < 0.1) {
          index.remove(slot);
          model.delete(slot);
        } else if (roll < 0.12) {
          index.write(slot, null);
          model.delete(slot);
        } else {
          if (roll > 0.995)
            clock -= Math.floor(random() * 50) * MINUTE; // the clock set back
          else if (roll > 0.5) clock += Math.floor(random() * 3) * 1000;
          const text = formatDateTime(START + clock);
          index.write(slot, text);
          model.set(slot, stampKey(text));
        }
        if (step % 97 === 0) {
          const keys = [...model.values()];
          const low = keys[Math.floor(random() * keys.length)] ?? 0;
          const high = random() < 0.2 ? Number.POSITIVE_INFINITY : low + Math.floor(random() * 20) * 1000;
          const expected = [...model.entries()]
            .filter(([, key]) => key >= low && key <= high)
            .map(([slot]) => slot)
            .sort((a, b) => a - b);
          expect([...index.range(low, high, Number.POSITIVE_INFINITY)!]).toEqual(expected);
        }
      }
    }
  });

  it('answers undefined past the limit, and for good once a value of another form is written', () => {
    const index = new StampIndex();
    for (let slot = 0; slot < 10; slot++) index.write(slot, at(slot));
    expect(index.range(stampKey(at(2)), stampKey(at(4)), 3)).toEqual(new Int32Array([2, 3, 4]));
    expect(index.range(stampKey(at(2)), stampKey(at(5)), 3)).toBeUndefined();
    index.write(3, '2024-06-01T00:00:00Z');
    expect(index.usable).toBe(false);
    expect(index.range(0, Number.POSITIVE_INFINITY, 100)).toBeUndefined();
  });
});

describe('the range index in the org', () => {
  it('follows DML insert, update, upsert, delete, undelete, hard delete and emptying the recycle bin', () => {
    const org = newOrg();
    const names = Array.from({ length: 30 }, (_, index) => ({ Name: `A${index}`, AccountNumber: `N${index}` }));
    const ids = org.dml('insert', 'Account', names).map((result) => result.id!);
    org.clock.set(literal(1));
    org.dml('insert', 'Account', [{ Name: 'B0' }, { Name: 'B1' }]);
    org.clock.set(literal(2));
    org.dml('update', 'Account', [
      { Id: ids[3], Name: 'A3 again' },
      { Id: ids[17], Name: 'A17 again' },
    ]);
    expect(expectSameAsScan(org, `SystemModstamp >= ${literal(2)}`)).toEqual([ids[3], ids[17]]);
    org.clock.set(literal(3));
    org.dml('upsert', 'Account', [{ Id: ids[5], Name: 'A5 upserted' }, { Name: 'C0' }], {});
    org.clock.set(literal(4));
    org.dml('delete', 'Account', [{ Id: ids[7] }, { Id: ids[8] }]);
    org.clock.set(literal(5));
    org.dml('undelete', 'Account', [{ Id: ids[8] }]);
    org.clock.set(literal(6));
    org.dml('hardDelete', 'Account', [{ Id: ids[9] }]);
    org.dml('delete', 'Account', [{ Id: ids[10] }]);
    org.emptyRecycleBin([ids[10]!]);
    expectIndexMatchesRecords(org);
    expectRangesSameAsScan(org, [0, 1, 2, 3, 4, 5, 6, 7]);
    // The soft-deleted record is found by queryAll, not by query.
    const deleted = org.query(`SELECT Id FROM Account WHERE SystemModstamp = ${literal(4)}`, { all: true });
    expect(deleted.records.map((record) => record.Id)).toEqual([ids[7]]);
    expect(org.query(`SELECT COUNT() FROM Account WHERE SystemModstamp = ${literal(4)}`).totalSize).toBe(0);
  });

  it('follows the Bulk ingest paths (insertRows, upsertRows) and a rolled back transaction', () => {
    const org = newOrg();
    const rows = Array.from({ length: 200 }, (_, index) => [`R${index}`, `E${index}`]);
    org.insertRows('Account', ['Name', 'AccountNumber'], rows);
    org.clock.set(literal(1));
    org.insertRows('Account', ['Name', 'AccountNumber'], rows.slice(0, 50), { columnInsert: false });
    org.clock.set(literal(2));
    org.addField('Account', { name: 'Key__c', type: 'string', length: 20, externalId: true, unique: true });
    org.upsertRows(
      'Account',
      ['Key__c', 'Name'],
      [
        ['K1', 'Upserted new 1'],
        ['K2', 'Upserted new 2'],
      ],
      { externalIdField: 'Key__c' },
    );
    org.clock.set(literal(3));
    org.upsertRows('Account', ['Key__c', 'Name'], [['K1', 'Upserted again']], { externalIdField: 'Key__c' });
    expectIndexMatchesRecords(org);
    expectRangesSameAsScan(org, [0, 1, 2, 3, 4]);
    // A rollback takes an updated record out and puts it back, which moves it to the end of the store's order (a
    // Map's): the store keeps its records in a Map from then on, and queries scan, with the same answers.
    org.clock.set(literal(4));
    const [first] = org.query('SELECT Id FROM Account LIMIT 1').records as OrgRecord[];
    const transaction = org.beginTransaction();
    org.dml('update', 'Account', [{ Id: first!.Id, Name: 'rolled back' }]);
    org.dml('insert', 'Account', [{ Name: 'rolled back too' }]);
    transaction.rollback();
    expect(org.storeOf('Account')!.records.stampRange('SystemModstamp', 0, Number.POSITIVE_INFINITY, 1e9)).toBe(
      undefined,
    );
    expectRangesSameAsScan(org, [0, 3, 4, 5]);
    expect(org.query(`SELECT COUNT() FROM Account WHERE SystemModstamp >= ${literal(4)}`).totalSize).toBe(0);
  });

  it('follows generate, seed and an org loaded from its saved state', () => {
    const org = newOrg();
    org.generate('Account', 500, { spread: { from: literal(-600), to: literal(-100) } });
    org.seed('Account', [
      { Name: 'seeded late', SystemModstamp: literal(-50), CreatedDate: literal(-900) },
      {
        Name: 'seeded early',
        SystemModstamp: literal(-550),
        CreatedDate: literal(-1000),
        LastModifiedDate: literal(-550),
      },
      { Name: 'seeded now' },
    ]);
    const records = org.storeOf('Account')!.records;
    const ids = [...records.keys()];
    org.clock.set(literal(1));
    // Records updated out of id order, so that the saved order is not the order of the stamps.
    for (let index = 0; index < ids.length; index += 37) org.dml('update', 'Account', [{ Id: ids[index], Phone: '1' }]);
    const minutes = [-1000, -600, -550, -101, -50, 0, 1];
    expectIndexMatchesRecords(org);
    expectRangesSameAsScan(org, minutes);
    const loaded = createOrg({ fromJSON: JSON.parse(JSON.stringify(org.toJSON())) }) as EmulatedOrg & LocalOrg;
    expectIndexMatchesRecords(loaded);
    expectRangesSameAsScan(loaded, minutes);
    expect(expectSameAsScan(loaded, `SystemModstamp >= ${literal(1)}`)).toEqual(
      ids.filter((_, index) => index % 37 === 0),
    );
  });

  it('stays right when the clock is set back, and date literals use it', () => {
    const org = newOrg();
    const ids = org
      .dml(
        'insert',
        'Account',
        Array.from({ length: 40 }, (_, index) => ({ Name: `A${index}` })),
      )
      .map((result) => result.id!);
    const random = seededRandom(11);
    const minutes: number[] = [0];
    let minute = 0;
    for (let step = 0; step < 60; step++) {
      minute += random() < 0.3 ? -Math.floor(random() * 20) : Math.floor(random() * 5);
      minutes.push(minute);
      org.clock.set(literal(minute));
      const id = ids[Math.floor(random() * ids.length)]!;
      const roll = random();
      if (roll < 0.1) org.dml('delete', 'Account', [{ Id: id }]);
      else if (roll < 0.2) org.dml('undelete', 'Account', [{ Id: id }]);
      else if (roll < 0.3) org.dml('insert', 'Account', [{ Name: `new ${step}` }]);
      else org.dml('update', 'Account', [{ Id: id, Name: `step ${step}` }]);
    }
    expectIndexMatchesRecords(org);
    expectRangesSameAsScan(
      org,
      [...new Set(minutes)].sort((a, b) => a - b).filter((_, index) => index % 3 === 0),
    );
    org.clock.set(literal(2 * 1440));
    for (const dateLiteral of ['TODAY', 'YESTERDAY', 'LAST_N_DAYS:3', 'NEXT_N_DAYS:2']) {
      for (const operator of ['=', '<', '<=', '>', '>='])
        expectSameAsScan(org, `SystemModstamp ${operator} ${dateLiteral}`);
    }
  });

  it('is used for a range that leaves out most records, with an alias and beside other conditions', () => {
    const org = newOrg();
    org.generate('Account', 1000, { spread: { from: literal(0), to: literal(1000) } });
    // The index answers: the records it finds are the range's, no more.
    const records = org.storeOf('Account')!.records;
    const places = records.stampRange('SystemModstamp', stampKey(at(100)), stampKey(at(110)), 1000);
    expect(places?.length).toBe(11);
    const found = expectSameAsScan(org, `SystemModstamp >= ${literal(100)} AND SystemModstamp < ${literal(110)}`);
    expect(found).toHaveLength(10);
    const aliased = org.query(
      `SELECT a.Id FROM Account a WHERE a.SystemModstamp >= ${literal(100)} AND a.SystemModstamp < ${literal(110)} ORDER BY a.Name DESC`,
    );
    expect(aliased.records.map((record) => record.Id)).toEqual([...found].reverse());
    expectSameAsScan(org, `SystemModstamp >= ${literal(100)} AND Name LIKE '%5%' AND SystemModstamp < ${literal(500)}`);
    expectSameAsScan(org, `SystemModstamp > ${literal(900)} AND SystemModstamp < ${literal(100)}`);
  });

  it('falls back to a scan once a stamp of another form is stored, with the same answers', () => {
    const org = newOrg();
    org.dml('insert', 'Account', [{ Name: 'one' }, { Name: 'two' }]);
    org.seed('Account', [{ Name: 'odd', SystemModstamp: '2024-06-01T00:00:00.000+0000' }]);
    const store = org.storeOf('Account')!;
    const [id] = [...store.records.keys()];
    const record = store.records.get(id!)!;
    store.records.set(id!, { ...record, SystemModstamp: '2024-06-01T00:00:00Z' }); // not the form the org writes
    expect(store.records.stampRange('SystemModstamp', 0, Number.POSITIVE_INFINITY, 100)).toBeUndefined();
    expect(expectSameAsScan(org, `SystemModstamp >= ${literal(0)}`)).toHaveLength(3);
  });
});
