import { describe, expect, it } from 'vitest';
import { api, connect, csvRows, raw, startEmulator, useEmulator, waitForJob } from './http-support.js';

const env = useEmulator();

const ingest = (rest = '') => `/services/data/v62.0/jobs/ingest${rest}`;

/** Create, upload, close and wait, all through jsforce's low-level `conn.request`. */
async function runJob(job: Record<string, unknown>, csv: string) {
  const info = (await env.conn.request({
    method: 'POST',
    url: ingest(),
    body: JSON.stringify(job),
    headers: { 'Content-Type': 'application/json' },
  })) as Record<string, unknown>;
  const id = info.id as string;
  await env.conn.request({
    method: 'PUT',
    url: ingest(`/${id}/batches`),
    body: csv,
    headers: { 'Content-Type': 'text/csv' },
  });
  await env.conn.request({
    method: 'PATCH',
    url: ingest(`/${id}`),
    body: JSON.stringify({ state: 'UploadComplete' }),
    headers: { 'Content-Type': 'application/json' },
  });
  const final = await waitForJob(env.sf, 'ingest', id);
  const read = async (name: string) => (await raw(env.sf, 'GET', api(env.sf, `/jobs/ingest/${id}/${name}`))).text;
  return {
    id,
    created: info,
    final,
    success: await read('successfulResults'),
    failed: await read('failedResults'),
    unprocessed: await read('unprocessedrecords'),
  };
}

describe('Bulk API 2.0 ingest', () => {
  it('inserts with mixed outcomes and answers the three result CSVs exactly', async () => {
    const csv = 'Name,Code__c,Amount__c,ExtId__c\nGood,A,1.5,I-1\n"Needs, code",,2,I-2\nBad number,C,abc,I-3\n';
    const run = await runJob(
      { object: 'Widget__c', operation: 'insert', lineEnding: 'LF', columnDelimiter: 'COMMA' },
      csv,
    );
    expect(run.created).toMatchObject({
      operation: 'insert',
      object: 'Widget__c',
      state: 'Open',
      concurrencyMode: 'Parallel',
      contentType: 'CSV',
      apiVersion: 62,
      lineEnding: 'LF',
      columnDelimiter: 'COMMA',
      contentUrl: `services/data/v62.0/jobs/ingest/${run.id}/batches`,
    });
    expect(run.id).toMatch(/^750\w{15}$/);
    expect(run.created.createdDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);
    expect(run.final).toMatchObject({
      state: 'JobComplete',
      jobType: 'V2Ingest',
      numberRecordsProcessed: 3,
      numberRecordsFailed: 2,
      retries: 0,
    });
    const success = csvRows(run.success);
    expect(run.success.split('\n')[0]).toBe('"sf__Id","sf__Created",Name,Code__c,Amount__c,ExtId__c');
    expect(success.slice(1)).toEqual([[expect.stringMatching(/^\w{18}$/), 'true', 'Good', 'A', '1.5', 'I-1']]);
    const id = success[1]?.[0] as string;
    expect(env.sf.org.get(id)).toMatchObject({ Name: 'Good', Code__c: 'A', Amount__c: 1.5 });
    expect(run.failed.split('\n')[0]).toBe('"sf__Id","sf__Error",Name,Code__c,Amount__c,ExtId__c');
    const failed = csvRows(run.failed).slice(1);
    expect(failed).toHaveLength(2);
    expect(failed[0]).toEqual([
      '',
      'REQUIRED_FIELD_MISSING:Required fields are missing: [Code__c]:Code__c --',
      'Needs, code',
      '',
      '2',
      'I-2',
    ]);
    expect(failed[1]?.[1]).toMatch(/^INVALID_TYPE_ON_FIELD_IN_RECORD:.*:Amount__c --$/);
    expect(run.unprocessed).toBe('Name,Code__c,Amount__c,ExtId__c\n');
  });

  it('upserts by external id with relationship columns, #N/A and duplicate ids, then updates and deletes', async () => {
    const parent = await env.conn.sobject('Widget__c').create({ Code__c: 'P', ExtId__c: 'PARENT' });
    expect(parent.success).toBe(true);
    const account = (await env.conn.sobject('Account').create({ Name: 'Parent Co' })).id as string;
    const seeded = (
      await env.conn.sobject('Widget__c').create({ Code__c: 'S', ExtId__c: 'U-1', Amount__c: 9, Note__c: 'keep' })
    ).id;
    const csv = [
      'ExtId__c,Code__c,Amount__c,Note__c,Account__c',
      `U-1,S2,#N/A,,${account}`,
      'U-2,N,3,new,',
      'U-3,D,1,,',
      'U-3,D,2,,',
    ].join('\n');
    const run = await runJob({ object: 'Widget__c', operation: 'upsert', externalIdFieldName: 'extid__c' }, csv);
    expect(run.created.externalIdFieldName).toBe('ExtId__c');
    expect(run.final).toMatchObject({ state: 'JobComplete', numberRecordsProcessed: 4, numberRecordsFailed: 2 });
    const success = csvRows(run.success).slice(1);
    expect(success.map((r) => [r[1], r[2]])).toEqual([
      ['false', 'U-1'],
      ['true', 'U-2'],
    ]);
    expect(success[0]?.[0]).toBe(seeded);
    const updated = env.sf.org.get(seeded as string);
    expect(updated).toMatchObject({ Code__c: 'S2', Amount__c: null, Note__c: 'keep', Account__c: account });
    const failed = csvRows(run.failed).slice(1);
    expect(failed.map((r) => r[1]?.split(':')[0])).toEqual(['DUPLICATE_EXTERNAL_ID', 'DUPLICATE_EXTERNAL_ID']);

    const update = await runJob(
      { object: 'Widget__c', operation: 'update' },
      `Id,Amount__c\n${seeded},42\n001000000000000AAA,1\n`,
    );
    expect(update.final).toMatchObject({ numberRecordsProcessed: 2, numberRecordsFailed: 1 });
    expect(env.sf.org.get(seeded as string)?.Amount__c).toBe(42);

    const del = await runJob({ object: 'Widget__c', operation: 'delete' }, `Id\n${seeded}\n`);
    expect(csvRows(del.success).slice(1)).toEqual([[seeded, 'false', seeded]]);
    expect(env.sf.org.get(seeded as string)).toBeUndefined();
    expect(env.sf.org.get(seeded as string, { includeDeleted: true })).toBeDefined();
    const hard = await runJob({ object: 'Widget__c', operation: 'hardDelete' }, `Id\n${parent.id}\n`);
    expect(hard.final.state).toBe('JobComplete');
    expect(env.sf.org.get(parent.id as string, { includeDeleted: true })).toBeUndefined();
  });

  it('resolves relationship columns by external id, and fails rows whose parent is missing', async () => {
    const parent = (await env.conn.sobject('Widget__c').create({ Code__c: 'R', ExtId__c: 'REL-1' })).id as string;
    const run = await runJob(
      { object: 'Part__c', operation: 'insert' },
      'Name,Widget__r.ExtId__c\nP1,REL-1\nP2,NOPE\n',
    );
    expect(run.final).toMatchObject({ state: 'JobComplete', numberRecordsProcessed: 2, numberRecordsFailed: 1 });
    const [created] = csvRows(run.success).slice(1);
    expect(env.sf.org.get(created?.[0] as string)).toMatchObject({ Name: 'P1', Widget__c: parent });
    expect(csvRows(run.failed)[1]?.slice(2)).toEqual(['P2', 'NOPE']);
  });

  it('reads other delimiters and CRLF, and writes results the same way', async () => {
    const run = await runJob(
      { object: 'Widget__c', operation: 'insert', columnDelimiter: 'SEMICOLON', lineEnding: 'CRLF' },
      'Code__c;Note__c\r\nX;"a;b\r\nc"\r\nY;plain\r\nZ;"say ""hi"""\r\n',
    );
    expect(run.final).toMatchObject({ state: 'JobComplete', numberRecordsProcessed: 3, numberRecordsFailed: 0 });
    expect(run.success.startsWith('"sf__Id";"sf__Created";Code__c;Note__c\r\n')).toBe(true);
    expect(run.success).toContain(';"true";"Z";"say ""hi"""\r\n');
    expect(run.success).toContain(';"true";"X";"a;b\r\nc"\r\n');
    const notes = env.sf.org.records('Widget__c').map((w) => w.Note__c);
    expect(notes).toContain('a;b\r\nc');
  });

  it('fails the whole job on an unknown header', async () => {
    const run = await runJob({ object: 'Widget__c', operation: 'insert' }, 'Code__c,Bogus__c\nA,1\nB,2\n');
    expect(run.final).toMatchObject({
      state: 'Failed',
      errorMessage: 'InvalidBatch : Field name not found : Bogus__c',
      numberRecordsProcessed: 0,
    });
    expect(csvRows(run.unprocessed)).toEqual([
      ['Code__c', 'Bogus__c'],
      ['A', '1'],
      ['B', '2'],
    ]);
  });

  it('enforces the state machine, one upload per job, accepts 0 bytes, lists, aborts and deletes', async () => {
    const create = (body: unknown) => raw(env.sf, 'POST', api(env.sf, '/jobs/ingest'), { body: JSON.stringify(body) });
    const bad = await create({ object: 'Widget__c', operation: 'merge' });
    expect(bad.status).toBe(400);
    const upsertWithoutKey = await create({ object: 'Widget__c', operation: 'upsert' });
    expect(upsertWithoutKey.status).toBe(400);
    const job = (await create({ object: 'Widget__c', operation: 'insert' })).json() as { id: string };
    const put = (body: string) =>
      raw(env.sf, 'PUT', api(env.sf, `/jobs/ingest/${job.id}/batches`), { body, type: 'text/csv' });
    expect((await put('')).status).toBe(201);
    const again = await put('Code__c\nA\n');
    expect(again.status).toBe(400);
    expect((again.json() as Array<{ errorCode: string }>)[0]?.errorCode).toBe('BULK_API_ERROR');
    const patch = (id: string, state: string) =>
      raw(env.sf, 'PATCH', api(env.sf, `/jobs/ingest/${id}`), { body: JSON.stringify({ state }) });
    expect((await patch(job.id, 'UploadComplete')).status).toBe(200);
    const empty = await waitForJob(env.sf, 'ingest', job.id);
    expect(empty).toMatchObject({ state: 'JobComplete', numberRecordsProcessed: 0 });
    const late = await patch(job.id, 'Aborted');
    expect(late.status).toBe(400);
    expect((late.json() as Array<{ errorCode: string }>)[0]?.errorCode).toBe('INVALIDJOBSTATE');
    expect((await patch(job.id, 'UploadComplete')).status).toBe(400);

    const other = (await create({ object: 'Widget__c', operation: 'insert' })).json() as { id: string };
    const aborted = await patch(other.id, 'Aborted');
    expect(aborted.json()).toMatchObject({ state: 'Aborted' });
    const list = (await raw(env.sf, 'GET', api(env.sf, '/jobs/ingest'))).json() as {
      done: boolean;
      records: Array<{ id: string }>;
    };
    expect(list.done).toBe(true);
    expect(list.records.map((r) => r.id)).toEqual(expect.arrayContaining([job.id, other.id]));
    expect((await raw(env.sf, 'DELETE', api(env.sf, `/jobs/ingest/${job.id}`))).status).toBe(204);
    expect((await raw(env.sf, 'GET', api(env.sf, `/jobs/ingest/${job.id}`))).status).toBe(404);
    expect((await raw(env.sf, 'GET', api(env.sf, `/jobs/ingest/${job.id}/successfulResults`))).status).toBe(404);
  });

  it('refuses an upload over the size limit', async () => {
    const small = await startEmulator({ maxUploadBytes: 1000 });
    try {
      const job = (
        await raw(small, 'POST', api(small, '/jobs/ingest'), {
          body: JSON.stringify({ object: 'Widget__c', operation: 'insert' }),
        })
      ).json() as { id: string };
      const body = `Code__c\n${'A\n'.repeat(1000)}`;
      const response = await raw(small, 'PUT', api(small, `/jobs/ingest/${job.id}/batches`), {
        body,
        type: 'text/csv',
      });
      expect(response.status).toBe(413);
      expect(small.org.records('Widget__c')).toHaveLength(0);
    } finally {
      await small.stop();
    }
  });

  it('processes 25,000 rows in 10,000-row internal batches, results shuffled by default', async () => {
    const shuffled = await startEmulator({ resultOrder: 'shuffle' });
    try {
      const c = connect(shuffled);
      const rows = Array.from({ length: 25_000 }, (_, i) => `B-${i},C`).join('\n');
      const job = (await c.request({
        method: 'POST',
        url: ingest(),
        body: JSON.stringify({ object: 'Widget__c', operation: 'insert' }),
        headers: { 'Content-Type': 'application/json' },
      })) as { id: string };
      await c.request({
        method: 'PUT',
        url: ingest(`/${job.id}/batches`),
        body: `ExtId__c,Code__c\n${rows}\n`,
        headers: { 'Content-Type': 'text/csv' },
      });
      await c.request({
        method: 'PATCH',
        url: ingest(`/${job.id}`),
        body: '{"state":"UploadComplete"}',
        headers: { 'Content-Type': 'application/json' },
      });
      const info = await waitForJob(shuffled, 'ingest', job.id);
      expect(info).toMatchObject({ state: 'JobComplete', numberRecordsProcessed: 25_000, numberRecordsFailed: 0 });
      const success = csvRows(
        (await raw(shuffled, 'GET', api(shuffled, `/jobs/ingest/${job.id}/successfulResults`))).text,
      ).slice(1);
      expect(success).toHaveLength(25_000);
      const order = success.map((r) => Number(r[2]?.slice(2)));
      expect(order).not.toEqual([...order].sort((a, b) => a - b));
      expect(new Set(order).size).toBe(25_000);
      expect(shuffled.org.records('Widget__c')).toHaveLength(25_000);
    } finally {
      await shuffled.stop();
    }
  });

  it("works through jsforce's own bulk2 API", async () => {
    const before = env.sf.org.records('Widget__c').length;
    const results = await env.conn.bulk2.loadAndWaitForResults({
      object: 'Widget__c',
      operation: 'insert',
      input: 'Code__c,Name\nJ1,jsforce one\n,missing code\n',
      pollInterval: 10,
      pollTimeout: 10_000,
    });
    expect(results.successfulResults).toHaveLength(1);
    expect(results.successfulResults[0]).toMatchObject({ sf__Created: 'true', Code__c: 'J1', Name: 'jsforce one' });
    expect(results.failedResults).toHaveLength(1);
    expect(results.failedResults[0]?.sf__Error).toMatch(/^REQUIRED_FIELD_MISSING/);
    expect(results.unprocessedRecords).toHaveLength(0);
    expect(env.sf.org.records('Widget__c').length).toBe(before + 1);
  });

  it('fails a job whose data has the other line ending with ClientInputError, before any row', async () => {
    const before = env.sf.org.records('Widget__c').length;
    const crlfInLf = await runJob(
      { object: 'Widget__c', operation: 'insert', lineEnding: 'LF' },
      'Name,Code__c\r\nCRLF one,A\r\n',
    );
    expect(crlfInLf.final).toMatchObject({
      state: 'Failed',
      errorMessage: 'ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF',
      numberRecordsProcessed: 0,
    });
    const lfInCrlf = await runJob(
      { object: 'Widget__c', operation: 'insert', lineEnding: 'CRLF' },
      'Name,Code__c\nLF one,A\n',
    );
    expect(lfInCrlf.final).toMatchObject({
      state: 'Failed',
      errorMessage: 'ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is CRLF',
    });
    expect(env.sf.org.records('Widget__c').length).toBe(before);
    const matching = await runJob(
      { object: 'Widget__c', operation: 'insert', lineEnding: 'CRLF' },
      'Name,Code__c,Note__c\r\nCRLF ok,A,"two\nlines"\r\n',
    );
    expect(matching.final).toMatchObject({ state: 'JobComplete', numberRecordsProcessed: 1 });
    expect(env.sf.org.records('Widget__c').find((record) => record.Name === 'CRLF ok')?.Note__c).toBe('two\nlines');
  });

  it('takes the Account columns of a real org export (Jigsaw, SicDesc, D-U-N-S, read-only ones left empty)', async () => {
    const header =
      'Name,Jigsaw,JigsawCompanyId,SicDesc,DunsNumber,Tradestyle,NaicsCode,NaicsDesc,YearStarted,CleanStatus,BillingGeocodeAccuracy,PhotoUrl,LastViewedDate';
    const run = await runJob(
      { object: 'Account', operation: 'insert' },
      `${header}\nExported Co,J-1,,Software,123456789,Exported,541511,Custom Programming,1999,Matched,Zip,,\n`,
    );
    expect(run.final).toMatchObject({ state: 'JobComplete', numberRecordsProcessed: 1, numberRecordsFailed: 0 });
    const [account] = env.sf.org.records('Account').filter((record) => record.Name === 'Exported Co');
    expect(account).toMatchObject({
      Jigsaw: 'J-1',
      SicDesc: 'Software',
      DunsNumber: '123456789',
      CleanStatus: 'Matched',
    });
    const fields = (env.sf.org.describe('Contact').fields as Array<{ name: string }>).map((field) => field.name);
    expect(fields).toEqual(
      expect.arrayContaining(['Jigsaw', 'JigsawContactId', 'CleanStatus', 'MailingGeocodeAccuracy']),
    );
  });
});
