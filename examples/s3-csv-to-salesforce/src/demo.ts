import type { S3Client } from '@aws-sdk/client-s3';
import type { ImportCsvResult } from '@kicksaw/orchestrator';
import { createS3Client, getObjectStream, uploadObject } from '@kicksaw/s3';
import { connectFromEnv } from '@kicksaw/sf-bulk';
import { startSalesforceEmulator } from '@kicksaw/sf-emulator';
import { startLocalS3 } from '@kicksaw/testkit';
import { Connection } from 'jsforce';
import { createContactsHandler } from './handler.js';
import { sampleContactsCsv } from './sample.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Rows in the sample file. Default 5,000 (or `KICKSAW_DEMO_ROWS`). */
  rows?: number;
  /** Where the demo's lines go. Default `console.log`. */
  print?: (line: string) => void;
  /**
   * Settings. With none, everything runs locally (fauxqs and `@kicksaw/sf-emulator`). With
   * `KICKSAW_DEMO_BUCKET` (and AWS credentials, `AWS_REGION`), the file goes to that real bucket; with
   * Salesforce settings (`SF_INSTANCE_URL` + `SF_ACCESS_TOKEN`, or `SF_LOGIN_URL` + `SF_CLIENT_ID` + ...,
   * see `@kicksaw/sf-bulk`), the rows go to that real org.
   */
  env?: Record<string, string | undefined>;
}

/** What {@link runDemo} did. */
export interface DemoResult {
  bucket: string;
  key: string;
  result: ImportCsvResult;
  reportHead: string[];
  execution: Record<string, unknown> | undefined;
  local: { s3: boolean; salesforce: boolean };
}

const SF_KEYS = ['SF_INSTANCE_URL', 'SF_LOGIN_URL', 'SF_USERNAME', 'SF_CLIENT_ID', 'SF_REFRESH_TOKEN'];

/**
 * The main job: flow 1 end to end. Starts a local S3 and a local Salesforce org (unless real ones are
 * configured), drops a generated Contact file with some bad rows into a bucket, delivers the S3 event
 * to the example's Lambda handler, and prints what a user needs to see.
 *
 * @example
 * ```ts
 * await runDemo({ rows: 5000 });
 * ```
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const env = options.env ?? process.env;
  const print = options.print ?? ((line: string) => console.log(line));
  const rows = options.rows ?? (Number(env.KICKSAW_DEMO_ROWS) || 5000);
  const started = performance.now();
  const realBucket = env.KICKSAW_DEMO_BUCKET?.trim();
  const realOrg = SF_KEYS.some((name) => env[name]?.trim());
  const stops: Array<() => Promise<void>> = [];

  try {
    // 1. S3: a local one (fauxqs) unless a real bucket is given.
    let s3Client: S3Client;
    let bucket: string;
    if (realBucket) {
      s3Client = createS3Client(env.AWS_REGION ? { region: env.AWS_REGION } : {});
      bucket = realBucket;
      print(`S3          AWS, bucket ${bucket}`);
    } else {
      const local = await startLocalS3();
      stops.push(() => local.stop());
      s3Client = local.client;
      bucket = await local.createBucket(`kicksaw-demo-${Date.now().toString(36)}`);
      print(`S3          local (fauxqs at ${local.endpoint}), bucket ${bucket}`);
    }

    // 2. Salesforce: the local org unless settings for a real one are given.
    let overrides: Parameters<typeof createContactsHandler>[0] = { s3Client };
    let connection: Connection;
    if (realOrg) {
      connection = await connectFromEnv(env);
      print(`Salesforce  ${connection.instanceUrl}`);
    } else {
      // The custom fields of the example's SFDX project (salesforce/), the metadata a real org gets deployed.
      const org = await startSalesforceEmulator({ integrationObjects: true, objects: DEMO_FIELDS });
      stops.push(() => org.stop());
      connection = new Connection({
        instanceUrl: org.instanceUrl,
        accessToken: org.accessToken,
        version: org.apiVersion,
      });
      overrides = { ...overrides, salesforce: { instanceUrl: org.instanceUrl, accessToken: org.accessToken } };
      print(`Salesforce  local org (@kicksaw/sf-emulator at ${org.instanceUrl})`);
    }

    // 3. Drop a sample file.
    const sample = sampleContactsCsv(rows);
    const day = new Date().toISOString().slice(0, 10);
    const key = `inbound/contacts-${day}.csv`;
    const put = await uploadObject({ client: s3Client, bucket, key, body: sample.csv, contentType: 'text/csv' });
    const badRows = Object.values(sample.bad).reduce((sum, count) => sum + count, 0);
    print(
      `dropped     s3://${bucket}/${key}: ${rows.toLocaleString('en-US')} Contact rows, ${badRows} bad on purpose ` +
        `(${sample.bad.missingLastName} without Last Name, ${sample.bad.badDate} impossible dates, ` +
        `${sample.bad.tooLong} too-long Titles, ${sample.bad.duplicateExternalId} repeated External Ids)`,
    );

    // 4. Deliver the S3 event to the example handler, as Lambda would.
    const handler = createContactsHandler(overrides, env);
    const event = s3Notification(bucket, key, put.eTag ?? '', Buffer.byteLength(sample.csv));
    const response = await handler(event, { getRemainingTimeInMillis: () => 15 * 60_000, awsRequestId: 'demo' });
    const item = response.results[0];
    if (!item?.result) throw new Error(`The handler did not import the file: ${item?.error?.message ?? 'no result'}`);
    const result = item.result;

    // 5. What happened.
    const { summary } = result;
    print('');
    print(`status      ${result.status}`);
    print(`rows read   ${summary.input}`);
    print(`succeeded   ${summary.succeeded}${summary.created === undefined ? '' : ` (${summary.created} created)`}`);
    print(`failed      ${summary.failed}`);
    if (summary.unprocessed) print(`unprocessed ${summary.unprocessed}`);
    let reportHead: string[] = [];
    if (result.reportKey) {
      print(
        `report      s3://${bucket}/${result.reportKey} (${result.reportRows ?? 0} rows, ${result.reportLines ?? 0} lines)`,
      );
      reportHead = await firstLines(s3Client, bucket, result.reportKey, 6);
      for (const line of reportHead) print(`            | ${line.length > 150 ? `${line.slice(0, 150)}…` : line}`);
    }
    if (result.archiveKey) print(`archive     s3://${bucket}/${result.archiveKey}`);
    let execution: Record<string, unknown> | undefined;
    if (result.executionId) {
      execution = (await connection
        .sobject('IntegrationExecution__c')
        .retrieve(result.executionId)) as unknown as Record<string, unknown>;
      print(`execution record (read back from the org):`);
      for (const field of [
        'Id',
        'Name',
        'Status__c',
        'Number_of_Errors__c',
        'Error_Report__c',
        'Data_File__c',
        'IdempotencyKey__c',
      ]) {
        if (execution?.[field] !== undefined) print(`            ${field.padEnd(20)} ${String(execution[field])}`);
      }
      const payload = execution?.ExecutionPayload__c;
      if (typeof payload === 'string') print(`            ${'ExecutionPayload__c'.padEnd(20)} ${payload}`);
    }
    print('');
    print(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return { bucket, key, result, reportHead, execution, local: { s3: !realBucket, salesforce: !realOrg } };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

/** The custom fields of `salesforce/` (External_Id__c on Contact, three fields on IntegrationExecution__c). */
const DEMO_FIELDS = [
  {
    name: 'Contact',
    merge: true,
    fields: [{ name: 'External_Id__c', type: 'string' as const, length: 40, externalId: true, unique: true }],
  },
  {
    name: 'IntegrationExecution__c',
    merge: true,
    fields: [
      { name: 'Number_of_Errors__c', type: 'double' as const, precision: 18, scale: 0 },
      { name: 'Error_Report__c', type: 'url' as const, length: 255 },
      { name: 'Data_File__c', type: 'string' as const, length: 255 },
    ],
  },
];

async function firstLines(client: S3Client, bucket: string, key: string, count: number): Promise<string[]> {
  const { body } = await getObjectStream({ client, bucket, key });
  let text = '';
  for await (const chunk of body) {
    text += chunk.toString();
    if (text.split('\n').length > count) break;
  }
  body.destroy();
  return text.split(/\r?\n/).filter(Boolean).slice(0, count);
}

/** An S3 ObjectCreated:Put notification, as S3 delivers it to Lambda. */
function s3Notification(bucket: string, key: string, eTag: string, size: number): unknown {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:DEMO' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'DEMO', 'x-amz-id-2': 'DEMO' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'contacts-import',
          bucket: { name: bucket, ownerIdentity: { principalId: 'DEMO' }, arn: `arn:aws:s3:::${bucket}` },
          object: {
            key: encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+'),
            size,
            eTag: eTag.replaceAll('"', ''),
            sequencer: Date.now().toString(16).toUpperCase(),
          },
        },
      },
    ],
  };
}
