// The CSV every tool of bench/peers.mjs reads: 10 columns named by API name (so every tool can send the
// file as it is), about 150 bytes a row, with quoted values (commas, doubled quotes), numbers with
// decimals, dates and booleans, so parsing, quoting and matching by content all have work to do.
// Written streaming (flat memory); the same rows can be produced as records to seed an org.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

export const OBJECT = 'Bench__c';
export const EXTERNAL_ID = 'Ext__c';
export const FIELDS = [
  'Ext__c',
  'Name',
  'First__c',
  'Last__c',
  'Email__c',
  'Phone__c',
  'Amount__c',
  'Birth__c',
  'Active__c',
  'Notes__c',
];

/** The export every tool runs: the ten columns of every row. */
export const SOQL = `SELECT ${FIELDS.join(', ')} FROM ${OBJECT}`;

/** The object definition for @kicksaw/sf-emulator. */
export const OBJECT_DEFINITION = {
  name: OBJECT,
  fields: [
    { name: 'Ext__c', type: 'string', length: 40, externalId: true, unique: true },
    { name: 'First__c', type: 'string', length: 40 },
    { name: 'Last__c', type: 'string', length: 40 },
    { name: 'Email__c', type: 'email' },
    { name: 'Phone__c', type: 'phone' },
    { name: 'Amount__c', type: 'double', precision: 18, scale: 2 },
    { name: 'Birth__c', type: 'date' },
    { name: 'Active__c', type: 'boolean' },
    { name: 'Notes__c', type: 'textarea', length: 255 },
  ],
};

const FIRST = ['Ada', 'Bob', 'Chloé', 'Dmitri', 'Eve', 'François', 'Grace', 'Hiro', 'Inès', 'José'];
const LAST = ['Lovelace', 'Smith', 'Dupont', 'Ivanov', "O'Brien", 'Müller', 'Hopper', 'Tanaka', 'García', 'Nowak'];
const NOTES = [
  'Imported from the spring campaign',
  'VIP customer, since 2019',
  'Called twice, left "voicemail"',
  'Prefers email; not phone',
  'Met at expo, follow up next week',
];

/** Row `i` (1-based) as a record of strings, keyed by API name. */
export function recordFor(i) {
  const first = FIRST[i % 10];
  const last = LAST[(i * 7) % 10];
  return {
    Ext__c: `EXT-${String(i).padStart(8, '0')}`,
    Name: `${first} ${last} ${i}`,
    First__c: first,
    Last__c: last,
    Email__c: `${first.toLowerCase()}.${last.toLowerCase().replace(/\W/g, '')}${i}@example.com`,
    Phone__c: `+1 555 ${String(i % 10_000_000).padStart(7, '0')}`,
    Amount__c: `${Math.floor(i * 13.7) % 100_000}.${String(i % 100).padStart(2, '0')}`,
    Birth__c: `19${50 + (i % 50)}-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`,
    Active__c: i % 3 === 0 ? 'true' : 'false',
    Notes__c: NOTES[i % 5],
  };
}

/** One CSV cell, quoted when it holds a comma, a quote or a line break. */
export function csvCell(value) {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export async function writeBenchCsv(path, rows) {
  const out = createWriteStream(path);
  let batch = `${FIELDS.join(',')}\n`;
  for (let i = 1; i <= rows; i++) {
    const record = recordFor(i);
    batch += `${FIELDS.map((f) => csvCell(record[f])).join(',')}\n`;
    if (batch.length > 1 << 20) {
      if (!out.write(batch)) await once(out, 'drain');
      batch = '';
    }
  }
  out.end(batch);
  await once(out, 'finish');
}

/**
 * Records in a CSV file, counted by scanning for line feeds outside quotes (header and blank lines left
 * out). Hand-written rather than a parser: it only counts, at disk speed, after each run (not timed).
 */
export async function countCsvRecords(path) {
  const { createReadStream } = await import('node:fs');
  let quoted = false;
  let lines = 0;
  let lineHasData = false;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (c === 34) quoted = !quoted;
      if (c === 10 && !quoted) {
        if (lineHasData) lines++;
        lineHasData = false;
      } else if (c !== 13) lineHasData = true;
    }
  }
  if (lineHasData) lines++;
  return Math.max(0, lines - 1);
}
