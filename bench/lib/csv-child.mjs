// One measurement of the csv pipeline benchmark, run in its own process. Returns seconds, records, peak RSS.
// KICKSAW_CSV_DIST=<path of a dist/index.js> measures another build of @kicksaw/csv (a before/after run).
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { parse } from 'csv-parse';
import { bulkParts } from './csv-parts.mjs';

const csv = await import(
  process.env.KICKSAW_CSV_DIST ? pathToFileURL(process.env.KICKSAW_CSV_DIST).href : '@kicksaw/csv'
);
const { createMapper, mapRows, readCsv } = csv;
/** The parts: the package's own splitCsv where a build still has it (before), else bench/lib's (after). */
const splitParts = csv.splitCsv ?? bulkParts;

export const MAPPING = {
  fields: {
    External_Id__c: 'External Id',
    FirstName: { from: 'First Name', trim: true },
    LastName: 'Last Name',
    Email: 'Email',
    Phone: 'Phone',
    Amount__c: { from: 'Amount', type: 'number', decimalSeparator: ',' },
    Birthdate: { from: 'Birth Date', type: 'date', format: 'dd/MM/yyyy', empty: 'null' },
    Created__c: { from: 'Created At', type: 'datetime', format: 'yyyy-MM-dd HH:mm', timeZone: 'Europe/Paris' },
    Active__c: { from: 'Active', type: 'boolean' },
    Description: 'Notes',
    LeadSource: { value: 'Import' },
  },
};

async function bareParse(file) {
  let records = 0;
  for await (const record of createReadStream(file).pipe(parse({ columns: true }))) {
    if (record) records++;
  }
  return { records };
}

async function bareParseFast(file) {
  let records = 0;
  await new Promise((resolve, reject) => {
    createReadStream(file)
      .pipe(parse())
      .on('data', () => {
        records++;
      })
      .on('end', resolve)
      .on('error', reject);
  });
  return { records: records - 1 };
}

async function pipeline(file, maxBytes) {
  const mapper = createMapper(MAPPING);
  let records = 0;
  let problems = 0;
  let parts = 0;
  const rows = mapRows(readCsv(file), mapper);
  const onRejected = () => {
    problems++;
  };
  for await (const part of splitParts(rows, { fields: mapper.fields(), maxBytes, onRejected })) {
    parts++;
    records += part.rows.length;
  }
  return { records, problems, parts };
}

/** readCsv alone, records counted: the file reader (decoding, parsing, row objects). */
async function readOnly(file) {
  let records = 0;
  let problems = 0;
  for await (const batch of readCsv(file).batches()) {
    for (const item of batch) {
      if ('problem' in item) problems++;
      else records++;
    }
  }
  return { records, problems };
}

/** The bare row parser over the same file: csv.RowParser (after) or csv-parse's public stream (before). */
async function bareRows(file) {
  let records = 0;
  if (!csv.RowParser) return bareParseFast(file);
  const parser = new csv.RowParser();
  const count = () => {
    records++;
  };
  const { StringDecoder } = await import('node:string_decoder');
  const decoder = new StringDecoder('utf8');
  for await (const chunk of createReadStream(file)) {
    parser.push(decoder.write(chunk));
    parser.parse(count);
  }
  parser.push(decoder.end());
  parser.end();
  parser.parse(count);
  return { records: records - 1 };
}

/** 1,000,000 records of 10 values encoded: by the package's encoder, or by csv-stringify's public API (sync, 10k rows per call). */
async function encode(mode) {
  const rows = [];
  for (let i = 0; i < 10_000; i++) {
    rows.push([
      `EXT-${i}`,
      i % 7 === 0 ? null : `First ${i}`,
      `Last, ${i}`,
      `p${i}@example.com`,
      `+33 6 ${i}`,
      `${i}.50`,
      '1980-01-02',
      '2024-05-01T10:00:00+02:00',
      i % 2 === 0 ? 'true' : 'false',
      i % 13 === 0 ? 'say "hi"\nthen go' : 'plain note text',
    ]);
  }
  let bytes = 0;
  const fields = rows[0].map((_, i) => `F${i}`);
  const records = rows.map((row) => Object.fromEntries(row.map((v, i) => [fields[i], v])));
  if (mode === 'encode-ours' && csv.RowEncoder) {
    // Records to rows of cells, then RowEncoder (what a Bulk part writer does).
    const encoder = new csv.RowEncoder({ nullAs: '#N/A' });
    const cells = new Array(fields.length);
    for (let round = 0; round < 100; round++) {
      for (const record of records) {
        for (let i = 0; i < fields.length; i++) cells[i] = record[fields[i]];
        bytes += encoder.encode(cells).length;
      }
    }
  } else if (mode === 'encode-ours') {
    // A build without RowEncoder (before): its record writer, toBulkCsv, 10k records per call.
    for (let round = 0; round < 100; round++) bytes += csv.toBulkCsv(records, { fields }).length;
  } else {
    const require = createRequire(new URL('../../packages/csv/package.json', import.meta.url));
    const { stringify } = require('csv-stringify/sync');
    const options = { quote_record_delimiter: true, cast: { string: (v) => v } };
    for (let round = 0; round < 100; round++) {
      const prepared = rows.map((row) => row.map((v) => (v === null ? '#N/A' : v)));
      bytes += stringify(prepared, options).length;
    }
  }
  return { records: 1_000_000, bytes };
}

export async function runChild(mode, file, { maxBytes }) {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const result =
    mode === 'bare-parse'
      ? await bareParse(file)
      : mode === 'bare-parse-fast'
        ? await bareParseFast(file)
        : mode === 'bare-rows'
          ? await bareRows(file)
          : mode === 'read'
            ? await readOnly(file)
            : mode.startsWith('encode-')
              ? await encode(mode)
              : await pipeline(file, maxBytes);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  return { mode, seconds, cpuSeconds, peakRssMb: process.resourceUsage().maxRSS / 1024, ...result };
}
