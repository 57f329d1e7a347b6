import { ConfigError, InputError } from '@kicksaw/core';
import { describe, expect, it } from 'vitest';
import { type CsvRow, createMapper, type MappedRow, mapRows, problemOutcome, readCsv } from '../src/index.js';
import { chunks, collect } from './helpers.js';

function one(mapping: Parameters<typeof createMapper>[0], record: Record<string, string>) {
  return createMapper(mapping)(record, 1);
}

function value(spec: object, input: string) {
  const result = one({ fields: { F: { from: 'c', ...spec } } }, { c: input });
  return result.ok ? result.record.F : result.errors;
}

describe('createMapper: shape', () => {
  it('renames, sets constants, derives, and keeps field order', () => {
    const map = createMapper({
      fields: {
        LastName: 'Last Name',
        LeadSource: { value: 'Import' },
        Name__c: { derive: (r, row) => `${r['First Name']} ${r['Last Name']} #${row}` },
        Nothing__c: { value: null },
      },
    });
    expect(map({ 'First Name': 'Ada', 'Last Name': 'Lovelace', Other: 'x' }, 7)).toEqual({
      ok: true,
      record: { LastName: 'Lovelace', LeadSource: 'Import', Name__c: 'Ada Lovelace #7', Nothing__c: null },
    });
    expect(map.columns).toEqual(['Last Name']);
    expect(map.fields()).toEqual(['LastName', 'LeadSource', 'Name__c', 'Nothing__c']);
  });

  it('passes through unmapped columns except dropped ones', () => {
    const map = createMapper({ fields: { LastName: 'Last' }, passthrough: true, drop: ['Secret'] });
    expect(map.check(['Last', 'Email', 'Secret', 'Phone'])).toEqual(['LastName', 'Email', 'Phone']);
    expect(map({ Last: 'Doe', Email: 'd@x.io', Secret: 's', Phone: '1' }, 1)).toEqual({
      ok: true,
      record: { LastName: 'Doe', Email: 'd@x.io', Phone: '1' },
    });
  });

  it('makes a throwing derive a row problem', () => {
    const result = one(
      {
        fields: {
          X: {
            derive: () => {
              throw new Error('no way');
            },
          },
        },
      },
      {},
    );
    expect(result).toEqual({
      ok: false,
      errors: [{ statusCode: 'KICKSAW_INVALID_VALUE', message: 'Field X could not be derived: no way', fields: ['X'] }],
    });
  });

  it('refuses bad mappings with a ConfigError at creation', () => {
    expect(() => createMapper({ fields: { X: { from: 'c', type: 'money' as 'number' } } })).toThrow(ConfigError);
    expect(() => createMapper({ fields: { X: { from: 'c', type: 'datetime', timeZone: 'Mars/Olympus' } } })).toThrow(
      /unknown time zone/,
    );
    expect(() => createMapper({ fields: { X: { from: 'c', type: 'datetime', format: 'hh:mm' } } })).toThrow(
      /hh without a/,
    );
    expect(() => createMapper({ fields: { X: 42 as unknown as string } })).toThrow(ConfigError);
  });

  it('names the wrong setting of a mapping shaped wrong (checked once, with zod)', () => {
    const settingOf = (mapping: unknown): string | undefined => {
      try {
        createMapper(mapping as Parameters<typeof createMapper>[0]);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return `${(error as ConfigError).setting}: ${(error as Error).message}`;
      }
      return undefined;
    };
    expect(settingOf(null)).toMatch(/^mapping: .*must be an object with a fields object/);
    expect(settingOf({ fields: 'Name' })).toMatch(/^fields: /);
    expect(settingOf({ fields: {}, drop: 'Notes' })).toMatch(/^drop: .*list of source column names/);
    expect(settingOf({ fields: {}, passthrough: 'yes' })).toMatch(/^passthrough: .*true or false/);
    expect(settingOf({ fields: {}, passThrough: true })).toMatch(/^mapping: .*unknown setting passThrough/);
    expect(settingOf({ fields: { X: { from: 3 } } })).toMatch(/^fields\.X\.from: .*name of a source column/);
    expect(settingOf({ fields: { X: { from: 'c', empty: 'blank' } } })).toMatch(
      /^fields\.X\.empty: .*'leave' or 'null'/,
    );
    expect(settingOf({ fields: { X: { from: 'c', type: 'money' } } })).toMatch(
      /^fields\.X\.type: .*unknown type "money"/,
    );
    expect(settingOf({ fields: { X: { from: 'c', format: 7 } } })).toMatch(/^fields\.X\.format: .*list of formats/);
    expect(settingOf({ fields: { X: { from: 'c', tz: 'UTC' } } })).toMatch(/^fields\.X: .*unknown setting tz/);
    expect(settingOf({ fields: { X: { value: {} } } })).toMatch(/^fields\.X\.value: .*string, number, boolean or null/);
    expect(settingOf({ fields: { X: { derive: 'upper' } } })).toMatch(/^fields\.X\.derive: .*a function/);
    expect(settingOf({ fields: { X: { to: 'c' } } })).toMatch(/^fields\.X: .*column name, \{ from \}/);
    expect(settingOf({ fields: { X: '' } })).toMatch(/^fields\.X: .*name of a source column/);
    // a good mapping of every form still compiles
    expect(
      settingOf({
        fields: {
          A: 'a',
          B: { from: 'b', type: 'date', format: ['dd/MM/yyyy'], empty: 'null' },
          C: { value: null },
          D: { derive: () => 1 },
        },
        drop: ['z'],
        passthrough: true,
      }),
    ).toBeUndefined();
  });
});

describe('createMapper: coercion', () => {
  it.each([
    ['dd/MM/yyyy', '31/01/2024', '2024-01-31'],
    ['dd/MM/yyyy', '1/2/2024', '2024-02-01'],
    ['MM/dd/yyyy', '02/29/2024', '2024-02-29'],
    ['yyyyMMdd', '20231231', '2023-12-31'],
    ['d MMM yyyy', '5 mar 1999', '1999-03-05'],
    ['dd.MM.yy', '05.03.68', '2068-03-05'],
    ['dd.MM.yy', '05.03.69', '1969-03-05'],
  ])('reads date format %s: %s', (format, input, expected) => {
    expect(value({ type: 'date', format }, input)).toBe(expected);
  });

  it('reads ISO dates by default and tries several formats in order', () => {
    expect(value({ type: 'date' }, ' 2024-07-04 ')).toBe('2024-07-04');
    expect(value({ type: 'date', format: ['yyyy-MM-dd', 'dd/MM/yyyy'] }, '04/07/2024')).toBe('2024-07-04');
  });

  it.each([
    ['31/02/2020', 'day 31 does not exist in 2020-02'],
    ['29/02/2023', 'day 29 does not exist in 2023-02'],
    ['01/13/2020', 'month 13 does not exist'],
    ['01/01/1600', 'Salesforce accepts years 1700 to 4000'],
    ['2020-01-01', 'does not match the date format dd/MM/yyyy'],
  ])('makes the impossible date %s a problem naming column and value', (input, why) => {
    const errors = value({ type: 'date', format: 'dd/MM/yyyy' }, input) as Array<{ message: string; fields: string[] }>;
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain(`Column "c" value "${input}"`);
    expect(errors[0]?.message).toContain(why);
    expect(errors[0]?.fields).toEqual(['F']);
  });

  it('converts datetimes in a time zone to ISO with the right offset, DST included', () => {
    const paris = { type: 'datetime', format: 'dd/MM/yyyy HH:mm', timeZone: 'Europe/Paris' };
    expect(value(paris, '15/01/2024 09:30')).toBe('2024-01-15T09:30:00+01:00');
    expect(value(paris, '15/07/2024 09:30')).toBe('2024-07-15T09:30:00+02:00');
    expect(value(paris, '31/03/2024 01:59')).toBe('2024-03-31T01:59:00+01:00');
    expect(value(paris, '31/03/2024 03:00')).toBe('2024-03-31T03:00:00+02:00');
    // 02:30 on 27 October 2024 happens twice in Paris: the first (summer time) is taken.
    expect(value(paris, '27/10/2024 02:30')).toBe('2024-10-27T02:30:00+02:00');
    expect(value(paris, '27/10/2024 03:30')).toBe('2024-10-27T03:30:00+01:00');
    const gap = value(paris, '31/03/2024 02:30') as Array<{ message: string }>;
    expect(gap[0]?.message).toContain('does not exist in time zone Europe/Paris');
    const ny = { type: 'datetime', format: 'MM/dd/yyyy hh:mm a', timeZone: 'America/New_York' };
    expect(value(ny, '03/10/2024 12:15 AM')).toBe('2024-03-10T00:15:00-05:00');
    expect(value(ny, '03/10/2024 03:15 pm')).toBe('2024-03-10T15:15:00-04:00');
    expect(value({ type: 'datetime', timeZone: 'Asia/Kolkata' }, '2024-05-01 08:00')).toBe('2024-05-01T08:00:00+05:30');
  });

  it('keeps an offset written in the value, and defaults to UTC', () => {
    expect(value({ type: 'datetime', timeZone: 'Europe/Paris' }, '2024-01-15T09:30:00.250-03:00')).toBe(
      '2024-01-15T09:30:00.250-03:00',
    );
    expect(value({ type: 'datetime' }, '2024-01-15T09:30Z')).toBe('2024-01-15T09:30:00Z');
    expect(value({ type: 'datetime' }, '2024-01-15 09:30:15')).toBe('2024-01-15T09:30:15Z');
    expect(value({ type: 'datetime' }, '2024-01-15 25:30')).toEqual([
      expect.objectContaining({ message: expect.stringContaining('the time does not exist') }),
    ]);
  });

  it.each([
    [{}, '1234.50', '1234.50'],
    [{}, '-0.5', '-0.5'],
    [{}, '+7', '7'],
    [{}, '.5', '0.5'],
    [{}, '007', '7'],
    [{}, '12345678901234567890.123456789', '12345678901234567890.123456789'],
    [{ thousandsSeparator: ',' }, '1,234,567.8', '1234567.8'],
    [{ decimalSeparator: ',', thousandsSeparator: '.' }, '1.234,50', '1234.50'],
    [{ decimalSeparator: ',', thousandsSeparator: ' ' }, '1\u00A0234\u202F567,5', '1234567.5'],
    [{ decimalSeparator: ',' }, '-3,14', '-3.14'],
  ])('reads number %j %s', (options, input, expected) => {
    expect(value({ type: 'number', ...options }, input)).toBe(expected);
  });

  it.each([
    [{}, '1,234'],
    [{}, '12a'],
    [{}, '1.2.3'],
    [{}, '-'],
    [{ thousandsSeparator: ',' }, '12,34'],
    [{ decimalSeparator: ',' }, '1.5'],
  ])('makes the non-number %j %s a problem', (options, input) => {
    const errors = value({ type: 'number', ...options }, input) as Array<{ statusCode: string; message: string }>;
    expect(errors[0]?.statusCode).toBe('KICKSAW_INVALID_VALUE');
    expect(errors[0]?.message).toContain('is not a number');
  });

  it('reads integers, refusing fractions', () => {
    expect(value({ type: 'integer' }, '42')).toBe('42');
    expect(value({ type: 'integer' }, '42.000')).toBe('42');
    expect(value({ type: 'integer', thousandsSeparator: ',' }, '1,000')).toBe('1000');
    expect(value({ type: 'integer' }, '42.5')).toEqual([
      expect.objectContaining({ message: expect.stringContaining('whole number') }),
    ]);
  });

  it('reads booleans in any case', () => {
    for (const yes of ['yes', 'Y', 'TRUE', 't', '1']) expect(value({ type: 'boolean' }, yes)).toBe(true);
    for (const no of ['No', 'n', 'false', 'F', '0']) expect(value({ type: 'boolean' }, no)).toBe(false);
    expect(value({ type: 'boolean' }, 'maybe')).toEqual([
      expect.objectContaining({ message: 'Column "c" value "maybe" is not a boolean (yes/no, y/n, true/false, 1/0)' }),
    ]);
  });

  it('leaves empty values empty, or makes them null, per field', () => {
    const map = createMapper({
      fields: {
        A: 'a',
        B: { from: 'b', empty: 'null' },
        C: { from: 'c', type: 'date', empty: 'null' },
        D: { from: 'd', type: 'number' },
        E: { from: 'e', type: 'string', trim: true, empty: 'null' },
      },
    });
    expect(map({ a: '', b: '', c: '  ', d: '', e: '   ' }, 1)).toEqual({
      ok: true,
      record: { A: '', B: null, C: null, D: '', E: null },
    });
  });

  it('keeps strings as they are unless trim is asked', () => {
    expect(value({}, '  padded  ')).toBe('  padded  ');
    expect(value({ trim: true }, '  padded  ')).toBe('padded');
  });

  it('reports every bad value of a row, not just the first', () => {
    const result = one(
      {
        fields: { D: { from: 'd', type: 'date' }, N: { from: 'n', type: 'number' }, B: { from: 'b', type: 'boolean' } },
      },
      { d: 'soon', n: 'many', b: 'yes' },
    );
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors.map((e) => e.fields[0])).toEqual(['D', 'N']);
  });
});

describe('mapRows', () => {
  it('maps a reader, turning read problems and bad values into failed rows', async () => {
    const text = 'Name,Born\nAda,10/12/1815\nBad,31/02/2000\nRagged\nGrace,09/12/1906\n';
    const items = await collect(
      mapRows(readCsv(chunks(text)), {
        fields: { LastName: 'Name', Birthdate: { from: 'Born', type: 'date', format: 'dd/MM/yyyy' } },
      }),
    );
    expect(items.map((i) => [i.row, i.line, i.ok])).toEqual([
      [1, 2, true],
      [2, 3, false],
      [3, 4, false],
      [4, 5, true],
    ]);
    expect(items[0]).toEqual({
      ok: true,
      row: 1,
      line: 2,
      record: { LastName: 'Ada', Birthdate: '1815-12-10' },
      source: { Name: 'Ada', Born: '10/12/1815' },
    });
    const bad = items[1] as Extract<MappedRow, { ok: false }>;
    expect(bad.errors[0]?.statusCode).toBe('KICKSAW_INVALID_VALUE');
    expect(problemOutcome(bad)).toEqual({
      row: 2,
      line: 3,
      status: 'failed',
      id: null,
      created: false,
      errors: bad.errors,
      record: { Name: 'Bad', Born: '31/02/2000' },
      attempts: 0,
    });
    const ragged = items[2] as Extract<MappedRow, { ok: false }>;
    expect(ragged.errors[0]?.statusCode).toBe('CSV_TOO_FEW_FIELDS');
    expect(problemOutcome(ragged).record).toEqual({ raw: 'Ragged' });
  });

  it('refuses a mapping that reads a column the header lacks, before any row', async () => {
    const rows = mapRows(
      readCsv(chunks('Name,Email\nAda,a@x.io\n'), { source: 'in.csv' }),
      { fields: { Phone: 'Phone', X: 'Fax' } },
      { source: 'in.csv' },
    );
    const seen: MappedRow[] = [];
    const error = await (async () => {
      for await (const item of rows) seen.push(item);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([]);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).code).toBe('CSV_MISSING_COLUMN');
    expect((error as InputError).message).toContain('"Phone", "Fax"');
    expect((error as InputError).message).toContain('its columns are "Name", "Email"');
  });

  it('checks the first record of a plain iterable of rows', async () => {
    const rows: CsvRow[] = [{ row: 1, line: 2, record: { a: '1' } }];
    await expect(collect(mapRows(rows, { fields: { B: 'b' } }))).rejects.toThrow(/no column "b"/);
    expect(await collect(mapRows(rows, { fields: { A: 'a' } }))).toHaveLength(1);
  });
});
