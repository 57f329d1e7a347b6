/** A generated Contact file and what is wrong with it on purpose. */
export interface SampleContacts {
  csv: string;
  rows: number;
  /** Rows broken on purpose, by what is wrong. */
  bad: {
    missingLastName: number;
    badDate: number;
    tooLong: number;
    duplicateExternalId: number;
  };
}

/** The header of the sample file. */
export const SAMPLE_HEADER = 'External Id,First Name,Last Name,Email,Birthdate,Title';

/** Why a sample row is bad, or undefined for a good one. */
export function badReason(row: number): keyof SampleContacts['bad'] | undefined {
  if (row % 101 === 0) return 'duplicateExternalId';
  if (row % 97 === 0) return 'missingLastName';
  if (row % 89 === 0) return 'badDate';
  if (row % 83 === 0) return 'tooLong';
  return undefined;
}

/**
 * The lines of a sample Contact file, header first, generated lazily (a million rows never sit in
 * memory). Some rows are bad on purpose: a missing Last Name (every 97th row), an impossible date
 * (every 89th), a Title longer than Contact.Title's 128 characters (every 83rd), and the External Id
 * of the previous row again (every 101st).
 *
 * @example
 * ```ts
 * for (const line of sampleContactLines(3)) console.log(line);
 * ```
 */
export function* sampleContactLines(rows: number, prefix = 'CT'): Generator<string> {
  yield SAMPLE_HEADER;
  for (let row = 1; row <= rows; row++) {
    const reason = badReason(row);
    const id = `${prefix}-${String(reason === 'duplicateExternalId' ? row - 1 : row).padStart(7, '0')}`;
    const first = FIRST[row % FIRST.length] ?? 'Ada';
    const last = reason === 'missingLastName' ? '' : `${LAST[row % LAST.length] ?? 'Lovelace'}-${row}`;
    const month = String(1 + (row % 12)).padStart(2, '0');
    const day = String(1 + (row % 28)).padStart(2, '0');
    const birthdate = reason === 'badDate' ? `1980-02-30` : `${1950 + (row % 50)}-${month}-${day}`;
    const title = reason === 'tooLong' ? `Chief ${'Very '.repeat(40)}Important Officer` : TITLES[row % TITLES.length];
    yield `${id},${first},${last},${first.toLowerCase()}.${row}@example.com,${birthdate},"${title}"`;
  }
}

/**
 * A whole sample file as a string, with the counts of its bad rows.
 *
 * @example
 * ```ts
 * const { csv, bad } = sampleContactsCsv(5000);
 * ```
 */
export function sampleContactsCsv(rows: number, prefix = 'CT'): SampleContacts {
  const bad = { missingLastName: 0, badDate: 0, tooLong: 0, duplicateExternalId: 0 };
  for (let row = 1; row <= rows; row++) {
    const reason = badReason(row);
    if (reason) bad[reason] += 1;
  }
  return { csv: `${[...sampleContactLines(rows, prefix)].join('\n')}\n`, rows, bad };
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Margaret', 'Dennis'];
const LAST = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Allen',
  'Thompson',
  'Hamilton',
  'Ritchie',
];
const TITLES = ['Engineer', 'Director, Research', 'Analyst', 'VP Operations', 'Buyer'];
