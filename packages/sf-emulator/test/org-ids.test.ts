import { describe, expect, it } from 'vitest';
import { ID_POD, idFor, idSuffix, isValidId, newId, normalizeId, to18, toBase62 } from '../src/ids.js';

describe('Salesforce ids', () => {
  it('computes the checksum suffix of known ids', () => {
    // Worked examples: each 5-character chunk sets bit i when character i is upper case.
    expect(to18('001A0000006Vm9r')).toBe('001A0000006Vm9rIAC');
    expect(to18('00D000000000062')).toBe('00D000000000062EAA');
    expect(to18('a0B5g00000ZZZZZ')).toBe('a0B5g00000ZZZZZEA5');
    expect(to18('005fn000003twuU')).toBe('005fn000003twuUAAQ');
    expect(idSuffix('000000000000000')).toBe('AAA');
    expect(idSuffix('AAAAAAAAAAAAAAA')).toBe('555');
  });

  it('accepts 15 and 18 characters, either case of the suffix, and rejects a wrong checksum', () => {
    expect(isValidId('001A0000006Vm9r')).toBe(true);
    expect(isValidId('001A0000006Vm9rIAC')).toBe(true);
    expect(isValidId('001A0000006Vm9riac')).toBe(true);
    expect(isValidId('001A0000006Vm9rAAA')).toBe(false);
    expect(isValidId('001A0000006Vm9')).toBe(false);
    expect(isValidId('001A0000006Vm9r!')).toBe(false);
    expect(isValidId(42)).toBe(false);
    expect(normalizeId('001A0000006Vm9riac')).toBe('001A0000006Vm9rIAC');
    expect(normalizeId('001A0000006Vm9r')).toBe('001A0000006Vm9rIAC');
    expect(normalizeId('nope')).toBeUndefined();
  });

  it('generates ids with the key prefix and a valid checksum', () => {
    const id = idFor('001', 12345);
    expect(id).toHaveLength(18);
    expect(id.startsWith('001')).toBe(true);
    expect(isValidId(id)).toBe(true);
    expect(idFor('001', 12346)).not.toBe(id);
    for (const sequence of [0, 1, 61, 62, 3843, 238_327, 1_000_000, 62 ** 8 + 5]) {
      expect(idFor('a0B', sequence)).toBe(to18(`a0B${ID_POD}${toBase62(sequence, 9)}`));
    }
    const fresh = newId('a01');
    expect(fresh.startsWith('a01')).toBe(true);
    expect(isValidId(fresh)).toBe(true);
  });
});
