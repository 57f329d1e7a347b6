import { describe, expect, it } from 'vitest';
import type { DmlResult } from '../src/contract.js';
import { idFor } from '../src/ids.js';
import { createOrg } from '../src/index.js';
import type { InsertedRows } from '../src/org/dml.js';

const objects = [
  {
    name: 'Item__c',
    fields: [
      { name: 'ExtId__c', type: 'string' as const, length: 20, externalId: true, unique: true },
      { name: 'Amount__c', type: 'double' as const, precision: 16, scale: 2 },
      { name: 'Qty__c', type: 'int' as const, precision: 9, scale: 0 },
      { name: 'Seen__c', type: 'datetime' as const },
      { name: 'Flag__c', type: 'boolean' as const },
      { name: 'Email__c', type: 'email' as const },
    ],
  },
];
const columns = ['Name', 'ExtId__c', 'Amount__c', 'Qty__c', 'Seen__c', 'Flag__c', 'Email__c'];
const rows = [
  ['One', 'E-1', '1.5', '1', '2024-03-01T10:00:00Z', 'true', 'a@example.com'],
  ['Two', 'E-2', '', '2', '2024-03-02T10:00:00Z', 'false', 'b@example.com'], // empty cell: the generic path
  ['Three', 'e-1', '3', '3', '2024-03-03T10:00:00Z', 'true', 'c@example.com'], // duplicate external id (case)
  ['Four', 'E-4', 'x', '4', '2024-03-04T10:00:00Z', 'true', 'd@example.com'], // not a number
  ['Five', 'E-5', '#N/A', '5', '2024-03-05T10:00:00Z', 'true', 'not-an-email'], // bad email
  ['Six', 'E-6', '6'], // short row: the missing cells are empty
  ['Seven', 'E-7', '#N/A', '7', '2024-03-07T10:00:00+02:00', 'true', 'g@example.com'],
];

function both() {
  const clock = '2024-06-01T00:00:00Z';
  return { viaDml: createOrg({ objects, clock }), viaRows: createOrg({ objects, clock }) };
}

/** The id of a row as `insertRows` reports it (a number: the sequence of an id of the object's key prefix). */
function idOf(inserted: InsertedRows, index: number): string | null {
  const id = inserted.ids[index];
  return typeof id === 'number' ? idFor(inserted.idPrefix, id) : (id ?? null);
}

describe('insertRows (Bulk ingest inserts without an input record a row)', () => {
  it('stores the records and reports the outcomes that dml(insert) does for the same rows', () => {
    const { viaDml, viaRows } = both();
    const records = rows.map((row) => Object.fromEntries(columns.map((column, c) => [column, row[c] ?? ''])));
    const options = { csvValues: true, rejectDuplicateExternalIds: true };
    const expected: DmlResult[] = viaDml.dml('insert', 'Item__c', records, options);
    const inserted = viaRows.insertRows('Item__c', columns, rows, options);
    const got = rows.map(
      (_, index): DmlResult =>
        inserted.failures.get(index) ?? {
          success: true,
          id: idOf(inserted, index),
          created: (inserted.flags[index]! & 2) === 2,
          errors: [],
        },
    );
    expect(got).toEqual(expected);
    expect(expected.map((result) => result.success)).toEqual([true, true, false, false, false, true, true]);
    expect(viaRows.records('Item__c')).toEqual(viaDml.records('Item__c'));
    // Same properties in the same order (the compiled insert and the generic path build the same shape).
    expect(viaRows.records('Item__c').map((record) => Object.keys(record))).toEqual(
      viaDml.records('Item__c').map((record) => Object.keys(record)),
    );
    expect(viaRows.findByExternalId('Item__c', 'ExtId__c', 'e-7').map((record) => record.Name)).toEqual(['Seven']);
  });

  it('with allOrNone, a failed row rolls every row back', () => {
    const { viaRows } = both();
    const inserted = viaRows.insertRows('Item__c', columns, rows.slice(0, 4), { csvValues: true, allOrNone: true });
    expect([...inserted.flags]).toEqual([0, 0, 0, 0]);
    expect(inserted.ids).toEqual([null, null, null, null]);
    expect(inserted.failures.get(0)?.errors[0]?.statusCode).toBe('ALL_OR_NONE_OPERATION_ROLLED_BACK');
    expect(inserted.failures.get(2)?.errors[0]?.statusCode).toBe('DUPLICATE_VALUE');
    expect(viaRows.records('Item__c')).toEqual([]);
  });

  it('refuses the fault hook, which reads input records', () => {
    const { viaRows } = both();
    expect(() => viaRows.insertRows('Item__c', columns, rows, { injectError: () => undefined })).toThrow(/use dml/);
  });
});
