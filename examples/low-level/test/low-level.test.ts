import { PutObjectCommand } from '@aws-sdk/client-s3';
import { startSalesforceEmulator } from '@kicksaw/sf-emulator';
import { startLocalS3 } from '@kicksaw/testkit';
import { Connection } from 'jsforce';
import { describe, expect, it } from 'vitest';
import { createLowLevelHandler } from '../src/handler.js';

for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[name];

describe('the low-level example', () => {
  it('loads the file and uploads an error report with the rows that failed', async () => {
    const [s3, sf] = await Promise.all([
      startLocalS3(),
      startSalesforceEmulator({
        objects: [
          {
            name: 'Contact',
            merge: true,
            fields: [{ name: 'External_Id__c', type: 'string', length: 40, externalId: true, unique: true }],
          },
        ],
      }),
    ]);
    try {
      const bucket = await s3.createBucket();
      const csv =
        'External Id,Last Name,Email\nL-1,Lovelace,ada@example.com\nL-2,,grace@example.com\nL-3,Turing,alan@example.com,extra\n';
      await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'contacts.csv', Body: csv }));
      const connection = new Connection({
        instanceUrl: sf.instanceUrl,
        accessToken: sf.accessToken,
        version: sf.apiVersion,
      });
      const handler = createLowLevelHandler({ s3Client: s3.client, connection });
      const event = {
        Records: [
          {
            eventSource: 'aws:s3',
            eventName: 'ObjectCreated:Put',
            s3: { bucket: { name: bucket }, object: { key: 'contacts.csv' } },
          },
        ],
      };
      const response = await handler(event);
      const report = response.reports[0];
      expect(report?.failedRows).toBe(2);
      expect(report?.key).toMatch(/^errors\/error-report-\d{8}T\d{6}Z\.csv$/);
      expect(sf.org.records('Contact').map((c) => c.External_Id__c)).toEqual(['L-1']);
    } finally {
      await Promise.all([s3.stop(), sf.stop()]);
    }
  });
});
