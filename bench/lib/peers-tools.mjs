// One measured run of one tool, in a process of its own (spawned by bench/peers.mjs, which takes its
// wall time, CPU and peak RSS from outside). argv: <tool> <file> <connection JSON>. Prints one JSON line
// with the rows the tool itself reports. Every tool gets its best usage, not a strawman:
//   kicksaw-ingest   @kicksaw/sf-bulk `ingest` fed `@kicksaw/csv` `readCsv(file)`, defaults only (the kicksaw tools
//                    get the token as a plain { instanceUrl, accessToken, version }: see peers-connection.mjs)
//   jsforce-ingest   jsforce `bulk2.loadAndWaitForResults` with the file as a read stream (streamed
//                    input, the strongest way to use it: no array of records), polling every 250 ms
//   parse            a bare csv-parse pass over the file (`columns: true`, records as objects): the floor
//   kicksaw-export   `queryToFile(conn, soql, file)`: the result pages written to the file as Salesforce sends them
//   records-export   `query(conn, soql, { api: 'bulk' })`: typed records, written to a CSV file
//   jsforce-export   jsforce `bulk2.query` iterated as a stream, written to a CSV file
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { jsforceConnection, kicksawConnection } from './peers-connection.mjs';
import { csvCell, EXTERNAL_ID, FIELDS, OBJECT, SOQL } from './peers-data.mjs';

const [tool, file, connectionJson] = process.argv.slice(2);
// `PEERS_SF_BULK` / `PEERS_CSV`: another build of the packages (peers.mjs `--base=<clone>`: the base of a before/after).
const sfBulk = () => import(process.env.PEERS_SF_BULK || '@kicksaw/sf-bulk');
const kicksawCsv = () => import(process.env.PEERS_CSV || '@kicksaw/csv');
const connection = connectionJson ? JSON.parse(connectionJson) : undefined;

/** Writes records as CSV lines (the same small writer for every tool), honouring back-pressure. */
async function writeRecords(path, records) {
  const out = createWriteStream(path);
  let batch = `${FIELDS.join(',')}\n`;
  let rows = 0;
  for await (const record of records) {
    let line = '';
    for (let i = 0; i < FIELDS.length; i++) {
      if (i > 0) line += ',';
      line += csvCell(record[FIELDS[i]]);
    }
    batch += `${line}\n`;
    rows++;
    if (batch.length > 1 << 16) {
      if (!out.write(batch)) await once(out, 'drain');
      batch = '';
    }
  }
  out.end(batch);
  await once(out, 'finish');
  return rows;
}

const tools = {
  async 'kicksaw-ingest'() {
    const { ingest } = await sfBulk();
    const { readCsv } = await kicksawCsv();
    const run = ingest({
      connection: await kicksawConnection(connection),
      object: OBJECT,
      operation: 'upsert',
      externalIdField: EXTERNAL_ID,
      records: readCsv(file),
    });
    const counts = { succeeded: 0, failed: 0, unprocessed: 0 };
    for await (const outcome of run) counts[outcome.status]++;
    const summary = await run.summary();
    return { ...counts, jobs: summary.jobs, unmatched: summary.unmatchedResults };
  },
  async 'jsforce-ingest'() {
    const conn = await jsforceConnection(connection);
    const results = await conn.bulk2.loadAndWaitForResults({
      object: OBJECT,
      operation: 'upsert',
      externalIdFieldName: EXTERNAL_ID,
      input: createReadStream(file),
      pollInterval: 250,
      pollTimeout: 60 * 60_000,
    });
    return {
      succeeded: results.successfulResults.length,
      failed: results.failedResults.length,
      unprocessed: results.unprocessedRecords.length,
    };
  },
  async parse() {
    const { parse } = await import('csv-parse');
    let records = 0;
    for await (const _record of createReadStream(file).pipe(parse({ columns: true }))) records++;
    return { records };
  },
  async 'kicksaw-export'() {
    const { queryToFile } = await sfBulk();
    const result = await queryToFile(await kicksawConnection(connection), SOQL, file);
    return { records: result.records };
  },
  async 'records-export'() {
    const { query } = await sfBulk();
    const rows = await writeRecords(file, query(await kicksawConnection(connection), SOQL, { api: 'bulk' }));
    return { records: rows };
  },
  async 'jsforce-export'() {
    const conn = await jsforceConnection(connection);
    const stream = await conn.bulk2.query(SOQL, { pollInterval: 500, pollTimeout: 60 * 60_000 });
    const rows = await writeRecords(file, stream);
    return { records: rows };
  },
};

if (!tools[tool]) {
  process.stderr.write(`unknown tool ${tool}\n`);
  process.exit(2);
}
const result = await tools[tool]();
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
