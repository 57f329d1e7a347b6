import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type SalesforceEmulator, startSalesforceEmulator } from '@kicksaw/sf-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, contactsCsv, insertContacts, kicksaw, loginWithToken, type Sandbox, sandbox } from './helpers.js';

let sf: SalesforceEmulator;
let box: Sandbox;
const ACCOUNTS = 30;

beforeAll(async () => {
  assertBuilt();
  [sf, box] = await Promise.all([
    startSalesforceEmulator({
      seed: {
        Account: Array.from({ length: ACCOUNTS }, (_, i) => ({ Name: `Account ${i + 1}`, NumberOfEmployees: i + 1 })),
      },
      queryPageSize: 7,
    }),
    sandbox(),
  ]);
  await loginWithToken(box, sf);
});
afterAll(async () => {
  await Promise.all([sf?.stop(), box?.remove()]);
});

describe('kicksaw query', () => {
  it('--json puts the typed rows in the document', async () => {
    const result = await kicksaw(box, [
      'query',
      'SELECT Id, Name, NumberOfEmployees FROM Account ORDER BY NumberOfEmployees',
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const doc = result.json<{ ok: boolean; rows: number; records: Array<Record<string, unknown>> }>();
    expect(doc).toMatchObject({ ok: true, command: 'query', rows: ACCOUNTS });
    expect(doc.records).toHaveLength(ACCOUNTS);
    expect(doc.records[0]).toMatchObject({ Name: 'Account 1', NumberOfEmployees: 1 });
    expect(doc.records.map((r) => r.NumberOfEmployees)).toEqual(Array.from({ length: ACCOUNTS }, (_, i) => i + 1));
  });

  it('csv on a pipe by default, ndjson, and a Bulk API query job (paged) into a file', async () => {
    const csv = await kicksaw(box, ['query', 'SELECT Name, NumberOfEmployees FROM Account ORDER BY NumberOfEmployees']);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toBe('Name,NumberOfEmployees');
    expect(lines).toHaveLength(ACCOUNTS + 1);
    expect(lines[1]).toBe('Account 1,1');
    expect(csv.stderr).toContain(`${ACCOUNTS} rows.`);

    const ndjson = await kicksaw(box, ['query', 'SELECT Name FROM Account', '--format', 'ndjson', '--rest']);
    expect(
      ndjson.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).Name as string),
    ).toHaveLength(ACCOUNTS);

    const out = await kicksaw(box, [
      'query',
      'SELECT Id, Name FROM Account',
      '--bulk',
      '--out',
      'accounts.csv',
      '--json',
    ]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.json()).toEqual({
      ok: true,
      command: 'query',
      soql: 'SELECT Id, Name FROM Account',
      rows: ACCOUNTS,
      out: join(box.dir, 'accounts.csv'),
      format: 'csv',
    });
    const file = (await readFile(join(box.dir, 'accounts.csv'), 'utf8')).trim().split('\n');
    expect(file).toHaveLength(ACCOUNTS + 1);
    expect(new Set(file.slice(1).map((l) => l.split(',')[0])).size).toBe(ACCOUNTS);
  });

  it('an unknown field or object lists the nearest names; nothing is left of an --out file (exit 1)', async () => {
    const field = await kicksaw(box, ['query', 'SELECT Id, Nme FROM Account', '--out', 'x.csv', '--json']);
    expect(field.code).toBe(1);
    expect(field.json()).toMatchObject({
      ok: false,
      error: { code: 'SF_UNKNOWN_FIELD', message: 'Account has no field "Nme": nearest Name' },
    });
    const object = await kicksaw(box, ['query', 'SELECT Id FROM Acount']);
    expect(object.code).toBe(1);
    expect(object.stderr).toContain('Salesforce has no object named "Acount"');
    expect(object.stderr).toContain('Nearest objects: Account');
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(box.dir)).filter((f) => f.startsWith('x.csv'))).toEqual([]);
    const both = await kicksaw(box, ['query', 'SELECT Id FROM Account', '--bulk', '--rest']);
    expect(both.code).toBe(2);
  });
});

describe('kicksaw jobs', () => {
  it('list, show, results, delete', async () => {
    await writeFile(join(box.dir, 'contacts.csv'), contactsCsv(220, 20, 'j'));
    const load = await kicksaw(box, insertContacts('contacts.csv', '--api', 'bulk', '--json'));
    expect(load.code, load.stderr).toBe(3);
    const [jobId] = load.json<{ jobIds: string[] }>().jobIds as [string];

    const list = await kicksaw(box, ['jobs', 'list', '--type', 'ingest', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const jobs = list.json<{ jobs: Array<Record<string, unknown>> }>().jobs;
    expect(jobs.find((j) => j.id === jobId)).toMatchObject({
      type: 'ingest',
      object: 'Contact',
      operation: 'insert',
      state: 'JobComplete',
    });
    const all = await kicksaw(box, ['jobs', 'list', '--json']);
    expect(all.json<{ jobs: Array<{ type: string }> }>().jobs.some((j) => j.type === 'query')).toBe(true);

    const show = await kicksaw(box, ['jobs', 'show', jobId, '--json']);
    expect(show.json()).toMatchObject({
      ok: true,
      command: 'jobs show',
      job: { id: jobId, state: 'JobComplete', recordsProcessed: 220, recordsFailed: 11 },
    });

    const results = await kicksaw(box, ['jobs', 'results', jobId, '--out', 'results', '--json']);
    expect(results.code, results.stderr).toBe(0);
    const doc = results.json<{ files: Array<{ kind: string; path: string; rows: number }> }>();
    expect(doc).toMatchObject({ ok: true, command: 'jobs results', jobId, type: 'ingest', state: 'JobComplete' });
    expect(doc.files.map((f) => [f.kind, f.rows])).toEqual([
      ['successful', 209],
      ['failed', 11],
      ['unprocessed', 0],
    ]);
    const failed = await readFile(join(box.dir, 'results', `${jobId}-failed.csv`), 'utf8');
    expect(failed.split('\n')[0]).toContain('sf__Error');

    const deleted = await kicksaw(box, ['jobs', 'delete', jobId, '--json']);
    expect(deleted.json()).toEqual({ ok: true, command: 'jobs delete', jobId, deleted: true });
    const gone = await kicksaw(box, ['jobs', 'show', jobId, '--json']);
    expect(gone.code).toBe(1);
    expect(gone.json()).toMatchObject({ error: { code: 'JOB_NOT_FOUND' } });
  });
});
