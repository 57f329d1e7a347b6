import { describe, expect, it } from 'vitest';
import { runDemo } from '../src/demo.js';
import { sampleContactsCsv } from '../src/sample.js';

for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[name];

describe('the main job on the embedded default', () => {
  it('loads the good rows, reports the bad ones, archives the file and records the run', async () => {
    const lines: string[] = [];
    const rows = 1200;
    const demo = await runDemo({ rows, env: {}, print: (line) => lines.push(line) });
    const { bad } = sampleContactsCsv(rows);
    const badRows = bad.missingLastName + bad.badDate + bad.tooLong + bad.duplicateExternalId;

    expect(demo.local).toEqual({ s3: true, salesforce: true });
    expect(demo.result.status).toBe('completed');
    expect(demo.result.summary).toMatchObject({ input: rows, failed: badRows, succeeded: rows - badRows });
    expect(demo.result.reportRows).toBe(badRows);
    expect(demo.reportHead[0]).toMatch(/code/);
    expect(demo.result.archiveKey).toMatch(/^archive\/contacts-\d{4}-\d{2}-\d{2}-\d{8}T\d{6}Z\.csv$/);
    expect(demo.execution).toMatchObject({
      Status__c: 'Completed with Errors',
      Number_of_Errors__c: badRows,
      Data_File__c: demo.key,
    });
    const output = lines.join('\n');
    expect(output).toContain(`rows read   ${rows}`);
    expect(output).toContain(`failed      ${badRows}`);
    expect(output).toContain('execution record (read back from the org)');
  });
});

describe('the example handler', () => {
  it('fails its cold start with the name of a missing Salesforce setting', async () => {
    const { createContactsHandler } = await import('../src/handler.js');
    expect(() => createContactsHandler({}, {})).toThrow(/SF_INSTANCE_URL/);
    expect(() =>
      createContactsHandler({}, { SF_LOGIN_URL: 'https://acme.my.salesforce.com', SF_CLIENT_ID: 'x' }),
    ).toThrow(/SF_CLIENT_SECRET/);
  });
});
