import { uploadObject } from '@kicksaw/s3';
import { describe, expect, it } from 'vitest';
import { importCsv } from '../src/index.js';
import { HEADER, MAPPING } from './fixtures.js';
import { getText, keysUnder, useHarness } from './harness.js';

const h = useHarness();

describe('acceptance: 200,000 rows, 1% bad, lock errors', () => {
  it('report lines = failed rows, the org holds the rest', async () => {
    const rows = 200_000;
    const lines = [HEADER.join(',')];
    let bad = 0;
    for (let row = 1; row <= rows; row++) {
      const missingLastName = row % 100 === 0; // 1% of the rows
      if (missingLastName) bad++;
      lines.push(
        `A-${row},First${row},${missingLastName ? '' : `Last${row}`},p${row}@example.com,1980-01-${String(1 + (row % 28)).padStart(2, '0')},Title`,
      );
    }
    const bucket = await h.s3.createBucket();
    await uploadObject({ client: h.s3.client, bucket, key: 'big.csv', body: `${lines.join('\n')}\n` });
    // 5% of the rows hit a lock error on each attempt; the engine sends them again (up to 3 attempts).
    h.sf.faults.set({ seed: 7, rowErrors: [{ statusCode: 'UNABLE_TO_LOCK_ROW', rate: 0.05, objects: ['Contact'] }] });

    const result = await importCsv({
      s3Client: h.s3.client,
      connection: h.connection,
      bucket,
      key: 'big.csv',
      object: 'Contact',
      operation: 'upsert',
      externalIdField: 'External_Id__c',
      mapping: MAPPING,
      ingest: { pollIntervalMs: 20, maxPollIntervalMs: 100, maxRowsPerJob: 50_000 },
    });
    h.sf.faults.reset();

    const { summary } = result;
    expect(summary.input).toBe(rows);
    expect(summary.succeeded + summary.failed + summary.unprocessed + summary.skipped).toBe(rows);
    // Every bad row failed; lock errors that outlived 3 attempts (rare: 0.05^3) failed too.
    expect(summary.failed).toBeGreaterThanOrEqual(bad);
    expect(summary.failed).toBeLessThan(bad + 100);
    const contacts = h.sf.org.records('Contact').filter((c) => String(c.External_Id__c).startsWith('A-'));
    expect(contacts.length).toBe(summary.succeeded);

    const report = await getText(h.s3, bucket, result.reportKey as string);
    const reportLines = report.trim().split(/\r?\n/).length - 1;
    expect(reportLines).toBe(summary.failed + summary.unprocessed);
    expect(result.reportRows).toBe(summary.failed + summary.unprocessed);
    expect(await keysUnder(h.s3, bucket, 'archive/')).toHaveLength(1);
  }, 180_000);
});
