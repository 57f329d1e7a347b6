// SOSL search through jsforce's conn.search(): FIND, IN ... FIELDS, RETURNING with fields, WHERE and LIMIT.
import type { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SalesforceEmulator } from '../src/index.js';
import { parseSearch } from '../src/rest/search.js';
import { connect, startEmulator } from './http-support.js';

let sf: SalesforceEmulator;
let conn: Connection;
beforeAll(async () => {
  sf = await startEmulator();
  conn = connect(sf);
  sf.org.seed('Account', [
    { Name: 'Acme Corporation', Industry: 'Banking' },
    { Name: 'Acme Labs', Industry: 'Energy' },
    { Name: 'Globex', Description: 'a partner of acme' },
  ]);
  sf.org.seed('Contact', [
    { LastName: 'Runner', Email: 'road@acme.example' },
    { LastName: 'Coyote', Email: 'wile@desert.example' },
  ]);
});
afterAll(async () => {
  await sf.stop();
});

type Found = { searchRecords: Array<Record<string, unknown> & { attributes: { type: string } }> };

describe('SOSL search', () => {
  it('finds whole words (with wildcards) in the searched fields and returns the asked fields', async () => {
    const all = (await conn.search(
      'FIND {acme} IN ALL FIELDS RETURNING Account(Id, Name ORDER BY Name), Contact(LastName)',
    )) as Found;
    expect(all.searchRecords.map((record) => [record.attributes.type, record.Name ?? record.LastName])).toEqual([
      ['Account', 'Acme Corporation'],
      ['Account', 'Acme Labs'],
      ['Account', 'Globex'],
      ['Contact', 'Runner'],
    ]);
    const names = (await conn.search('FIND {Acm*} IN NAME FIELDS RETURNING Account(Name)')) as Found;
    expect(names.searchRecords.map((record) => record.Name).sort()).toEqual(['Acme Corporation', 'Acme Labs']);
    const filtered = (await conn.search("FIND {acme} RETURNING Account(Name WHERE Industry = 'Energy')")) as Found;
    expect(filtered.searchRecords.map((record) => record.Name)).toEqual(['Acme Labs']);
    const limited = (await conn.search('FIND {acme} RETURNING Account(Name) LIMIT 1')) as Found;
    expect(limited.searchRecords).toHaveLength(1);
    const emails = (await conn.search('FIND {desert} IN EMAIL FIELDS RETURNING Contact(LastName)')) as Found;
    expect(emails.searchRecords.map((record) => record.LastName)).toEqual(['Coyote']);
    const none = (await conn.search('FIND {nothing} RETURNING Account')) as Found;
    expect(none.searchRecords).toEqual([]);
  });

  it('refuses what it cannot read', async () => {
    await expect(conn.search('SELECT Id FROM Account')).rejects.toMatchObject({ errorCode: 'MALFORMED_SEARCH' });
    await expect(conn.search('FIND {a}')).rejects.toMatchObject({ errorCode: 'INVALID_SEARCH' });
    expect(parseSearch("FIND 'two words' IN PHONE FIELDS LIMIT 3")).toMatchObject({ scope: 'PHONE', limit: 3 });
  });
});
