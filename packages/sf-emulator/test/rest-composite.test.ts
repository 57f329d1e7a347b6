// composite and composite/batch through the real jsforce (it has no wrapper for them: conn.request).
import type { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SalesforceEmulator } from '../src/index.js';
import { connect, startEmulator } from './http-support.js';

let sf: SalesforceEmulator;
let conn: Connection;
let base: string;
beforeAll(async () => {
  sf = await startEmulator();
  conn = connect(sf);
  base = `/services/data/v${sf.apiVersion}`;
});
afterAll(async () => {
  await sf.stop();
});

interface SubResult {
  body: unknown;
  httpHeaders: Record<string, string>;
  httpStatusCode: number;
  referenceId: string;
}

const composite = async (body: unknown) =>
  (await conn.request({
    method: 'POST',
    url: `${base}/composite`,
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  })) as { compositeResponse: SubResult[] };

const batch = async (body: unknown) =>
  (await conn.request({
    method: 'POST',
    url: `${base}/composite/batch`,
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  })) as { hasErrors: boolean; results: Array<{ statusCode: number; result: unknown }> };

const count = async (soql: string) => (await conn.query(soql)).totalSize;

describe('POST composite', () => {
  it('runs dependent subrequests with @{ref.field} references and answers each by referenceId', async () => {
    const answer = await composite({
      allOrNone: true,
      compositeRequest: [
        { method: 'POST', url: `${base}/sobjects/Account`, referenceId: 'acct', body: { Name: 'Composite Co' } },
        {
          method: 'POST',
          url: `${base}/sobjects/Contact`,
          referenceId: 'ann',
          body: { LastName: 'Ann', AccountId: '@{acct.id}' },
        },
        {
          method: 'GET',
          url: `${base}/query?q=${encodeURIComponent("SELECT Id, LastName FROM Contact WHERE AccountId = '@{acct.id}'")}`,
          referenceId: 'contacts',
        },
        {
          method: 'PATCH',
          url: `${base}/sobjects/Contact/@{contacts.records[0].Id}`,
          referenceId: 'rename',
          body: { FirstName: 'Renamed' },
        },
        { method: 'GET', url: `${base}/sobjects/Account/@{acct.id}?fields=Name`, referenceId: 'read' },
      ],
    });
    const results = answer.compositeResponse;
    expect(results.map((r) => [r.referenceId, r.httpStatusCode])).toEqual([
      ['acct', 201],
      ['ann', 201],
      ['contacts', 200],
      ['rename', 204],
      ['read', 200],
    ]);
    const accountId = (results[0]!.body as { id: string }).id;
    expect(results[0]).toEqual({
      body: { id: accountId, success: true, errors: [] },
      httpHeaders: { Location: `${base}/sobjects/Account/${accountId}` },
      httpStatusCode: 201,
      referenceId: 'acct',
    });
    expect(results[2]?.body).toMatchObject({ totalSize: 1, records: [{ LastName: 'Ann' }] });
    expect(results[3]?.body).toBeNull();
    expect(results[4]?.body).toMatchObject({ Id: accountId, Name: 'Composite Co' });
    const contact = await conn.query<{ FirstName: string; AccountId: string }>(
      `SELECT FirstName, AccountId FROM Contact WHERE AccountId = '${accountId}'`,
    );
    expect(contact.records.map((r) => [r.FirstName, r.AccountId])).toEqual([['Renamed', accountId]]);
  });

  it('allOrNone rolls back every subrequest when one fails: the failure keeps its error, the others PROCESSING_HALTED', async () => {
    const existing = await conn.sobject('Account').create({ Name: 'Keep Me', Industry: 'Energy' });
    const existingId = existing.id as string;
    const answer = await composite({
      allOrNone: true,
      compositeRequest: [
        { method: 'POST', url: `${base}/sobjects/Account`, referenceId: 'created', body: { Name: 'Rolled Back Co' } },
        {
          method: 'PATCH',
          url: `${base}/sobjects/Account/${existingId}`,
          referenceId: 'changed',
          body: { Industry: 'Banking' },
        },
        { method: 'DELETE', url: `${base}/sobjects/Account/${existingId}`, referenceId: 'deleted' },
        { method: 'POST', url: `${base}/sobjects/Contact`, referenceId: 'bad', body: { FirstName: 'No last name' } },
        { method: 'POST', url: `${base}/sobjects/Account`, referenceId: 'never', body: { Name: 'Never Run' } },
      ],
    });
    const results = answer.compositeResponse;
    expect(results.map((r) => [r.referenceId, r.httpStatusCode])).toEqual([
      ['created', 400],
      ['changed', 400],
      ['deleted', 400],
      ['bad', 400],
      ['never', 400],
    ]);
    expect(results[3]?.body).toEqual([expect.objectContaining({ errorCode: 'REQUIRED_FIELD_MISSING' })]);
    for (const index of [0, 1, 2, 4]) {
      expect(results[index]?.body).toEqual([
        {
          errorCode: 'PROCESSING_HALTED',
          message: 'The transaction was rolled back since another operation in the same transaction failed.',
        },
      ]);
    }
    expect(await count("SELECT Id FROM Account WHERE Name IN ('Rolled Back Co', 'Never Run')")).toBe(0);
    const kept = await conn.sobject('Account').retrieve(existingId);
    expect(kept).toMatchObject({ Name: 'Keep Me', Industry: 'Energy', IsDeleted: false });
    const again = await conn.query(`SELECT Id FROM Account WHERE Id = '${existingId}'`);
    expect(again.totalSize).toBe(1);
  });

  it('allOrNone makes an sObject Collections subrequest all or none and rolls it back', async () => {
    const answer = await composite({
      allOrNone: true,
      compositeRequest: [
        {
          method: 'POST',
          url: `${base}/composite/sobjects`,
          referenceId: 'several',
          body: {
            allOrNone: false,
            records: [
              { attributes: { type: 'Account' }, Name: 'Collection Good' },
              { attributes: { type: 'Account' }, Industry: 'No name' },
            ],
          },
        },
      ],
    });
    expect(answer.compositeResponse[0]?.httpStatusCode).toBe(200);
    expect(answer.compositeResponse[0]?.body).toEqual([
      expect.objectContaining({
        success: false,
        errors: [expect.objectContaining({ statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK' })],
      }),
      expect.objectContaining({
        success: false,
        errors: [expect.objectContaining({ statusCode: 'REQUIRED_FIELD_MISSING' })],
      }),
    ]);
    expect(await count("SELECT Id FROM Account WHERE Name = 'Collection Good'")).toBe(0);
  });

  it('without allOrNone keeps what succeeded and halts only the subrequests that depend on a failure', async () => {
    const answer = await composite({
      compositeRequest: [
        { method: 'POST', url: `${base}/sobjects/Account`, referenceId: 'bad', body: { Industry: 'No name' } },
        {
          method: 'POST',
          url: `${base}/sobjects/Contact`,
          referenceId: 'child',
          body: { LastName: 'X', AccountId: '@{bad.id}' },
        },
        { method: 'POST', url: `${base}/sobjects/Account`, referenceId: 'good', body: { Name: 'Partial Good' } },
      ],
    });
    const results = answer.compositeResponse;
    expect(results.map((r) => [r.referenceId, r.httpStatusCode])).toEqual([
      ['bad', 400],
      ['child', 400],
      ['good', 201],
    ]);
    expect(results[0]?.body).toEqual([expect.objectContaining({ errorCode: 'REQUIRED_FIELD_MISSING' })]);
    expect(results[1]?.body).toEqual([
      expect.objectContaining({ errorCode: 'PROCESSING_HALTED', message: expect.stringContaining('@{bad.id}') }),
    ]);
    expect(await count("SELECT Id FROM Account WHERE Name = 'Partial Good'")).toBe(1);
    expect(await count("SELECT Id FROM Contact WHERE LastName = 'X'")).toBe(0);
  });

  it('refuses more than 25 subrequests and a malformed request as a whole', async () => {
    const compositeRequest = Array.from({ length: 26 }, (_, i) => ({
      method: 'POST',
      url: `${base}/sobjects/Account`,
      referenceId: `a${i}`,
      body: { Name: `Over Limit ${i}` },
    }));
    await expect(composite({ compositeRequest })).rejects.toMatchObject({ errorCode: 'LIMIT_EXCEEDED' });
    expect(await count("SELECT Id FROM Account WHERE Name LIKE 'Over Limit%'")).toBe(0);
    await expect(composite({ compositeRequest: compositeRequest.slice(0, 25) })).resolves.toMatchObject({
      compositeResponse: expect.any(Array),
    });
    expect(await count("SELECT Id FROM Account WHERE Name LIKE 'Over Limit%'")).toBe(25);
    await expect(
      composite({
        compositeRequest: [
          { method: 'GET', url: `${base}/limits`, referenceId: 'same' },
          { method: 'GET', url: `${base}/limits`, referenceId: 'same' },
        ],
      }),
    ).rejects.toMatchObject({ errorCode: 'INVALID_INPUT' });
  });
});

describe('POST composite/batch', () => {
  it('runs independent subrequests, each committed, and reports hasErrors', async () => {
    const account = await conn.sobject('Account').create({ Name: 'Batch Co' });
    const id = account.id as string;
    const answer = await batch({
      batchRequests: [
        { method: 'PATCH', url: `v${sf.apiVersion}/sobjects/Account/${id}`, richInput: { Industry: 'Retail' } },
        { method: 'GET', url: `v${sf.apiVersion}/sobjects/Account/${id}?fields=Name,Industry` },
        { method: 'POST', url: `v${sf.apiVersion}/sobjects/Account`, richInput: { Industry: 'No name' } },
        {
          method: 'GET',
          url: `v${sf.apiVersion}/query?q=${encodeURIComponent("SELECT Id FROM Account WHERE Name = 'Batch Co'")}`,
        },
      ],
    });
    expect(answer.hasErrors).toBe(true);
    expect(answer.results.map((r) => r.statusCode)).toEqual([204, 200, 400, 200]);
    expect(answer.results[0]?.result).toBeNull();
    expect(answer.results[1]?.result).toMatchObject({ Id: id, Name: 'Batch Co', Industry: 'Retail' });
    expect(answer.results[2]?.result).toEqual([expect.objectContaining({ errorCode: 'REQUIRED_FIELD_MISSING' })]);
    expect(answer.results[3]?.result).toMatchObject({ totalSize: 1 });
    expect((await conn.sobject('Account').retrieve(id)).Industry).toBe('Retail');
  });

  it('haltOnError stops at the first failure (412 BATCH_PROCESSING_HALTED) and keeps what ran before', async () => {
    const answer = await batch({
      haltOnError: true,
      batchRequests: [
        { method: 'POST', url: `v${sf.apiVersion}/sobjects/Account`, richInput: { Name: 'Before Halt' } },
        { method: 'GET', url: `v${sf.apiVersion}/sobjects/Account/001000000000000AAA` },
        { method: 'POST', url: `v${sf.apiVersion}/sobjects/Account`, richInput: { Name: 'After Halt' } },
      ],
    });
    expect(answer.hasErrors).toBe(true);
    expect(answer.results.map((r) => r.statusCode)).toEqual([201, 404, 412]);
    expect(answer.results[2]?.result).toEqual([
      { errorCode: 'BATCH_PROCESSING_HALTED', message: 'Batch processing halted per request' },
    ]);
    expect(await count("SELECT Id FROM Account WHERE Name = 'Before Halt'")).toBe(1);
    expect(await count("SELECT Id FROM Account WHERE Name = 'After Halt'")).toBe(0);
  });

  it('answers hasErrors false when all pass and refuses more than 25 subrequests', async () => {
    const ok = await batch({ batchRequests: [{ method: 'GET', url: `v${sf.apiVersion}/limits` }] });
    expect(ok.hasErrors).toBe(false);
    expect(ok.results[0]).toMatchObject({
      statusCode: 200,
      result: expect.objectContaining({ DailyApiRequests: expect.any(Object) }),
    });
    const batchRequests = Array.from({ length: 26 }, () => ({ method: 'GET', url: `v${sf.apiVersion}/limits` }));
    await expect(batch({ batchRequests })).rejects.toMatchObject({ errorCode: 'LIMIT_EXCEEDED' });
  });
});
