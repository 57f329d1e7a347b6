import { seededRandom } from '@kicksaw/core';
import { describe, expect, it } from 'vitest';
import { idFor } from '../src/ids.js';
import { KeyIndex } from '../src/org/key-index.js';

describe('KeyIndex', () => {
  it('answers get, has, set, setAbsent, delete and size as a Map does through growth, deletes and reinserts', () => {
    const random = seededRandom(7);
    const index = new KeyIndex();
    const map = new Map<string, string | string[]>();
    for (let step = 0; step < 60_000; step++) {
      // Keys from a pool small enough that deletes, updates and reinserts of the same key happen often.
      const key = `ext-${Math.floor(random() * 20_000)}${step % 3 === 0 ? 'é' : step % 7 === 0 ? '\u4e00' : ''}`;
      const roll = random();
      if (roll < 0.55) {
        const value = roll < 0.05 ? [`a${step}`, `b${step}`] : `id${step}`;
        // A key just looked up and absent is set without a second lookup, as an insert's unique key is.
        if (index.get(key) === undefined && step % 2 === 0) index.setAbsent(key, value);
        else index.set(key, value);
        map.set(key, value);
      } else if (roll < 0.8) {
        expect(index.delete(key)).toBe(map.delete(key));
      } else {
        expect(index.get(key)).toEqual(map.get(key));
        expect(index.has(key)).toBe(map.has(key));
      }
      if (step % 5_000 === 0) expect(index.size).toBe(map.size);
    }
    expect(index.size).toBe(map.size);
    for (const [key, value] of map) expect(index.get(key)).toEqual(value);
    expect(index.get('absent')).toBeUndefined();
    expect(index.delete('absent')).toBe(false);
  });

  it('keeps keys past its first page of characters, through deletes and the renumbering they bring', () => {
    const index = new KeyIndex();
    const map = new Map<string, string>();
    // About 3.5 MB of key characters: four pages; a third deleted, then as many again added (a rehash compacts).
    for (let i = 0; i < 150_000; i++) {
      const key = `key-${String(i).padStart(8, '0')}-${'x'.repeat(i % 20)}${i % 1000 === 0 ? '\u4e00' : ''}`;
      index.set(key, `id${i}`);
      map.set(key, `id${i}`);
    }
    let at = 0;
    for (const key of [...map.keys()]) {
      if (at++ % 3 === 0) {
        expect(index.delete(key)).toBe(true);
        map.delete(key);
      }
    }
    for (let i = 0; i < 150_000; i++) {
      const key = `new-${i}-${'y'.repeat(i % 30)}`;
      if (index.get(key) === undefined) index.setAbsent(key, `n${i}`);
      map.set(key, `n${i}`);
    }
    expect(index.size).toBe(map.size);
    for (const [key, value] of map) expect(index.get(key)).toBe(value);
    expect(index.get('key-00000000-')).toBeUndefined(); // deleted
    expect(index.get('key-00000001-x')).toBe('id1');
  });

  it('tells apart keys that differ only in case or by a character outside Latin-1', () => {
    const index = new KeyIndex();
    index.set('Acme', '1');
    index.set('acme', '2');
    index.set('acme\u4e00', '3');
    expect([index.get('Acme'), index.get('acme'), index.get('acme\u4e00'), index.get('ACME')]).toEqual([
      '1',
      '2',
      '3',
      undefined,
    ]);
  });

  it('gives back the ids of its object as set, kept as sequence numbers or not', () => {
    const index = new KeyIndex('a01');
    const own = idFor('a01', 123_456);
    const other = idFor('001', 123_457);
    const badChecksum = `${own.slice(0, 15)}ZZZ`;
    const many = [idFor('a01', 1), idFor('a01', 2)];
    index.setAbsent('own', own);
    index.set('other', other);
    index.set('bad', badChecksum);
    index.set('many', many);
    index.set('short', own.slice(0, 15));
    expect(['own', 'other', 'bad', 'short'].map((key) => index.get(key))).toEqual([
      own,
      other,
      badChecksum,
      own.slice(0, 15),
    ]);
    expect(index.get('many')).toBe(many);
    index.set('own', idFor('a01', 7));
    expect(index.get('own')).toBe(idFor('a01', 7));
  });
});
