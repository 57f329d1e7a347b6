import { describe, expect, it } from 'vitest';
import { recordBuilderFor } from '../src/run.js';

/** The record as the loop builds it: the reference the compiled builder must equal, keys in the same order. */
function reference(fields: readonly string[], cells: readonly (string | undefined)[]): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (let i = 0; i < fields.length; i++) {
    const value = cells[i] ?? '';
    record[fields[i] as string] = value === '#N/A' ? null : value;
  }
  return record;
}

describe('recordBuilderFor', () => {
  const cases: Array<[string, string[]]> = [
    ['plain API names', ['Ext__c', 'Name', 'Amount__c', 'Account.Name'.replace('.', '_')]],
    ['names that must not be literal keys', ['__proto__', 'constructor', '1st', 'a b', 'x"y', 'Name']],
    ['duplicate names', ['Name', 'name', 'Name']],
  ];
  for (const [what, fields] of cases) {
    it(`builds the record as sent for ${what}: #N/A as null, a missing cell empty, keys in field order`, () => {
      const build = recordBuilderFor(fields);
      const rows: (string | undefined)[][] = [
        fields.map((f, i) => `${f}-${i}`),
        fields.map((_, i) => (i % 2 === 0 ? '#N/A' : '')),
        [fields[0] ?? 'x'],
        [],
      ];
      for (const row of rows) {
        const record = build(row as string[]);
        const expected = reference(fields, row);
        expect(record).toEqual(expected);
        expect(Object.keys(record)).toEqual(Object.keys(expected));
        if (what === 'plain API names') expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
      }
    });
  }

  it('gives each row an object of its own', () => {
    const build = recordBuilderFor(['A', 'B']);
    const first = build(['1', '2']);
    const second = build(['3', '4']);
    expect(first).not.toBe(second);
    expect(first).toEqual({ A: '1', B: '2' });
  });
});
