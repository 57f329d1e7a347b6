import { describe, expect, it } from 'vitest';
import { api, raw, useEmulator } from './http-support.js';

const env = useEmulator();

describe('REST with real jsforce', () => {
  it('creates, retrieves, updates and deletes a record', async () => {
    const created = await env.conn.sobject('Account').create({ Name: 'Acme', Industry: 'Energy' });
    expect(created).toMatchObject({ success: true, errors: [] });
    const id = created.id as string;
    expect(id).toMatch(/^001\w{15}$/);
    const record = await env.conn.sobject('Account').retrieve(id);
    expect(record).toMatchObject({ Id: id, Name: 'Acme', Industry: 'Energy' });
    expect(record.attributes).toEqual({
      type: 'Account',
      url: `/services/data/v${env.sf.apiVersion}/sobjects/Account/${id}`,
    });
    const updated = await env.conn.sobject('Account').update({ Id: id, Name: 'Acme 2' });
    expect(updated).toMatchObject({ id, success: true });
    expect(env.sf.org.get(id)?.Name).toBe('Acme 2');
    const fields = await raw(env.sf, 'GET', api(env.sf, `/sobjects/Account/${id}?fields=Name`));
    expect(Object.keys(fields.json() as object).sort()).toEqual(['Id', 'Name', 'attributes']);
    await env.conn.sobject('Account').destroy(id);
    expect(env.sf.org.get(id)).toBeUndefined();
    const gone = await raw(env.sf, 'GET', api(env.sf, `/sobjects/Account/${id}`));
    expect(gone.status).toBe(404);
  });

  it('reports validation errors as Salesforce does', async () => {
    await expect(env.conn.sobject('Account').create({ Industry: 'Energy' })).rejects.toMatchObject({
      errorCode: 'REQUIRED_FIELD_MISSING',
    });
    const response = await raw(env.sf, 'POST', api(env.sf, '/sobjects/Account'), {
      body: JSON.stringify({ Name: 'x', Nope__c: 1 }),
    });
    expect(response.status).toBe(400);
    expect((response.json() as Array<{ errorCode: string }>)[0]?.errorCode).toBe('INVALID_FIELD');
  });

  it('upserts by external id: 201 created, 200 updated, 300 several matches', async () => {
    const first = await raw(env.sf, 'PATCH', api(env.sf, '/sobjects/Widget__c/ExtId__c/W-1'), {
      body: JSON.stringify({ Code__c: 'A', Amount__c: 5 }),
    });
    expect(first.status).toBe(201);
    expect(first.json()).toMatchObject({ success: true, created: true, errors: [] });
    const second = await raw(env.sf, 'PATCH', api(env.sf, '/sobjects/Widget__c/ExtId__c/W-1'), {
      body: JSON.stringify({ Amount__c: 6 }),
    });
    expect(second.status).toBe(200);
    expect(second.json()).toMatchObject({ success: true, created: false, id: (first.json() as { id: string }).id });
    expect(env.sf.org.records('Widget__c').find((w) => w.ExtId__c === 'W-1')?.Amount__c).toBe(6);
    // jsforce's upsert goes the same way.
    const viaJsforce = await env.conn.sobject('Widget__c').upsert({ ExtId__c: 'W-2', Code__c: 'B' }, 'ExtId__c');
    expect(viaJsforce).toMatchObject({ success: true, created: true });
    env.sf.org.seed('Tag__c', [
      { Name: 'a', Key__c: 'dup' },
      { Name: 'b', Key__c: 'dup' },
    ]);
    const several = await raw(env.sf, 'PATCH', api(env.sf, '/sobjects/Tag__c/Key__c/dup'), {
      body: JSON.stringify({ Name: 'c' }),
    });
    expect(several.status).toBe(300);
    expect((several.json() as string[]).length).toBe(2);
    const byExt = await raw(env.sf, 'GET', api(env.sf, '/sobjects/Widget__c/ExtId__c/W-2'));
    expect(byExt.json()).toMatchObject({ ExtId__c: 'W-2', Code__c: 'B' });
  });

  it('runs sObject collections with and without allOrNone', async () => {
    const results = await env.conn
      .sobject('Account')
      .create([{ Name: 'One' }, { Industry: 'Energy' }, { Name: 'Three' }], {
        allOrNone: false,
      });
    expect(results.map((r) => r.success)).toEqual([true, false, true]);
    expect((results[1] as { errors: Array<{ statusCode: string }> }).errors[0]?.statusCode).toBe(
      'REQUIRED_FIELD_MISSING',
    );
    const before = env.sf.org.records('Account').length;
    const rolled = await raw(env.sf, 'POST', api(env.sf, '/composite/sobjects'), {
      body: JSON.stringify({
        allOrNone: true,
        records: [
          { attributes: { type: 'Account' }, Name: 'Four' },
          { attributes: { type: 'Account' }, Industry: 'Energy' },
        ],
      }),
    });
    expect(rolled.status).toBe(200);
    const body = rolled.json() as Array<{ success: boolean; errors: Array<{ statusCode: string }> }>;
    expect(body.map((r) => r.success)).toEqual([false, false]);
    expect(body[0]?.errors[0]?.statusCode).toBe('ALL_OR_NONE_OPERATION_ROLLED_BACK');
    expect(env.sf.org.records('Account').length).toBe(before);
    const ids = results.filter((r) => r.success).map((r) => r.id as string);
    const updated = await env.conn.sobject('Account').update(ids.map((Id) => ({ Id, Rating: 'Hot' })));
    expect(updated.every((r) => r.success)).toBe(true);
    const fetched = await env.conn.sobject('Account').retrieve(ids);
    expect(fetched.map((r) => r?.Rating)).toEqual(['Hot', 'Hot']);
    const upserted = await env.conn.sobject('Widget__c').upsert(
      [
        { ExtId__c: 'W-10', Code__c: 'X' },
        { ExtId__c: 'W-1', Amount__c: 7 },
      ],
      'ExtId__c',
    );
    expect(upserted.map((r) => [r.success, (r as { created?: boolean }).created])).toEqual([
      [true, true],
      [true, false],
    ]);
    const deleted = await env.conn.sobject('Account').destroy(ids);
    expect(deleted.every((r) => r.success)).toBe(true);
    const tooMany = await raw(env.sf, 'POST', api(env.sf, '/composite/sobjects'), {
      body: JSON.stringify({
        records: Array.from({ length: 201 }, () => ({ attributes: { type: 'Account' }, Name: 'x' })),
      }),
    });
    expect(tooMany.status).toBe(400);
    expect((tooMany.json() as Array<{ errorCode: string }>)[0]?.errorCode).toBe('EXCEEDED_ID_LIMIT');
  });

  it('describes the org and its objects', async () => {
    const global = await env.conn.describeGlobal();
    expect(global.sobjects.some((o) => o.name === 'Widget__c')).toBe(true);
    const widget = await env.conn.sobject('Widget__c').describe();
    const ext = widget.fields.find((f) => f.name === 'ExtId__c');
    expect(ext).toMatchObject({ externalId: true, type: 'string', length: 40 });
    expect(widget.fields.find((f) => f.name === 'Account__c')).toMatchObject({
      type: 'reference',
      referenceTo: ['Account'],
    });
  });

  it('pages query results with queryMore (batch size header) and queryAll sees deleted rows', async () => {
    env.sf.org.seed(
      'Widget__c',
      Array.from({ length: 2500 }, (_, i) => ({ Name: `w${i}`, Code__c: 'P', ExtId__c: `P-${i}` })),
    );
    const first = await raw(
      env.sf,
      'GET',
      api(env.sf, `/query?q=${encodeURIComponent("SELECT Id, Name FROM Widget__c WHERE Code__c = 'P'")}`),
      {
        headers: { 'Sforce-Query-Options': 'batchSize=1000' },
      },
    );
    const page = first.json() as { totalSize: number; done: boolean; nextRecordsUrl: string; records: unknown[] };
    expect(page).toMatchObject({ totalSize: 2500, done: false });
    expect(page.records).toHaveLength(1000);
    expect(page.nextRecordsUrl).toMatch(new RegExp(`^/services/data/v${env.sf.apiVersion}/query/01g\\w+-1000$`));
    const all = await env.conn.query("SELECT Id, Name FROM Widget__c WHERE Code__c = 'P'", {
      autoFetch: true,
      maxFetch: 10000,
    });
    expect(all.records).toHaveLength(2500);
    expect(new Set(all.records.map((r) => r.Id)).size).toBe(2500);
    const count = await env.conn.query("SELECT COUNT() FROM Widget__c WHERE Code__c = 'P'");
    expect(count.totalSize).toBe(2500);
    const victim = all.records[0]?.Id as string;
    await env.conn.sobject('Widget__c').destroy(victim);
    const live = await env.conn.query(`SELECT Id FROM Widget__c WHERE Id = '${victim}'`);
    expect(live.totalSize).toBe(0);
    const deleted = await env.conn.query(`SELECT Id, IsDeleted FROM Widget__c WHERE Id = '${victim}'`, {
      scanAll: true,
    });
    expect(deleted.records[0]).toMatchObject({ Id: victim, IsDeleted: true });
  });

  it('returns column metadata for sf data query (columns=true)', async () => {
    const response = await raw(
      env.sf,
      'GET',
      api(env.sf, `/query?q=${encodeURIComponent('SELECT Id, Name, Owner.Name FROM Account')}&columns=true`),
    );
    const body = response.json() as {
      columnMetadata: Array<{ columnName: string; joinColumns: Array<{ columnName: string }> }>;
    };
    expect(body.columnMetadata.map((c) => c.columnName)).toEqual(['Id', 'Name', 'Owner']);
    expect(body.columnMetadata[2]?.joinColumns.map((c) => c.columnName)).toEqual(['Name']);
  });
});
