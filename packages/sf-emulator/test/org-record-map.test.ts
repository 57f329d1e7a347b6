import { seededRandom } from '@kicksaw/core';
import { describe, expect, it } from 'vitest';
import type { OrgRecord } from '../src/contract.js';
import { idFor } from '../src/ids.js';
import { RecordMap, sequenceOfId } from '../src/org/record-map.js';

const entriesOf = (map: { entries(): IterableIterator<[string, OrgRecord]> }) =>
  [...map.entries()].map(([id, record]) => [id, record.Id, record.n]);

describe('RecordMap', () => {
  it('decodes the sequence number of the ids the org makes, and -1 for anything else', () => {
    expect(sequenceOfId(idFor('a01', 0))).toBe(0);
    expect(sequenceOfId(idFor('a01', 123_456_789))).toBe(123_456_789);
    expect(sequenceOfId(idFor('001', 61))).toBe(61);
    expect(sequenceOfId('001000000000001AAA')).toBe(-1); // not the org's pod
    expect(sequenceOfId(idFor('001', 5).slice(0, 15))).toBe(-1);
    expect(sequenceOfId('')).toBe(-1);
  });

  it('gives the results and the iteration order of a Map under random sets, replaces, deletes and re-sets', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = seededRandom(seed);
      const map = new Map<string, OrgRecord>();
      const records = new RecordMap();
      let sequence = 1000;
      const known: string[] = [];
      for (let step = 0; step < 3000; step++) {
        const roll = random();
        let id: string;
        if (roll < 0.5 || known.length === 0) {
          // A new id: mostly the next ones (other objects take some), now and then a lower or a foreign one.
          sequence += 1 + Math.floor(random() * 3);
          id =
            random() < 0.01
              ? idFor('a01', Math.floor(random() * 1000))
              : random() < 0.005
                ? `001000000000${String(step).padStart(3, '0')}AAA`
                : idFor('a01', sequence);
          known.push(id);
        } else {
          id = known[Math.floor(random() * known.length)]!;
        }
        const action = random();
        if (action < 0.75) {
          const record = { Id: id, n: step } as OrgRecord;
          map.set(id, record);
          records.set(id, record);
        } else {
          expect(records.delete(id)).toBe(map.delete(id));
        }
        expect(records.size).toBe(map.size);
        const probe = known[Math.floor(random() * known.length)]!;
        expect(records.get(probe)).toStrictEqual(map.get(probe));
        expect(records.has(probe.toLowerCase())).toBe(map.has(probe.toLowerCase()));
      }
      expect(entriesOf(records)).toEqual(entriesOf(map));
      expect([...records.keys()]).toEqual([...map.keys()]);
      expect([...records.values()]).toEqual([...map.values()]);
    }
  });

  it('stays in order when ids come in order, and sees records replaced or added while it is iterated', () => {
    const records = new RecordMap();
    for (let n = 0; n < 10; n++)
      records.set(idFor('a01', 500 + 2 * n), { Id: idFor('a01', 500 + 2 * n), n } as OrgRecord);
    records.delete(idFor('a01', 504));
    const seen: unknown[] = [];
    for (const record of records.values()) {
      seen.push(record.n);
      if (record.n === 0) records.set(idFor('a01', 502), { Id: idFor('a01', 502), n: 'replaced' } as OrgRecord);
      if (record.n === 9) records.set(idFor('a01', 600), { Id: idFor('a01', 600), n: 'added' } as OrgRecord);
    }
    expect(seen).toEqual([0, 'replaced', 3, 4, 5, 6, 7, 8, 9, 'added']);
    records.clear();
    expect(records.size).toBe(0);
    expect([...records]).toEqual([]);
  });
});
