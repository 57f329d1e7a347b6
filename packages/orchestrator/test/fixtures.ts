import type { Mapping } from '@kicksaw/csv';

/** Columns of the sample Contact file. */
export const HEADER = ['External Id', 'First Name', 'Last Name', 'Email', 'Birthdate', 'Title'];

/** How the sample columns map to Contact fields. */
export const MAPPING: Mapping = {
  fields: {
    External_Id__c: 'External Id',
    FirstName: 'First Name',
    LastName: 'Last Name',
    Email: 'Email',
    Birthdate: { from: 'Birthdate', type: 'date' },
    Title: 'Title',
  },
};

export interface SampleFile {
  csv: string;
  rows: number;
  /** Row numbers that must fail, by reason. */
  bad: Map<number, string>;
  /** External ids of the rows that must succeed (distinct). */
  goodIds: Set<string>;
}

const quote = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);

/**
 * A Contact file of `rows` data rows. With `bad: true`, some rows are broken on purpose: a missing
 * LastName (every 97th), an impossible date (every 89th), a Title over 128 characters (every 83rd),
 * a row with too many fields (every 211th).
 */
export function sampleContacts(rows: number, options: { bad?: boolean; prefix?: string } = {}): SampleFile {
  const prefix = options.prefix ?? 'C';
  const lines = [HEADER.join(',')];
  const bad = new Map<number, string>();
  const goodIds = new Set<string>();
  for (let row = 1; row <= rows; row++) {
    const id = `${prefix}-${String(row).padStart(7, '0')}`;
    let last = `Last${row}`;
    let birthdate = `19${String(50 + (row % 50)).padStart(2, '0')}-0${1 + (row % 9)}-1${row % 10}`;
    let title = `Title ${row}`;
    let extra = '';
    if (options.bad && row % 211 === 0) {
      extra = ',unexpected';
      bad.set(row, 'CSV_TOO_MANY_FIELDS');
    } else if (options.bad && row % 97 === 0) {
      last = '';
      bad.set(row, 'REQUIRED_FIELD_MISSING');
    } else if (options.bad && row % 89 === 0) {
      birthdate = '2021-02-30';
      bad.set(row, 'INVALID_DATE');
    } else if (options.bad && row % 83 === 0) {
      title = 'T'.repeat(200);
      bad.set(row, 'STRING_TOO_LONG');
    } else {
      goodIds.add(id);
    }
    const values = [id, `First${row}`, last, `person${row}@example.com`, birthdate, title].map(quote);
    lines.push(values.join(',') + extra);
  }
  return { csv: `${lines.join('\n')}\n`, rows, bad, goodIds };
}
