// One measurement of the csv pipeline benchmark, run in its own process. Returns seconds, records, peak RSS.
import { createReadStream } from 'node:fs';
import { createMapper, mapRows, readCsv, splitCsv, splitCsvStream } from '@kicksaw/csv';
import { parse } from 'csv-parse';

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
  for await (const part of splitCsv(rows, { fields: mapper.fields(), maxBytes, onRejected })) {
    parts++;
    records += part.rows.length;
  }
  return { records, problems, parts };
}

async function pipelineStream(file, maxBytes) {
  const mapper = createMapper(MAPPING);
  let records = 0;
  let problems = 0;
  let parts = 0;
  let bytes = 0;
  const rows = mapRows(readCsv(file), mapper);
  const onRejected = () => {
    problems++;
  };
  for await (const part of splitCsvStream(rows, { fields: mapper.fields(), maxBytes, onRejected })) {
    parts++;
    for await (const chunk of part.body) bytes += chunk.length;
    records += part.rows.length;
  }
  return { records, problems, parts, bytes };
}

export async function runChild(mode, file, { maxBytes }) {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const result =
    mode === 'bare-parse'
      ? await bareParse(file)
      : mode === 'bare-parse-fast'
        ? await bareParseFast(file)
        : mode === 'pipeline-stream'
          ? await pipelineStream(file, maxBytes)
          : await pipeline(file, maxBytes);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  return { mode, seconds, cpuSeconds, peakRssMb: process.resourceUsage().maxRSS / 1024, ...result };
}
