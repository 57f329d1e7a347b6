import { seededRandom } from '@kicksaw/core';
import { describe, expect, it } from 'vitest';
import type { OrgRecord } from '../src/contract.js';
import { idFor } from '../src/ids.js';
import { SEGMENT_ROWS } from '../src/org/record-columns.js';
import { RecordMap } from '../src/org/record-map.js';

/** Same keys in the same order, every value the same by Object.is (so -0, NaN and object identity count). */
function expectSameRecord(actual: OrgRecord | undefined, expected: OrgRecord): void {
  if (actual === undefined) throw new Error(`${expected.Id}: not found`);
  const keys = Object.keys(actual).join();
  if (keys !== Object.keys(expected).join()) throw new Error(`${expected.Id}: keys ${keys}`);
  for (const key of Object.keys(expected)) {
    if (!Object.is(actual![key], expected[key])) {
      throw new Error(`${expected.Id}.${key}: ${String(actual![key])} instead of ${String(expected[key])}`);
    }
  }
}

const STAMP = '2024-05-01T00:00:00.000+0000';
const USER = '0055g0000000001AAA';

describe('records kept as columns', () => {
  it('gives back every value as set, whatever it is, as columns change how they hold values', () => {
    const random = seededRandom(7);
    const address = { city: 'Oslo' };
    // Per field, values that take each column through its modes: repeated values, then many distinct ones
    // (text, numbers), then a value the mode cannot hold (a wide character, null, a string among numbers).
    const pick = (row: number): Record<string, unknown> => {
      const wide = row === 700 ? 'Zürich ☃' : `Name ${row}`;
      return {
        IsDeleted: false,
        CreatedDate: row < 500 ? STAMP : `2024-05-01T00:00:${String(row % 60).padStart(2, '0')}.000+0000`,
        CreatedById: USER,
        LastModifiedDate:
          row === 901 ? STAMP : row < 500 ? STAMP : `2024-05-01T00:00:${String(row % 60).padStart(2, '0')}.000+0000`,
        SystemModstamp: row < 500 ? STAMP : `2024-05-01T00:00:${String(row % 60).padStart(2, '0')}.000+0000`,
        Name: wide,
        Amount__c: row === 300 ? -0 : row === 301 ? Number.NaN : row === 800 ? 'not a number' : row * 1.5,
        Qty__c: row % 7,
        Flag__c: row % 3 === 0 ? null : row % 2 === 0,
        Code__c: row === 400 ? undefined : `C${Math.floor(random() * 1000)}`,
        Where__c: row === 600 ? address : null,
        Empty__c: row === 650 ? '' : 'x',
        Text__c: `t${row}`,
      };
    };
    const records = new RecordMap();
    const expected: OrgRecord[] = [];
    for (let row = 0; row < 1200; row++) {
      const id = idFor('a01', 10_000 + row);
      const record = { Id: id, ...pick(row) } as OrgRecord;
      expected.push(record);
      records.set(id, record);
    }
    for (const record of expected) expectSameRecord(records.get(record.Id), record);
    let at = 0;
    for (const record of records.values()) expectSameRecord(record, expected[at++]!);
    expect(at).toBe(expected.length);
    expect([...records.keys()]).toEqual(expected.map((record) => record.Id));
    expect(records.get(expected[600]!.Id)!.Where__c).toBe(address);
    // The columns went through the modes the values call for (read through the internals: the point of the test).
    const columns = (records as unknown as { segments: Array<{ keys: string[]; columns: Array<{ mode: number }> }> })
      .segments[0]!;
    const modeOf = (key: string) => columns.columns[columns.keys.indexOf(key)]!.mode;
    // 0 dictionary, 1 numbers, 2 plain values, 3 id, 5 text, 6 same as an earlier column.
    expect(['Id', 'CreatedById', 'Qty__c', 'Text__c', 'SystemModstamp'].map(modeOf)).toEqual([3, 0, 0, 5, 6]);
    expect(['Name', 'Amount__c', 'Code__c', 'LastModifiedDate'].map(modeOf)).toEqual([2, 2, 2, 2]);
  });

  it("keeps the default Name (the id's first 15 characters) without storing it, until a row differs", () => {
    const records = new RecordMap();
    const ids: string[] = [];
    for (let row = 0; row < 100; row++) {
      const id = idFor('a02', 500 + row);
      ids.push(id);
      records.set(id, { Id: id, Name: row === 60 ? 'Given' : id.slice(0, 15), OwnerId: USER } as OrgRecord);
    }
    ids.forEach((id, row) => {
      expect(records.get(id)).toEqual({ Id: id, Name: row === 60 ? 'Given' : id.slice(0, 15), OwnerId: USER });
    });
  });

  it('keeps records of other shapes, replaced records and records past a full segment apart', () => {
    const records = new RecordMap();
    const map = new Map<string, OrgRecord>();
    const set = (record: OrgRecord) => {
      records.set(record.Id, record);
      map.set(record.Id, record);
    };
    const count = SEGMENT_ROWS + 300;
    for (let row = 0; row < count; row++) {
      const id = idFor('a03', 1 + row);
      // Three shapes interleaved, one of them with the keys in another order.
      if (row % 3 === 0) set({ Id: id, Name: `A${row}`, N__c: row } as OrgRecord);
      else if (row % 3 === 1) set({ Id: id, N__c: row, Name: `B${row}` } as OrgRecord);
      else set({ Id: id, Name: `C${row}` } as OrgRecord);
    }
    // Replacements (a new shape too) and deletions keep their places, as in a Map.
    for (let row = 0; row < count; row += 1000) set({ Id: idFor('a03', 1 + row), Name: 'replaced', Extra__c: true });
    for (let row = 500; row < count; row += 1000) {
      records.delete(idFor('a03', 1 + row));
      map.delete(idFor('a03', 1 + row));
    }
    expect(records.size).toBe(map.size);
    const actual = [...records.values()];
    const wanted = [...map.values()];
    expect(actual.length).toBe(wanted.length);
    actual.forEach((record, at) => {
      expectSameRecord(record, wanted[at]!);
    });
  });

  it('keeps records of ever new shapes as objects once a few small segments exist', () => {
    const records = new RecordMap();
    const expected: OrgRecord[] = [];
    for (let row = 0; row < 2000; row++) {
      const id = idFor('a05', 1 + row);
      const record = { Id: id, Name: `N${row}`, [`Field${row}__c`]: row } as OrgRecord;
      expected.push(record);
      records.set(id, record);
    }
    // One segment a 64 records of new shapes past the first 16 small segments (2000 records: 16 + 31).
    const segments = () => (records as unknown as { segments: Array<{ size: number }> }).segments;
    expect(segments().length).toBe(47);
    // Then one shape again and again: a segment after at most 64 records kept as objects.
    for (let row = 2000; row < 2200; row++) {
      const id = idFor('a05', 1 + row);
      const record = { Id: id, Name: `N${row}` } as OrgRecord;
      expected.push(record);
      records.set(id, record);
    }
    expect(segments().length).toBe(48);
    expect(segments()[47]!.size).toBeGreaterThanOrEqual(200 - 64);
    let at = 0;
    for (const record of records.values()) expectSameRecord(record, expected[at++]!);
    expect(at).toBe(2200);
  });

  it('reads a record as a copy: changing it changes nothing stored', () => {
    const records = new RecordMap();
    const id = idFor('a04', 42);
    records.set(id, { Id: id, Name: 'Kept' } as OrgRecord);
    const read = records.get(id)!;
    read.Name = 'Changed';
    expect(records.get(id)!.Name).toBe('Kept');
    expect(records.get(`${id.slice(0, 15)}AAB`)).toBeUndefined();
    expect(records.has(id)).toBe(true);
    expect(records.has(id.toLowerCase())).toBe(false);
  });
});
