// The column insert (src/org/insert-columns.ts): Bulk CSV rows stored straight as columns give the records, ids,
// outcomes, index entries and query answers of the path through a record object a row (`columnInsert: false`) and of
// `dml('insert')`, for every value kind, for rows that must leave it mixed with rows that take it, and for objects
// it does not apply to.
import { describe, expect, it } from 'vitest';
import type { DmlResult, ObjectDefinition } from '../src/contract.js';
import { idFor } from '../src/ids.js';
import { createOrg, type EmulatedOrg } from '../src/index.js';
import type { InsertedRows } from '../src/org/dml.js';
import { columnInsertRows } from '../src/org/insert-columns.js';

const PARENT: ObjectDefinition = {
  name: 'Parent__c',
  fields: [{ name: 'Key__c', type: 'string', length: 20, externalId: true, unique: true }],
};

/** One field of every kind a Bulk CSV cell can fill, a unique and a non-unique external id, a default, a required. */
const KIND: ObjectDefinition = {
  name: 'Kind__c',
  recordTypes: [{ developerName: 'Main' }, { developerName: 'Other' }],
  fields: [
    { name: 'Ext__c', type: 'string', length: 20, externalId: true, unique: true },
    { name: 'Group__c', type: 'string', length: 20, externalId: true },
    { name: 'Code__c', type: 'string', length: 10, required: true },
    { name: 'Note__c', type: 'textarea', length: 255 },
    { name: 'Amount__c', type: 'double', precision: 16, scale: 2 },
    { name: 'Qty__c', type: 'int', precision: 9, scale: 0 },
    { name: 'Price__c', type: 'currency', precision: 16, scale: 2 },
    { name: 'Rate__c', type: 'percent', precision: 5, scale: 2 },
    { name: 'Due__c', type: 'date' },
    { name: 'Seen__c', type: 'datetime' },
    { name: 'At__c', type: 'time' },
    { name: 'Flag__c', type: 'boolean' },
    { name: 'Email__c', type: 'email' },
    { name: 'Phone__c', type: 'phone' },
    { name: 'Site__c', type: 'url' },
    { name: 'Stage__c', type: 'picklist', picklistValues: ['New', 'Open', 'Closed'] },
    { name: 'Tags__c', type: 'multipicklist', picklistValues: ['a', 'b', 'c'] },
    { name: 'Parent__c', type: 'reference', referenceTo: ['Parent__c'], relationshipName: 'Parent__r' },
    { name: 'Level__c', type: 'string', length: 10, defaultValue: 'basic' },
  ],
};

/** Objects the column insert leaves to the record object: a validation rule, an autonumber. */
const RULED: ObjectDefinition = {
  name: 'Ruled__c',
  fields: [
    { name: 'Ext__c', type: 'string', length: 20, externalId: true, unique: true },
    { name: 'Qty__c', type: 'int', precision: 9, scale: 0 },
  ],
  validationRules: [(record) => ((record.Qty__c as number) > 900 ? 'Qty__c too high' : undefined)],
};
const NUMBERED: ObjectDefinition = {
  name: 'Numbered__c',
  fields: [
    { name: 'Ext__c', type: 'string', length: 20, externalId: true, unique: true },
    { name: 'Num__c', type: 'autonumber', displayFormat: 'N-{0000}' },
  ],
};

const COLUMNS = [
  'Name',
  'Ext__c',
  'Group__c',
  'Code__c',
  'Note__c',
  'Amount__c',
  'Qty__c',
  'Price__c',
  'Rate__c',
  'Due__c',
  'Seen__c',
  'At__c',
  'Flag__c',
  'Email__c',
  'Phone__c',
  'Site__c',
  'Stage__c',
  'Tags__c',
  'Parent__c',
];

/** `n` rows of every kind, values repeating and changing (dictionary columns fill and overflow), then odd ones. */
function kindRows(n: number, parents: string[]): string[][] {
  const rows: string[][] = [];
  for (let i = 0; i < n; i++) {
    const day = String((i % 28) + 1).padStart(2, '0');
    rows.push([
      `Row ${i}`,
      `EXT-${i}`,
      `G${i % 7}`,
      `C${i % 300}`,
      i % 50 === 0 ? `note ${i} ünïcödé 漢字` : `note ${i}, "quoted"`,
      String((i % 1000) / 100),
      String(i % 5000),
      `${i}.25`,
      String(i % 100),
      `2024-03-${day}`,
      i % 9 === 0 ? `2024-03-${day}T10:20:30+02:00` : `2024-03-${day}T10:20:30Z`,
      `10:${String(i % 60).padStart(2, '0')}:00.000Z`,
      i % 2 === 0 ? 'true' : 'false',
      `u${i}@example.com`,
      `+1 555 ${i}`,
      `https://example.com/${i}`,
      ['New', 'Open', 'Closed'][i % 3]!,
      ['a', 'a;b', 'b;c'][i % 3]!,
      i % 4 === 0 ? '#N/A' : (parents[i % parents.length] as string),
    ]);
  }
  // Rows that cannot take the column insert, among rows that can.
  const odd = (at: number, column: string, value: string) => {
    rows[at]![COLUMNS.indexOf(column)] = value;
  };
  odd(5, 'Amount__c', ''); // an empty cell: the generic path
  odd(6, 'Code__c', '#N/A'); // required field set null: REQUIRED_FIELD_MISSING
  odd(7, 'Ext__c', 'ext-3'); // a unique value taken (other case): DUPLICATE_VALUE
  odd(8, 'Qty__c', 'many'); // not a number
  odd(9, 'Email__c', 'not-an-email');
  odd(10, 'Stage__c', 'Unknown'); // restricted picklist? kept as the generic path says
  odd(11, 'Parent__c', 'a00000000000000AAA'); // a parent that does not exist
  odd(12, 'Name', ''); // the default Name (the id's first 15 characters), through the generic path
  odd(13, 'Name', '#N/A'); // the default Name through the column insert
  odd(14, 'Due__c', '2024-02-30'); // not a date
  odd(15, 'Flag__c', 'maybe');
  odd(16, 'Group__c', '#N/A'); // no key in the non-unique index
  odd(17, 'Ext__c', '#N/A'); // no key in the unique index
  rows[18] = rows[18]!.slice(0, 5); // a short row: the missing cells are empty
  return rows;
}

function orgs() {
  const clock = '2024-06-01T00:00:00Z';
  const objects = [PARENT, KIND, RULED, NUMBERED];
  const make = () => {
    const org = createOrg({ objects, clock });
    org.dml('insert', 'Parent__c', [
      { Name: 'P1', Key__c: 'p1' },
      { Name: 'P2', Key__c: 'p2' },
    ]);
    return org;
  };
  return { columns: make(), records: make(), dml: make() };
}

/** The outcomes of `insertRows` as the results `dml` gives. */
function results(inserted: InsertedRows, count: number): DmlResult[] {
  return Array.from(
    { length: count },
    (_, index): DmlResult =>
      inserted.failures.get(index) ?? {
        success: true,
        id: idOf(inserted, index),
        created: (inserted.flags[index]! & 2) === 2,
        errors: [],
      },
  );
}

/** Everything stored and indexed for `object`, as two orgs are compared. */
function stored(org: EmulatedOrg, object: string) {
  const records = org.records(object);
  return { records, keys: records.map((record) => Object.keys(record)) };
}

const OPTIONS = { csvValues: true, rejectDuplicateExternalIds: true };

/** The id of a row as `insertRows` reports it (a number: the sequence of an id of the object's key prefix). */
function idOf(inserted: InsertedRows, index: number): string | null {
  const id = inserted.ids[index];
  return typeof id === 'number' ? idFor(inserted.idPrefix, id) : (id ?? null);
}

describe('insertRows straight into columns', () => {
  it("takes a later call's first row as columns too, once a call has checked the keys against a stored record", () => {
    const { columns, records } = orgs();
    const parents = columns.records('Parent__c').map((record) => record.Id as string);
    const rows = kindRows(80, parents).slice(20); // past the odd rows
    columns.insertRows('Kind__c', COLUMNS, rows.slice(0, 20), OPTIONS);
    const before = columnInsertRows.count;
    const second = results(columns.insertRows('Kind__c', COLUMNS, rows.slice(20), OPTIONS), 40);
    expect(columnInsertRows.count - before).toBe(40);
    records.insertRows('Kind__c', COLUMNS, rows.slice(0, 20), { ...OPTIONS, columnInsert: false });
    const slow = results(
      records.insertRows('Kind__c', COLUMNS, rows.slice(20), { ...OPTIONS, columnInsert: false }),
      40,
    );
    expect(second).toEqual(slow);
    expect(stored(columns, 'Kind__c')).toEqual(stored(records, 'Kind__c'));
  });

  it('stores every value kind as the record-object path and dml(insert) do, odd rows mixed in', () => {
    const { columns, records, dml } = orgs();
    const parents = columns.records('Parent__c').map((record) => record.Id as string);
    const rows = kindRows(400, parents);
    const expected = dml.dml(
      'insert',
      'Kind__c',
      rows.map((row) => Object.fromEntries(COLUMNS.map((column, c) => [column, row[c] ?? '']))),
      OPTIONS,
    );
    // Two calls (internal batches) into the same object, as a Bulk job makes.
    const before = columnInsertRows.count;
    const fast = [
      ...results(columns.insertRows('Kind__c', COLUMNS, rows.slice(0, 150), OPTIONS), 150),
      ...results(columns.insertRows('Kind__c', COLUMNS, rows.slice(150), OPTIONS), 250),
    ];
    const slow = [
      ...results(records.insertRows('Kind__c', COLUMNS, rows.slice(0, 150), { ...OPTIONS, columnInsert: false }), 150),
      ...results(records.insertRows('Kind__c', COLUMNS, rows.slice(150), { ...OPTIONS, columnInsert: false }), 250),
    ];
    // All but the first row of each call and the odd ones took the column insert; none of the other path's did.
    expect(columnInsertRows.count - before).toBeGreaterThan(370);
    expect(fast).toEqual(expected);
    expect(slow).toEqual(expected);
    expect(
      expected
        .slice(5, 19)
        .map((result) => (result.success ? 'ok' : result.errors[0]?.statusCode))
        .filter((code) => code !== 'ok'),
    ).toEqual(
      expect.arrayContaining([
        'REQUIRED_FIELD_MISSING',
        'DUPLICATE_VALUE',
        'INVALID_TYPE_ON_FIELD_IN_RECORD',
        'INVALID_EMAIL_ADDRESS',
        'INVALID_CROSS_REFERENCE_KEY',
      ]),
    );
    expect(expected.filter((result) => result.success).length).toBeGreaterThan(380);
    expect(stored(columns, 'Kind__c')).toEqual(stored(dml, 'Kind__c'));
    expect(stored(records, 'Kind__c')).toEqual(stored(dml, 'Kind__c'));
    const one = columns.get(fast[20]!.id as string)!;
    expect(one).toMatchObject({
      Name: 'Row 20',
      Ext__c: 'EXT-20',
      Amount__c: 0.2,
      Qty__c: 20,
      Due__c: '2024-03-21',
      Flag__c: true,
      Level__c: 'basic',
      Parent__c: null,
      IsDeleted: false,
    });
    expect(one.RecordTypeId).toEqual(expect.stringMatching(/^012/));
    expect(one.OwnerId).toBe(columns.userId);
    // The default Name: the id's first 15 characters.
    expect(columns.get(fast[13]!.id as string)?.Name).toBe((fast[13]!.id as string).slice(0, 15));
    // The indexes: the unique one (case-insensitive) and the non-unique one.
    for (const org of [columns, records, dml]) {
      expect(org.findByExternalId('Kind__c', 'Ext__c', 'ext-250').map((record) => record.Name)).toEqual(['Row 250']);
      expect(org.findByExternalId('Kind__c', 'Group__c', 'g3')).toHaveLength(
        rows.filter((row, at) => row[2] === 'G3' && expected[at]!.success).length,
      );
    }
    const soql = "SELECT Name, Amount__c, Seen__c, Parent__r.Key__c FROM Kind__c WHERE Group__c = 'G2' ORDER BY Qty__c";
    expect(columns.query(soql).records).toEqual(dml.query(soql).records);
    // A taken value is refused afterwards, and ids go on from the same counter.
    const again = columns.dml('insert', 'Kind__c', [
      { Name: 'x', Code__c: 'x', Ext__c: 'EXT-1' },
      { Name: 'y', Code__c: 'y' },
    ]);
    const againDml = dml.dml('insert', 'Kind__c', [
      { Name: 'x', Code__c: 'x', Ext__c: 'EXT-1' },
      { Name: 'y', Code__c: 'y' },
    ]);
    expect(again).toEqual(againDml);
  });

  it('stores records without a Name column (each gets the default Name) and across segments', () => {
    const { columns, dml } = orgs();
    const header = ['Ext__c', 'Code__c', 'Qty__c'];
    const rows = Array.from({ length: 66_000 }, (_, i) => [`K${i}`, `C${i % 10}`, String(i)]);
    const fast = results(columns.insertRows('Kind__c', header, rows, OPTIONS), rows.length);
    const slow = dml.dml(
      'insert',
      'Kind__c',
      rows.map(([ext, code, qty]) => ({ Ext__c: ext, Code__c: code, Qty__c: qty })),
      OPTIONS,
    );
    expect(fast).toEqual(slow);
    expect(stored(columns, 'Kind__c')).toEqual(stored(dml, 'Kind__c'));
    expect(columns.findByExternalId('Kind__c', 'Ext__c', 'k65999')[0]?.Qty__c).toBe(65_999);
  });

  it('leaves gaps of ids made for other objects between calls, as the record-object path does', () => {
    const { columns, records } = orgs();
    const header = ['Name', 'Ext__c', 'Code__c'];
    for (const org of [columns, records]) {
      for (let call = 0; call < 3; call++) {
        const rows = Array.from({ length: 50 }, (_, i) => [`N${call}-${i}`, `E${call}-${i}`, 'c']);
        org.insertRows('Kind__c', header, rows, { ...OPTIONS, columnInsert: org === columns });
        org.dml('insert', 'Parent__c', [{ Name: `between ${call}` }]);
      }
    }
    expect(stored(columns, 'Kind__c')).toEqual(stored(records, 'Kind__c'));
    expect(columns.query('SELECT COUNT() FROM Kind__c').totalSize).toBe(150);
  });

  it('leaves objects with validation rules or autonumbers to the record object, with the same outcomes', () => {
    const { columns, dml } = orgs();
    const ruled = Array.from({ length: 30 }, (_, i) => [`R${i}`, `X${i % 25}`, String(i * 40)]);
    const numbered = Array.from({ length: 30 }, (_, i) => [`N${i}`, `Y${i % 25}`]);
    const before = columnInsertRows.count;
    expect(results(columns.insertRows('Ruled__c', ['Name', 'Ext__c', 'Qty__c'], ruled, OPTIONS), 30)).toEqual(
      dml.dml(
        'insert',
        'Ruled__c',
        ruled.map(([Name, Ext__c, Qty__c]) => ({ Name, Ext__c, Qty__c })),
        OPTIONS,
      ),
    );
    expect(results(columns.insertRows('Numbered__c', ['Name', 'Ext__c'], numbered, OPTIONS), 30)).toEqual(
      dml.dml(
        'insert',
        'Numbered__c',
        numbered.map(([Name, Ext__c]) => ({ Name, Ext__c })),
        OPTIONS,
      ),
    );
    expect(columnInsertRows.count).toBe(before);
    expect(stored(columns, 'Ruled__c')).toEqual(stored(dml, 'Ruled__c'));
    expect(stored(columns, 'Numbered__c')).toEqual(stored(dml, 'Numbered__c'));
    // 25 rows stored (5 repeat an external id): the autonumbers count them.
    expect(columns.records('Numbered__c').at(-1)?.Num__c).toBe('N-0025');
  });

  it('upserts: new external ids through the insert path, the rest as dml(upsert) does them', () => {
    const { columns, records, dml } = orgs();
    const header = ['Ext__c', 'Name', 'Code__c', 'Qty__c'];
    const first = Array.from({ length: 40 }, (_, i) => [`U-${i}`, `First ${i}`, 'c', String(i)]);
    const mixed = [
      ...Array.from({ length: 60 }, (_, i) => [`u-${i}`, `Again ${i}`, 'd', String(100 + i)]), // 40 exist (other case)
      ['U-70', 'Twice a', 'e', '1'], // repeated in the call: DUPLICATE_EXTERNAL_ID for both
      ['U-70', 'Twice b', 'e', '2'],
      ['', 'No ext', 'e', '3'], // MISSING_ARGUMENT
      ['#N/A', 'Null ext', 'e', '4'],
      ['U-80', 'Bad qty', 'e', 'x'], // new, but a value fails
      ['U-81', 'Short'], // new, short row: the generic insert
      ['U-82', 'No code', '#N/A', '5'], // new, a required field null
    ];
    const input = (row: string[]) => Object.fromEntries(header.map((column, c) => [column, row[c] ?? '']));
    const options = { ...OPTIONS, externalIdField: 'Ext__c' };
    for (const rows of [first, mixed]) {
      const before = columnInsertRows.count;
      const fast = results(columns.upsertRows('Kind__c', header, rows, options), rows.length);
      if (rows === first) expect(columnInsertRows.count - before).toBeGreaterThan(35);
      const slow = results(
        records.upsertRows('Kind__c', header, rows, { ...options, columnInsert: false }),
        rows.length,
      );
      const expected = dml.dml('upsert', 'Kind__c', rows.map(input), options);
      expect(fast).toEqual(expected);
      expect(slow).toEqual(expected);
    }
    expect(stored(columns, 'Kind__c')).toEqual(stored(dml, 'Kind__c'));
    expect(stored(records, 'Kind__c')).toEqual(stored(dml, 'Kind__c'));
    expect(columns.findByExternalId('Kind__c', 'Ext__c', 'U-5')[0]).toMatchObject({ Name: 'Again 5', Qty__c: 105 });
    expect(columns.findByExternalId('Kind__c', 'Ext__c', 'U-55')[0]).toMatchObject({ Name: 'Again 55', Qty__c: 155 });
    expect(() => columns.upsertRows('Kind__c', header, first, { ...options, externalIdField: 'Code__c' })).toThrow(
      /external ID field/,
    );
  });

  it('with allOrNone, rolls back the rows it stored, indexes included', () => {
    const { columns } = orgs();
    const rows = Array.from({ length: 40 }, (_, i) => [`N${i}`, `E${i}`, i === 39 ? '#N/A' : 'c']);
    const inserted = columns.insertRows('Kind__c', ['Name', 'Ext__c', 'Code__c'], rows, {
      ...OPTIONS,
      allOrNone: true,
    });
    expect(inserted.failures.get(0)?.errors[0]?.statusCode).toBe('ALL_OR_NONE_OPERATION_ROLLED_BACK');
    expect(inserted.failures.get(39)?.errors[0]?.statusCode).toBe('REQUIRED_FIELD_MISSING');
    expect(columns.records('Kind__c')).toEqual([]);
    expect(columns.findByExternalId('Kind__c', 'Ext__c', 'E5')).toEqual([]);
    // The keys are free again.
    const next = columns.insertRows('Kind__c', ['Name', 'Ext__c', 'Code__c'], rows.slice(0, 39), OPTIONS);
    expect(next.failures.size).toBe(0);
    expect(columns.findByExternalId('Kind__c', 'Ext__c', 'E5')).toHaveLength(1);
  });
});
