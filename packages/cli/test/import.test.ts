import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { type SalesforceEmulator, startSalesforceEmulator } from '@kicksaw/sf-emulator';
import { type LocalS3, startLocalS3 } from '@kicksaw/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertBuilt,
  BIN,
  CONTACT_WITH_EXTERNAL_ID,
  contactsCsv,
  finished,
  insertContacts,
  kicksaw,
  loginWithToken,
  type Sandbox,
  sandbox,
  start,
  waitForOutput,
} from './helpers.js';

const ESC = String.fromCharCode(27);
let sf: SalesforceEmulator;
let box: Sandbox;
let s3: LocalS3;

interface ImportDoc {
  ok: boolean;
  command: string;
  summary: {
    input: number;
    succeeded: number;
    failed: number;
    unprocessed: number;
    skipped: number;
    created: number;
    jobs: number;
    api: string;
  };
  jobIds: string[];
  report: string | null;
  reportLines: number;
  successReport: string | null;
  exitCode: number;
  archive?: string | null;
  status?: string;
}

beforeAll(async () => {
  assertBuilt();
  [sf, s3, box] = await Promise.all([
    startSalesforceEmulator({
      objects: [CONTACT_WITH_EXTERNAL_ID],
    }),
    startLocalS3(),
    sandbox(),
  ]);
  await loginWithToken(box, sf);
});
afterAll(async () => {
  await Promise.all([sf?.stop(), s3?.stop(), box?.remove()]);
});

/** Waits (on the org's answers, never on a clock) until a job's upload is closed. */
async function untilJobLeavesOpen(jobId: string): Promise<void> {
  for (;;) {
    const response = await fetch(`${sf.instanceUrl}/services/data/v62.0/jobs/ingest/${jobId}`, {
      headers: { Authorization: `Bearer ${sf.accessToken}` },
    });
    const { state } = (await response.json()) as { state: string };
    if (state !== 'Open') return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('kicksaw import', () => {
  it('a file with bad rows: exit 3, every row accounted for, the report names each failed row; no progress codes when piped', async () => {
    await writeFile(join(box.dir, 'contacts.csv'), contactsCsv(250, 25, 'a'));
    const result = await kicksaw(box, insertContacts('contacts.csv', '--report', 'errors.csv', '--json'));
    expect(result.code, result.stderr).toBe(3);
    const doc = result.json<ImportDoc>();
    expect(doc).toMatchObject({
      ok: true,
      command: 'import',
      summary: { input: 250, succeeded: 240, failed: 10, unprocessed: 0, created: 240, api: 'bulk' },
      report: join(box.dir, 'errors.csv'),
      reportLines: 10,
      exitCode: 3,
    });
    expect(doc.jobIds).toHaveLength(doc.summary.jobs);
    const report = (await readFile(join(box.dir, 'errors.csv'), 'utf8')).trim().split(/\r?\n/);
    expect(report).toHaveLength(11);
    const failedEmails = report
      .slice(1)
      .map((line) => /a(\d+)@example\.com/.exec(line)?.[1])
      .map(Number)
      .sort((x, y) => x - y);
    expect(failedEmails).toEqual([25, 50, 75, 100, 125, 150, 175, 200, 225, 250]);
    expect(report.slice(1).every((line) => line.includes('REQUIRED_FIELD_MISSING'))).toBe(true);
    expect(sf.org.records('Contact').filter((r) => String(r.Email).startsWith('a'))).toHaveLength(240);
    // stderr is a pipe here: plain lines only, never a redrawn line.
    expect(result.stderr).toMatch(/job \w{18} created \(250 rows\)/);
    expect(result.stderr).not.toContain('\r');
    expect(result.stderr).not.toContain(`${ESC}[`);
  });

  it('upsert through a TOML mapping with a success report: exit 0, and a second run updates', async () => {
    await writeFile(
      join(box.dir, 'people.csv'),
      'Ref,Surname,Mail\nR1,Hopper,grace@example.com\nR2,Lovelace,ada@example.com\nR3,Turing,alan@example.com\n',
    );
    await writeFile(
      join(box.dir, 'mapping.toml'),
      '[fields]\nExternal_Id__c = "Ref"\nLastName = "Surname"\nEmail = "Mail"\nLeadSource = { value = "CLI" }\n',
    );
    const args = [
      'import',
      'people.csv',
      '--object',
      'Contact',
      '--operation',
      'upsert',
      '--external-id',
      'External_Id__c',
      '--mapping',
      'mapping.toml',
      '--success-report',
      'ok.csv',
      '--json',
    ];
    const first = await kicksaw(box, args);
    expect(first.code, first.stderr).toBe(0);
    expect(first.json<ImportDoc>()).toMatchObject({
      summary: { input: 3, succeeded: 3, failed: 0, created: 3, api: 'rest' },
      report: expect.stringContaining('errors') as unknown as string,
      successReport: join(box.dir, 'ok.csv'),
      exitCode: 0,
    });
    const ok = (await readFile(join(box.dir, 'ok.csv'), 'utf8')).trim().split(/\r?\n/);
    expect(ok).toHaveLength(4);
    expect(ok[0]).toContain('sf__Id');
    const second = await kicksaw(box, args);
    expect(second.json<ImportDoc>().summary).toMatchObject({ input: 3, succeeded: 3, created: 0 });
    const hopper = sf.org.records('Contact').filter((r) => r.External_Id__c === 'R1');
    expect(hopper).toHaveLength(1);
    expect(hopper[0]).toMatchObject({ LastName: 'Hopper', LeadSource: 'CLI' });
  });

  it('an unknown object or field lists the nearest names; a missing file and a bad mapping say so (exit 1)', async () => {
    await writeFile(join(box.dir, 'typo.csv'), 'LastName,Emial\nDoe,doe@example.com\n');
    const object = await kicksaw(box, ['import', 'typo.csv', '--object', 'Contct', '--operation', 'insert', '--json']);
    expect(object.code).toBe(1);
    expect(object.json()).toMatchObject({
      ok: false,
      error: { code: 'SF_UNKNOWN_OBJECT', hint: expect.stringContaining('Contact') },
    });
    const field = await kicksaw(box, insertContacts('typo.csv'));
    expect(field.code).toBe(1);
    expect(field.stderr).toContain('Contact has no field "Emial": nearest Email');
    const missing = await kicksaw(box, insertContacts('nope.csv', '--json'));
    expect(missing.json()).toMatchObject({ error: { code: 'FILE_NOT_FOUND' } });
    await writeFile(join(box.dir, 'bad-mapping.json'), '{ "fields": ');
    const mapping = await kicksaw(box, insertContacts('typo.csv', '--mapping', 'bad-mapping.json', '--json'));
    expect(mapping.json()).toMatchObject({ error: { code: 'MAPPING_INVALID' } });
  });

  it('s3://: flow 1 through the orchestrator, the report and the archive in the bucket', async () => {
    const bucket = await s3.createBucket();
    await s3.client.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'in/contacts.csv', Body: contactsCsv(40, 10, 's') }),
    );
    // The org comes from the project's kicksaw.toml, with its S3 settings; the token from SF_ACCESS_TOKEN.
    await writeFile(
      join(box.dir, 'kicksaw.toml'),
      `[orgs.s3org]\ninstanceUrl = "${sf.instanceUrl}"\n[orgs.s3org.s3]\nendpoint = "${s3.endpoint}"\nregion = "${s3.region}"\nforcePathStyle = true\n`,
    );
    try {
      const result = await kicksaw(
        box,
        [
          'import',
          `s3://${bucket}/in/contacts.csv`,
          '--org',
          's3org',
          '--object',
          'Contact',
          '--operation',
          'insert',
          '--json',
        ],
        {
          env: { SF_ACCESS_TOKEN: sf.accessToken, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
        },
      );
      expect(result.code, result.stderr).toBe(3);
      const doc = result.json<ImportDoc>();
      expect(doc).toMatchObject({
        status: 'completed',
        summary: { input: 40, succeeded: 36, failed: 4 },
        reportLines: 4,
        exitCode: 3,
      });
      expect(doc.report).toMatch(new RegExp(`^s3://${bucket}/errors/`));
      expect(doc.archive).toMatch(new RegExp(`^s3://${bucket}/archive/`));
      const keys =
        (await s3.client.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents?.map((o) => o.Key) ?? [];
      expect(keys).not.toContain('in/contacts.csv');
      const reportKey = (doc.report as string).slice(`s3://${bucket}/`.length);
      const body = await (
        await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: reportKey }))
      ).Body?.transformToString();
      expect(body?.trim().split(/\r?\n/)).toHaveLength(5);
    } finally {
      await writeFile(join(box.dir, 'kicksaw.toml'), '');
    }
  });

  it('on a terminal, stderr shows a live progress line (a real pseudo-terminal through script(1))', async () => {
    await writeFile(join(box.dir, 'tty.csv'), contactsCsv(300, 0, 't'));
    const command = [process.execPath, BIN, ...insertContacts('tty.csv', '--report', 'tty-errors.csv')]
      .map((a) => `'${a}'`)
      .join(' ');
    // script runs the command in a new pseudo-terminal and copies what it writes; -e returns its exit code.
    const { stdout } = await promisify(execFile)('script', ['-qec', command, '/dev/null'], {
      cwd: box.dir,
      env: { ...box.env, TERM: 'xterm' },
    });
    // Each redraw goes back to the line start and erases it (CR, ESC [2K), then writes the counts.
    expect(stdout).toContain(`\r${ESC}[2Kimport Contact: `);
    expect(stdout).toMatch(
      /import Contact: [\d,]+ read · [\d,]+ sent · [\d,]+ succeeded · [\d,]+ failed · \d+ jobs? open · [\d,]+ rows\/s · \d+:\d\d/,
    );
    expect(stdout).toContain('300 read · 300 sent · 300 succeeded · 0 failed');
    expect(stdout).toContain('Contact insert: 300 rows read, 300 succeeded');
  });

  it('Ctrl-C leaves running jobs to Salesforce, prints their ids and the command that collects them (exit 1)', async () => {
    await writeFile(join(box.dir, 'slow.csv'), contactsCsv(300, 0, 'x'));
    sf.faults.set({ jobProcessingMs: 600_000 });
    try {
      const child = start(box, insertContacts('slow.csv', '--report', 'slow-errors.csv'));
      await waitForOutput(child, (o) => /job \w{18} created/.test(o.stderr));
      const jobId = /job (\w{18}) created/.exec(child.output.stderr)?.[1] as string;
      // Interrupt once the upload is closed, so the job is processing in Salesforce (a job still Open is aborted).
      await untilJobLeavesOpen(jobId);
      child.kill('SIGINT');
      const result = await finished(child);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('kicksaw: error: Interrupted');
      expect(result.stderr).toContain(`Jobs left running in Salesforce (they finish there): ${jobId}`);
      expect(result.stderr).toContain(`kicksaw jobs results ${jobId} --out results`);
      const show = await kicksaw(box, ['jobs', 'show', jobId, '--json']);
      // Still running in Salesforce: uploaded and waiting, or processing.
      expect(['UploadComplete', 'InProgress']).toContain(show.json<{ job: { state: string } }>().job.state);
      const abort = await kicksaw(box, ['jobs', 'abort', jobId, '--json']);
      expect(abort.json()).toEqual({ ok: true, command: 'jobs abort', jobId, state: 'Aborted' });
    } finally {
      sf.faults.reset();
    }
  });
});
