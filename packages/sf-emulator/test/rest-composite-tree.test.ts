// composite/tree (what `sf data import tree` calls): a tree of records created all or nothing, through jsforce.
import { describe, expect, it } from 'vitest';
import { useEmulator } from './http-support.js';

const env = useEmulator();

const post = (body: unknown) =>
  env.conn.request({
    method: 'POST',
    url: `/services/data/v${env.sf.apiVersion}/composite/tree/Account`,
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
  });

describe('composite/tree', () => {
  it('creates parents and their nested children and answers the ids by referenceId', async () => {
    const answer = (await post({
      records: [
        {
          attributes: { type: 'Account', referenceId: 'acme' },
          Name: 'Tree Acme',
          Contacts: {
            records: [
              { attributes: { type: 'Contact', referenceId: 'ann' }, LastName: 'Ann' },
              { attributes: { type: 'Contact', referenceId: 'bob' }, LastName: 'Bob' },
            ],
          },
        },
        { attributes: { type: 'Account', referenceId: 'globex' }, Name: 'Tree Globex' },
      ],
    })) as { hasErrors: boolean; results: Array<{ referenceId: string; id: string }> };
    expect(answer.hasErrors).toBe(false);
    expect(answer.results.map((result) => result.referenceId)).toEqual(['acme', 'ann', 'bob', 'globex']);
    const acme = answer.results[0]!.id;
    const contacts = await env.conn.query<{ LastName: string; AccountId: string }>(
      `SELECT LastName, AccountId FROM Contact WHERE AccountId = '${acme}' ORDER BY LastName`,
    );
    expect(contacts.records.map((record) => [record.LastName, record.AccountId])).toEqual([
      ['Ann', acme],
      ['Bob', acme],
    ]);
  });

  it('creates nothing when one record fails, and answers the failures', async () => {
    const before = env.sf.org.records('Account').length + env.sf.org.records('Contact').length;
    const failure = await post({
      records: [
        {
          attributes: { type: 'Account', referenceId: 'ok' },
          Name: 'Tree Rolled Back',
          Contacts: {
            records: [{ attributes: { type: 'Contact', referenceId: 'noname' }, FirstName: 'No last name' }],
          },
        },
      ],
    }).then(
      () => undefined,
      (error: unknown) => error as { errorCode?: string; data?: unknown; message: string },
    );
    expect(failure).toBeDefined();
    expect(failure!.message).toContain('REQUIRED_FIELD_MISSING');
    expect(env.sf.org.records('Account').length + env.sf.org.records('Contact').length).toBe(before);
    expect(
      env.sf.org.getDeleted('Account', new Date(Date.now() - 60_000), new Date(Date.now() + 60_000)).deletedRecords,
    ).toEqual([]);
  });
});
