import { createInterface } from 'node:readline';
import type { RowOutcome } from '@kicksaw/core';
import { getObjectStream, headObject, objectExists } from '@kicksaw/s3';
import { type LocalS3, startLocalS3WithBucket, withoutProxyVariables } from '@kicksaw/testkit';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3ErrorReport, errorReportKey, uploadErrorReport } from '../src/index.js';
import { expectedDefault, fixture } from './fixture.js';

withoutProxyVariables();

/** Outcomes for a big report: every third row succeeds, every fifth failed row has two errors. */
function* manyOutcomes(count: number): Generator<RowOutcome> {
  for (let row = 1; row <= count; row++) {
    if (row % 3 === 0) {
      yield {
        row,
        status: 'succeeded',
        id: `003${String(row).padStart(15, '0')}`,
        created: true,
        errors: [],
        record: {},
      };
      continue;
    }
    const errors = [
      {
        statusCode: 'REQUIRED_FIELD_MISSING',
        message: 'Required fields are missing: [LastName]',
        fields: ['LastName'],
      },
    ];
    if (row % 5 === 0)
      errors.push({ statusCode: 'INVALID_EMAIL_ADDRESS', message: `Email: invalid, "row ${row}"`, fields: ['Email'] });
    yield {
      row,
      status: 'failed',
      id: null,
      created: false,
      errors,
      record: { External_Id__c: `C-${row}`, Email: `person${row}@example.com`, LastName: '' },
    };
  }
}

let s3: LocalS3;
let bucket: string;

beforeAll(async () => {
  ({ s3, bucket } = await startLocalS3WithBucket());
});
afterAll(() => s3?.stop());

describe('uploadErrorReport', () => {
  it("streams the report to the Python kicksaw-integration-utils' default key and returns a presigned link that serves it", async () => {
    const before = errorReportKey();
    const uploaded = await uploadErrorReport({
      client: s3.client,
      bucket,
      outcomes: fixture.batches.flat(),
      object: fixture.object,
      upsertKey: fixture.upsertKey,
    });
    expect(uploaded.key).toMatch(/^errors\/error-report-\d{8}T\d{6}Z\.csv$/);
    expect(uploaded.key >= before).toBe(true);
    expect(uploaded.bucket).toBe(bucket);
    expect(uploaded.counts).toEqual({ errorLines: 5, failedRows: 4, outcomes: 6, successRows: 0 });
    expect(uploaded.url).toContain('X-Amz-Expires=3600');
    expect(uploaded.url).toContain('X-Amz-Signature=');
    const response = await fetch(uploaded.url as string);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(expectedDefault)).toBe(true);
    const head = await headObject({ client: s3.client, bucket, key: uploaded.key });
    expect(head?.contentType).toBe('text/csv; charset=utf-8');
  });

  it('takes a key, a folder and timestamp, a link expiry, or no link', async () => {
    expect(errorReportKey({ folder: 'reports/', timestamp: '20220705T143012Z' })).toBe(
      'reports/error-report-20220705T143012Z.csv',
    );
    const keyed = await uploadErrorReport({
      client: s3.client,
      bucket,
      key: 'custom/run-1.csv',
      outcomes: [],
      link: { expiresIn: 600 },
    });
    expect(keyed.key).toBe('custom/run-1.csv');
    expect(keyed.url).toContain('X-Amz-Expires=600');
    const text = await (await fetch(keyed.url as string)).text();
    expect(text).toBe('salesforce_object,code,message,upsert_key,upsert_key_value,object_json\r\n');

    const noLink = await uploadErrorReport({
      client: s3.client,
      bucket,
      folder: 'elsewhere',
      timestamp: '20240101T000000Z',
      outcomes: fixture.batches[0] ?? [],
      link: false,
    });
    expect(noLink).toMatchObject({ key: 'elsewhere/error-report-20240101T000000Z.csv', url: undefined });
    // A bad expiry is refused before anything is uploaded.
    expect(() =>
      createS3ErrorReport({ client: s3.client, bucket, key: 'errors/bad-link.csv', link: { expiresIn: 8 * 86_400 } }),
    ).toThrow(/link\.expiresIn/);
    expect(await objectExists({ client: s3.client, bucket, key: 'errors/bad-link.csv' })).toBe(false);
    expect(await objectExists({ client: s3.client, bucket, key: noLink.key })).toBe(true);
  });

  it('stores nothing when reading the outcomes fails midway', async () => {
    async function* failing(): AsyncGenerator<RowOutcome> {
      yield* fixture.batches[0] ?? [];
      throw new Error('the source broke');
    }
    const key = 'errors/never.csv';
    await expect(uploadErrorReport({ client: s3.client, bucket, key, outcomes: failing() })).rejects.toThrow(
      'the source broke',
    );
    expect(await objectExists({ client: s3.client, bucket, key })).toBe(false);
  });

  it('fails with a KicksawError naming the bucket and key when the upload fails', async () => {
    await expect(
      uploadErrorReport({
        client: s3.client,
        bucket: 'no-such-bucket-here',
        key: 'errors/x.csv',
        outcomes: fixture.batches.flat(),
      }),
    ).rejects.toThrow(/s3:\/\/no-such-bucket-here\/errors\/x\.csv/);
  });
});

describe('createS3ErrorReport', () => {
  it('does not hang when a multipart upload fails while outcomes are still being written', async () => {
    const report = createS3ErrorReport({ client: s3.client, bucket: 'missing-bucket-big', key: 'errors/big.csv' });
    let written = 0;
    const writing = (async () => {
      for (const outcome of manyOutcomes(400_000)) {
        await report.write(outcome);
        written++;
      }
      return report.end();
    })();
    await expect(writing).rejects.toThrow(
      /Could not upload the error report to s3:\/\/missing-bucket-big\/errors\/big\.csv/,
    );
    // It stopped early: the failure reached the writer once lib-storage held its parts in flight (about
    // 4 + 1 parts of 5 MiB, ~165k of these outcomes), instead of the writer buffering all 400k.
    expect(written).toBeLessThan(250_000);
  });

  it('writes 200,000 outcomes as a multipart upload, batch by batch, with the right lines', async () => {
    const count = 200_000;
    const report = createS3ErrorReport({
      client: s3.client,
      bucket,
      key: 'errors/big.csv',
      object: 'Contact',
      upsertKey: 'External_Id__c',
      link: false,
    });
    // Several batches into one report, as a run would.
    const all = [...manyOutcomes(count)];
    await report.writeAll(all.slice(0, 50_000));
    expect(report.counts().failedRows).toBeGreaterThan(0);
    await report.writeAll(all.slice(50_000));
    const done = await report.end();
    const failedRows = count - Math.floor(count / 3);
    const twoErrorRows = all.filter((outcome) => outcome.status === 'failed' && outcome.row % 5 === 0).length;
    expect(done.counts).toEqual({ errorLines: failedRows + twoErrorRows, failedRows, outcomes: count, successRows: 0 });

    const head = await headObject({ client: s3.client, bucket, key: 'errors/big.csv' });
    expect(head?.size).toBeGreaterThan(5 * 1024 * 1024); // more than one part
    const { body } = await getObjectStream({ client: s3.client, bucket, key: 'errors/big.csv' });
    let records = 0;
    let physical = 0;
    const samples: string[] = [];
    for await (const line of createInterface({ input: body, crlfDelay: Number.POSITIVE_INFINITY })) {
      physical += 1;
      if (physical === 1) expect(line).toBe('salesforce_object,code,message,upsert_key,upsert_key_value,object_json');
      else records += 1;
      if (physical === 2 || physical === 5 || physical === 6) samples.push(line);
    }
    expect(records).toBe(done.counts.errorLines);
    const parsed = parse(samples.join('\r\n'), {
      columns: ['object', 'code', 'message', 'key', 'value', 'json'],
    }) as Array<Record<string, string>>;
    expect(parsed[0]).toMatchObject({ object: 'Contact', code: 'REQUIRED_FIELD_MISSING', value: 'C-1' });
    // Row 5 has two errors: lines 5 and 6 of the file (row 3 succeeded).
    expect(parsed[1]).toMatchObject({ code: 'REQUIRED_FIELD_MISSING', value: 'C-5' });
    expect(parsed[2]).toMatchObject({
      code: 'INVALID_EMAIL_ADDRESS',
      message: 'Email: invalid, "row 5"',
      value: 'C-5',
    });
    expect(JSON.parse(parsed[2]?.json ?? '')).toEqual({
      External_Id__c: 'C-5',
      Email: 'person5@example.com',
      LastName: '',
    });
  });
});
