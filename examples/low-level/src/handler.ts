import type { S3Client } from '@aws-sdk/client-s3';
import type { RowOutcome } from '@kicksaw/core';
import { type Mapping, mapRows, problemOutcome, readCsv } from '@kicksaw/csv';
import { createS3ErrorReport } from '@kicksaw/error-report';
import { getObjectStream, respondToS3Event } from '@kicksaw/s3';
import { ingest } from '@kicksaw/sf-bulk';
import type { Connection } from 'jsforce';

/** What this handler needs; build it once per cold start. */
export interface LowLevelDeps {
  s3Client: S3Client;
  connection: Connection;
}

const MAPPING: Mapping = {
  fields: { External_Id__c: 'External Id', LastName: 'Last Name', Email: 'Email' },
};

/**
 * The seed's low-level example with the helpers cherry-picked: listen to S3 events, stream the object,
 * read and map the CSV, push to Salesforce, and upload an error report next to it. No orchestrator:
 * no archive, no execution record, no duplicate protection (take what you need).
 *
 * @example
 * ```ts
 * export const handler = createLowLevelHandler({ s3Client: new S3Client({}), connection: await connectFromEnv() });
 * ```
 */
export function createLowLevelHandler(deps: LowLevelDeps) {
  return async (event: unknown) => {
    const { results, batchItemFailures } = await respondToS3Event(event, (ref) =>
      downloadAndProcess(deps, ref.bucket, ref.key),
    );
    for (const result of results) if (!result.ok) throw result.error;
    return { batchItemFailures, reports: results.map((result) => (result.ok ? result.value : undefined)) };
  };
}

async function downloadAndProcess(deps: LowLevelDeps, bucket: string, key: string) {
  const { body } = await getObjectStream({ client: deps.s3Client, bucket, key });
  const report = createS3ErrorReport({ client: deps.s3Client, bucket, object: 'Contact', upsertKey: 'External_Id__c' });
  const notSent: RowOutcome[] = [];
  async function* records() {
    for await (const item of mapRows(readCsv(body, { source: `s3://${bucket}/${key}` }), MAPPING)) {
      if (item.ok) yield item;
      else notSent.push(problemOutcome(item)); // rows that could not be read or mapped: never sent
    }
  }
  // Your own business logic would go here; this one upserts Contacts.
  const run = ingest({
    connection: deps.connection,
    object: 'Contact',
    operation: 'upsert',
    externalIdField: 'External_Id__c',
    records: records(),
  });
  await report.writeAll(run);
  await report.writeAll(notSent);
  const uploaded = await report.end();
  return { key: uploaded.key, failedRows: uploaded.counts.failedRows, summary: await run.summary() };
}
