import { describe, expect, it } from 'vitest';
import { OrgError } from '../src/contract.js';
import { createOrg } from '../src/org/index.js';
import { NOW, WIDGET } from './fixtures/objects.js';

function setup() {
  let clock = new Date('2024-05-10T08:00:00Z');
  const org = createOrg({ objects: [WIDGET], now: () => clock, apiVersion: '59.0' });
  const [acme, globex, initech] = org.dml('insert', 'Account', [
    { Name: 'Acme', Industry: 'Banking', NumberOfEmployees: 50, AnnualRevenue: 1000 },
    { Name: 'globex', Industry: 'Energy', NumberOfEmployees: 10 },
    { Name: 'Initech', NumberOfEmployees: 200, AnnualRevenue: 500 },
  ]);
  clock = NOW;
  const contacts = org.dml('insert', 'Contact', [
    { LastName: 'Smith', FirstName: 'Ann', AccountId: acme!.id, Email: 'ann@acme.test' },
    { LastName: 'jones', AccountId: acme!.id },
    { LastName: 'Brown', AccountId: globex!.id },
    { LastName: 'Orphan' },
  ]);
  org.dml('insert', 'Opportunity', [
    { Name: 'Big', StageName: 'Prospecting', CloseDate: '2024-05-15', Amount: 100, AccountId: acme!.id },
    { Name: 'Soon', StageName: 'Closed Won', CloseDate: '2024-05-16', Amount: 50 },
    { Name: 'Past', StageName: 'Closed Lost', CloseDate: '2024-04-20' },
    { Name: 'Later', StageName: 'Qualification', CloseDate: '2025-01-10', Amount: 10 },
  ]);
  org.dml('insert', 'Widget__c', [
    { Ext__c: 'w1', Tags__c: 'A;B', Qty__c: 2, Price__c: 3 },
    { Ext__c: 'w2', Tags__c: 'C', Qty__c: 1, Price__c: 1 },
    { Ext__c: 'w3' },
  ]);
  return { org, acme: acme!.id!, globex: globex!.id!, initech: initech!.id!, contacts };
}

function codeOf(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof OrgError) return { code: error.errorCode, message: error.message };
    throw error;
  }
  throw new Error('expected an OrgError');
}

const names = (result: { records: Array<Record<string, unknown>> }, field = 'Name') =>
  result.records.map((record) => record[field]);

describe('SELECT and the REST record shape', () => {
  it('returns records with attributes, canonical field names and columns in SELECT order', () => {
    const { org, acme } = setup();
    const result = org.query("select id, NAME, industry from account where name = 'ACME'");
    expect(result).toMatchObject({ totalSize: 1, isCount: false, columns: ['Id', 'Name', 'Industry'] });
    expect(result.records[0]).toEqual({
      attributes: { type: 'Account', url: `/services/data/v59.0/sobjects/Account/${acme}` },
      Id: acme,
      Name: 'Acme',
      Industry: 'Banking',
    });
  });

  it('selects parent fields, nested two levels, with null for a missing parent', () => {
    const { org, acme } = setup();
    const result = org.query('SELECT LastName, Account.Name, Account.Owner.Name FROM Contact ORDER BY LastName');
    expect(result.columns).toEqual(['LastName', 'Account.Name', 'Account.Owner.Name']);
    const smith = result.records.find((record) => record.LastName === 'Smith')!;
    expect(smith.Account).toEqual({
      attributes: { type: 'Account', url: `/services/data/v59.0/sobjects/Account/${acme}` },
      Name: 'Acme',
      Owner: {
        attributes: { type: 'User', url: `/services/data/v59.0/sobjects/User/${org.userId}` },
        Name: 'Integration User',
      },
    });
    const orphan = result.records.find((record) => record.LastName === 'Orphan')!;
    expect(orphan.Account).toBeNull();
  });

  it('computes formula fields in SELECT and WHERE', () => {
    const { org } = setup();
    const result = org.query('SELECT Ext__c, Total__c FROM Widget__c WHERE Total__c > 2');
    expect(result.records.map((record) => [record.Ext__c, record.Total__c])).toEqual([['w1', 6]]);
    expect(names(org.query("SELECT Name FROM Contact WHERE Name = 'ann smith'"))).toEqual(['Ann Smith']);
  });

  it('accepts FOR VIEW and FOR REFERENCE as no-ops', () => {
    const { org } = setup();
    expect(org.query('SELECT Id FROM Account FOR VIEW').totalSize).toBe(3);
    expect(org.query('SELECT Id FROM Account FOR REFERENCE').totalSize).toBe(3);
  });

  it('supports an object alias', () => {
    const { org } = setup();
    expect(names(org.query("SELECT a.Name FROM Account a WHERE a.Industry = 'Energy'"))).toEqual(['globex']);
  });

  it('expands FIELDS(STANDARD) and requires LIMIT 200 for FIELDS(ALL)', () => {
    const { org } = setup();
    const all = org.query('SELECT FIELDS(ALL) FROM Widget__c LIMIT 200');
    expect(all.columns).toContain('Ext__c');
    expect(all.columns).toContain('CreatedDate');
    const standard = org.query('SELECT FIELDS(STANDARD) FROM Widget__c');
    expect(standard.columns).not.toContain('Ext__c');
    expect(standard.columns).toContain('Name');
    expect(codeOf(() => org.query('SELECT FIELDS(ALL) FROM Account'))).toMatchObject({
      code: 'MALFORMED_QUERY',
      message: 'The SOQL FIELDS function must have a LIMIT of at most 200',
    });
  });
});

describe('WHERE', () => {
  it('compares strings case-insensitively; != includes nulls', () => {
    const { org } = setup();
    expect(names(org.query("SELECT Name FROM Account WHERE Name = 'GLOBEX'"))).toEqual(['globex']);
    expect(names(org.query("SELECT Name FROM Account WHERE Industry != 'Banking' ORDER BY Name"))).toEqual([
      'globex',
      'Initech',
    ]);
    expect(names(org.query('SELECT Name FROM Account WHERE Industry = null'))).toEqual(['Initech']);
    expect(names(org.query('SELECT Name FROM Account WHERE Industry != null ORDER BY Name'))).toEqual([
      'Acme',
      'globex',
    ]);
  });

  it('supports < > <= >= on numbers (nulls never match) and on strings', () => {
    const { org } = setup();
    expect(names(org.query('SELECT Name FROM Account WHERE NumberOfEmployees > 10 ORDER BY Name'))).toEqual([
      'Acme',
      'Initech',
    ]);
    expect(
      names(
        org.query('SELECT Name FROM Account WHERE NumberOfEmployees >= 10 AND NumberOfEmployees <= 50 ORDER BY Name'),
      ),
    ).toEqual(['Acme', 'globex']);
    expect(names(org.query('SELECT Name FROM Account WHERE AnnualRevenue < 1000.5 ORDER BY Name'))).toEqual([
      'Acme',
      'Initech',
    ]);
    expect(names(org.query("SELECT Name FROM Account WHERE Name < 'h' ORDER BY Name"))).toEqual(['Acme', 'globex']);
  });

  it('supports LIKE with % and _ (case-insensitive), IN and NOT IN', () => {
    const { org } = setup();
    expect(names(org.query("SELECT Name FROM Account WHERE Name LIKE 'ac%'"))).toEqual(['Acme']);
    expect(names(org.query("SELECT Name FROM Account WHERE Name LIKE '_lobe_'"))).toEqual(['globex']);
    expect(names(org.query("SELECT Name FROM Account WHERE Industry IN ('banking', 'Energy') ORDER BY Name"))).toEqual([
      'Acme',
      'globex',
    ]);
    expect(names(org.query("SELECT Name FROM Account WHERE Industry NOT IN ('Banking')  ORDER BY Name"))).toEqual([
      'globex',
      'Initech',
    ]);
  });

  it('honours escapes in LIKE patterns and string literals', () => {
    const { org } = setup();
    org.dml('insert', 'Account', [{ Name: '50% off' }, { Name: '50 cents' }, { Name: "O'Brien_x" }]);
    expect(names(org.query("SELECT Name FROM Account WHERE Name LIKE '50\\%%'"))).toEqual(['50% off']);
    expect(names(org.query("SELECT Name FROM Account WHERE Name LIKE 'o\\'brien\\_%'"))).toEqual(["O'Brien_x"]);
    expect(names(org.query("SELECT Name FROM Account WHERE Name = 'O\\'Brien_x'"))).toEqual(["O'Brien_x"]);
  });

  it('supports AND, OR, NOT and parentheses, and refuses AND mixed with OR without them', () => {
    const { org } = setup();
    expect(
      names(
        org.query(
          "SELECT Name FROM Account WHERE (Industry = 'Banking' OR Industry = 'Energy') AND NumberOfEmployees > 20",
        ),
      ),
    ).toEqual(['Acme']);
    expect(names(org.query("SELECT Name FROM Account WHERE NOT Name = 'Acme' ORDER BY Name"))).toEqual([
      'globex',
      'Initech',
    ]);
    expect(names(org.query("SELECT Name FROM Account WHERE NOT (Name = 'Acme' OR Name = 'globex')"))).toEqual([
      'Initech',
    ]);
    expect(
      names(org.query("SELECT Name FROM Account WHERE Name != 'x' AND (NOT Industry = 'Banking') ORDER BY Name")),
    ).toEqual(['globex', 'Initech']);
    expect(codeOf(() => org.query("SELECT Name FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'")).code).toBe(
      'MALFORMED_QUERY',
    );
  });

  it('filters on parent fields and on ids given as 15 or 18 characters', () => {
    const { org, acme } = setup();
    expect(
      names(org.query("SELECT LastName FROM Contact WHERE Account.Name = 'acme' ORDER BY LastName"), 'LastName'),
    ).toEqual(['jones', 'Smith']);
    expect(org.query(`SELECT Id FROM Account WHERE Id = '${acme.slice(0, 15)}'`).totalSize).toBe(1);
    expect(org.query(`SELECT Id FROM Contact WHERE AccountId IN ('${acme}')`).totalSize).toBe(2);
    expect(org.query('SELECT Id FROM Contact WHERE AccountId = null').totalSize).toBe(1);
  });

  it('filters on booleans, dates and datetimes with literal values', () => {
    const { org } = setup();
    expect(org.query('SELECT Id FROM Contact WHERE DoNotCall = false').totalSize).toBe(4);
    expect(org.query('SELECT Id FROM Contact WHERE DoNotCall = TRUE').totalSize).toBe(0);
    expect(names(org.query('SELECT Name FROM Opportunity WHERE CloseDate > 2024-05-15 ORDER BY CloseDate'))).toEqual([
      'Soon',
      'Later',
    ]);
    expect(org.query('SELECT Id FROM Account WHERE CreatedDate < 2024-05-11T00:00:00Z').totalSize).toBe(3);
    expect(org.query('SELECT Id FROM Account WHERE CreatedDate > 2024-05-10T09:00:00+02:00').totalSize).toBe(3);
    expect(org.query('SELECT Id FROM Contact WHERE CreatedDate = 2024-05-15T12:00:00Z').totalSize).toBe(4);
  });

  it('evaluates date literals relative to the org clock', () => {
    const { org } = setup();
    const opps = (where: string) => names(org.query(`SELECT Name FROM Opportunity WHERE ${where} ORDER BY CloseDate`));
    expect(opps('CloseDate = TODAY')).toEqual(['Big']);
    expect(opps('CloseDate = TOMORROW')).toEqual(['Soon']);
    expect(opps('CloseDate = YESTERDAY')).toEqual([]);
    expect(opps('CloseDate = THIS_MONTH')).toEqual(['Big', 'Soon']);
    expect(opps('CloseDate = LAST_MONTH')).toEqual(['Past']);
    expect(opps('CloseDate = LAST_N_DAYS:30')).toEqual(['Past', 'Big']);
    expect(opps('CloseDate = NEXT_N_DAYS:1')).toEqual(['Soon']);
    expect(opps('CloseDate > THIS_YEAR')).toEqual(['Later']);
    expect(opps('CloseDate = THIS_WEEK')).toEqual(['Big', 'Soon']);
    expect(opps('CloseDate < THIS_MONTH')).toEqual(['Past']);
    expect(opps('CloseDate >= NEXT_MONTH')).toEqual(['Later']);
    expect(opps('CloseDate = NEXT_YEAR')).toEqual(['Later']);
    // On datetimes: accounts were created 5 days before the contacts.
    expect(org.query('SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS:5').totalSize).toBe(3);
    expect(org.query('SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS:4').totalSize).toBe(0);
    expect(org.query('SELECT Id FROM Contact WHERE CreatedDate = TODAY').totalSize).toBe(4);
    expect(org.query('SELECT Id FROM Account WHERE CreatedDate = N_DAYS_AGO:5').totalSize).toBe(3);
  });

  it('supports date functions in WHERE', () => {
    const { org } = setup();
    const opps = (where: string) => names(org.query(`SELECT Name FROM Opportunity WHERE ${where} ORDER BY CloseDate`));
    expect(opps('CALENDAR_YEAR(CloseDate) = 2024')).toEqual(['Past', 'Big', 'Soon']);
    expect(opps('CALENDAR_MONTH(CloseDate) IN (4, 1)')).toEqual(['Past', 'Later']);
    expect(opps('CALENDAR_QUARTER(CloseDate) = 2 AND DAY_IN_MONTH(CloseDate) > 15')).toEqual(['Past', 'Soon']);
    expect(opps('DAY_IN_WEEK(CloseDate) = 4')).toEqual(['Big']);
    expect(opps('FISCAL_YEAR(CloseDate) > 2024')).toEqual(['Later']);
    expect(opps('DAY_IN_YEAR(CloseDate) = 10')).toEqual(['Later']);
    expect(org.query('SELECT Id FROM Contact WHERE DAY_ONLY(CreatedDate) = 2024-05-15').totalSize).toBe(4);
    expect(org.query('SELECT Id FROM Contact WHERE DAY_ONLY(CreatedDate) = TODAY').totalSize).toBe(4);
    expect(org.query('SELECT Id FROM Account WHERE HOUR_IN_DAY(CreatedDate) = 8').totalSize).toBe(3);
    expect(codeOf(() => org.query("SELECT Id FROM Account WHERE CALENDAR_YEAR(CreatedDate) = '2024'")).code).toBe(
      'INVALID_QUERY_FILTER_OPERATOR',
    );
  });

  it('supports INCLUDES and EXCLUDES on multi-select picklists', () => {
    const { org } = setup();
    const ext = (where: string) =>
      names(org.query(`SELECT Ext__c FROM Widget__c WHERE ${where} ORDER BY Ext__c`), 'Ext__c');
    expect(ext("Tags__c INCLUDES ('A')")).toEqual(['w1']);
    expect(ext("Tags__c INCLUDES ('A;C')")).toEqual([]);
    expect(ext("Tags__c INCLUDES ('A', 'C')")).toEqual(['w1', 'w2']);
    expect(ext("Tags__c EXCLUDES ('A')")).toEqual(['w2', 'w3']);
    expect(ext("Tags__c = 'B;A'")).toEqual(['w1']);
  });

  it('supports semi-joins: Id IN (SELECT AccountId FROM Contact)', () => {
    const { org } = setup();
    expect(
      names(org.query('SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact) ORDER BY Name')),
    ).toEqual(['Acme', 'globex']);
    expect(names(org.query('SELECT Name FROM Account WHERE Id NOT IN (SELECT AccountId FROM Contact)'))).toEqual([
      'Initech',
    ]);
  });
});

describe('indexed lookups', () => {
  it('answers Id and external-id conditions like a full scan, deleted rows included only by queryAll', () => {
    const { org, acme, globex } = setup();
    const ext = (soql: string, all = false) => names(org.query(soql, { all }), 'Ext__c').sort() as string[];
    expect(ext("SELECT Ext__c FROM Widget__c WHERE Ext__c = 'W1'")).toEqual(['w1']);
    expect(ext("SELECT Ext__c FROM Widget__c WHERE Ext__c IN ('w1', 'W2', 'nope')")).toEqual(['w1', 'w2']);
    expect(ext("SELECT Ext__c FROM Widget__c WHERE Ext__c = 'w1' AND Qty__c = 3")).toEqual([]);
    expect(ext("SELECT Ext__c FROM Widget__c WHERE Qty__c = 2 AND Ext__c = 'w1'")).toEqual(['w1']);
    expect(ext("SELECT Ext__c FROM Widget__c WHERE Ext__c = 'w1' OR Ext__c = 'w3'")).toEqual(['w1', 'w3']);
    const [w1] = org.query("SELECT Id FROM Widget__c WHERE Ext__c = 'w1'").records;
    org.dml('delete', 'Widget__c', [{ Id: w1!.Id }]);
    expect(ext("SELECT Ext__c FROM Widget__c WHERE Ext__c = 'w1'")).toEqual([]);
    expect(ext("SELECT Ext__c FROM Widget__c WHERE Ext__c = 'w1'", true)).toEqual(['w1']);
    expect(ext(`SELECT Ext__c FROM Widget__c WHERE Id = '${String(w1!.Id).slice(0, 15)}'`)).toEqual([]);
    expect(ext(`SELECT Ext__c FROM Widget__c WHERE Id = '${w1!.Id}'`, true)).toEqual(['w1']);
    expect(names(org.query(`SELECT Name FROM Account WHERE Id IN ('${acme}', '${globex}') ORDER BY Name`))).toEqual([
      'Acme',
      'globex',
    ]);
  });
});

describe('ORDER BY, LIMIT, OFFSET', () => {
  it('sorts case-insensitively on several keys, nulls first by default', () => {
    const { org } = setup();
    expect(names(org.query('SELECT Name FROM Account ORDER BY Name'))).toEqual(['Acme', 'globex', 'Initech']);
    expect(names(org.query('SELECT Name FROM Account ORDER BY Name DESC'))).toEqual(['Initech', 'globex', 'Acme']);
    expect(names(org.query('SELECT Name FROM Account ORDER BY Industry'))).toEqual(['Initech', 'Acme', 'globex']);
    expect(names(org.query('SELECT Name FROM Account ORDER BY Industry NULLS LAST'))).toEqual([
      'Acme',
      'globex',
      'Initech',
    ]);
    expect(names(org.query('SELECT Name FROM Account ORDER BY Industry DESC NULLS LAST'))).toEqual([
      'globex',
      'Acme',
      'Initech',
    ]);
    expect(names(org.query('SELECT Name FROM Account ORDER BY AnnualRevenue DESC NULLS FIRST, Name ASC'))).toEqual([
      'globex',
      'Acme',
      'Initech',
    ]);
    expect(names(org.query('SELECT LastName FROM Contact ORDER BY Account.Name DESC, LastName'), 'LastName')).toEqual([
      'Orphan',
      'Brown',
      'jones',
      'Smith',
    ]);
  });

  it('pages with LIMIT and OFFSET, and caps OFFSET at 2000', () => {
    const { org } = setup();
    expect(names(org.query('SELECT Name FROM Account ORDER BY Name LIMIT 2'))).toEqual(['Acme', 'globex']);
    expect(names(org.query('SELECT Name FROM Account ORDER BY Name LIMIT 1 OFFSET 1'))).toEqual(['globex']);
    expect(names(org.query('SELECT Name FROM Account ORDER BY Name OFFSET 2'))).toEqual(['Initech']);
    expect(codeOf(() => org.query('SELECT Name FROM Account OFFSET 2001')).code).toBe('NUMBER_OUTSIDE_VALID_RANGE');
  });
});

describe('aggregates', () => {
  it('COUNT() returns totalSize only', () => {
    const { org } = setup();
    expect(org.query('SELECT COUNT() FROM Account')).toEqual({ totalSize: 3, records: [], columns: [], isCount: true });
    expect(org.query("SELECT COUNT() FROM Contact WHERE Account.Name = 'Acme'").totalSize).toBe(2);
  });

  it('COUNT(field), COUNT_DISTINCT, SUM, MIN, MAX, AVG without GROUP BY give one AggregateResult', () => {
    const { org } = setup();
    const result = org.query(
      'SELECT COUNT(Id) total, COUNT(Industry), COUNT_DISTINCT(Industry), SUM(NumberOfEmployees), MIN(Name), MAX(AnnualRevenue), AVG(NumberOfEmployees) FROM Account',
    );
    expect(result.columns).toEqual(['total', 'expr0', 'expr1', 'expr2', 'expr3', 'expr4', 'expr5']);
    expect(result.records).toEqual([
      {
        attributes: { type: 'AggregateResult' },
        total: 3,
        expr0: 2,
        expr1: 2,
        expr2: 260,
        expr3: 'Acme',
        expr4: 1000,
        expr5: 260 / 3,
      },
    ]);
    expect(codeOf(() => org.query('SELECT Name, COUNT(Id) FROM Account')).code).toBe('MALFORMED_QUERY');
    expect(codeOf(() => org.query('SELECT SUM(Name) FROM Account')).code).toBe('INVALID_FIELD');
  });
});

describe('GROUP BY', () => {
  it('groups on fields (case-insensitively) with aggregates, ORDER BY grouped fields or aggregates, LIMIT', () => {
    const { org } = setup();
    org.dml('insert', 'Account', [{ Name: 'Banco', Industry: 'BANKING', NumberOfEmployees: 5 }]);
    const result = org.query(
      'SELECT Industry, COUNT(Id) total, SUM(NumberOfEmployees) FROM Account GROUP BY Industry ORDER BY COUNT(Id) DESC, Industry',
    );
    expect(result.columns).toEqual(['Industry', 'total', 'expr0']);
    expect(result.records).toEqual([
      { attributes: { type: 'AggregateResult' }, Industry: 'Banking', total: 2, expr0: 55 },
      { attributes: { type: 'AggregateResult' }, Industry: null, total: 1, expr0: 200 },
      { attributes: { type: 'AggregateResult' }, Industry: 'Energy', total: 1, expr0: 10 },
    ]);
    const byParent = org.query(
      'SELECT Account.Name, COUNT(Id) FROM Contact WHERE AccountId != null GROUP BY Account.Name ORDER BY Account.Name LIMIT 1',
    );
    expect(byParent.records).toEqual([{ attributes: { type: 'AggregateResult' }, Name: 'Acme', expr0: 2 }]);
  });
});

describe('child subqueries', () => {
  it('nests children as {totalSize, done, records}, null when there are none', () => {
    const { org } = setup();
    const result = org.query(
      'SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName DESC), (SELECT Name FROM Opportunities) FROM Account ORDER BY Name',
    );
    expect(result.columns).toEqual(['Name', 'Contacts', 'Opportunities']);
    const [acme, globex, initech] = result.records;
    expect(acme!.Contacts).toMatchObject({ totalSize: 2, done: true });
    expect((acme!.Contacts as { records: Array<Record<string, unknown>> }).records.map((r) => r.LastName)).toEqual([
      'Smith',
      'jones',
    ]);
    expect((acme!.Contacts as { records: Array<Record<string, unknown>> }).records[0]!.attributes).toMatchObject({
      type: 'Contact',
    });
    expect((globex!.Opportunities as unknown) ?? null).toBeNull();
    expect(initech!.Contacts).toBeNull();
  });

  it('applies WHERE and LIMIT inside the subquery, resolves names case-insensitively, skips deleted children', () => {
    const { org, contacts } = setup();
    org.dml('delete', 'Contact', [{ Id: contacts[1]!.id }]);
    const result = org.query(
      "SELECT Name, (SELECT LastName FROM contacts WHERE LastName LIKE 'S%' LIMIT 1) FROM Account WHERE Name = 'Acme'",
    );
    expect(result.records[0]!.Contacts).toMatchObject({ totalSize: 1, records: [{ LastName: 'Smith' }] });
    const all = org.query("SELECT Name, (SELECT LastName FROM Contacts) FROM Account WHERE Name = 'Acme'");
    expect((all.records[0]!.Contacts as { totalSize: number }).totalSize).toBe(1);
    expect(codeOf(() => org.query('SELECT Name, (SELECT Id FROM Nopes) FROM Account')).code).toBe('INVALID_TYPE');
  });
});

describe('errors', () => {
  it('INVALID_FIELD for unknown fields and relationships, with position', () => {
    const { org } = setup();
    const unknown = codeOf(() => org.query('SELECT Id, Nope__c FROM Account'));
    expect(unknown.code).toBe('INVALID_FIELD');
    expect(unknown.message).toContain("No such column 'Nope__c' on entity 'Account'");
    expect(unknown.message).toContain('ERROR at Row:1:Column:12');
    const relationship = codeOf(() => org.query('SELECT Foo.Name FROM Contact'));
    expect(relationship.code).toBe('INVALID_FIELD');
    expect(relationship.message).toContain("Didn't understand relationship 'Foo' in field path");
    expect(codeOf(() => org.query("SELECT Id FROM Account WHERE Nope = 'x'")).code).toBe('INVALID_FIELD');
    expect(codeOf(() => org.query('SELECT Id FROM Account ORDER BY Nope')).code).toBe('INVALID_FIELD');
  });

  it('INVALID_TYPE for an unknown object', () => {
    const { org } = setup();
    const result = codeOf(() => org.query('SELECT Id FROM Foo'));
    expect(result.code).toBe('INVALID_TYPE');
    expect(result.message).toContain("sObject type 'Foo' is not supported.");
  });

  it('MALFORMED_QUERY for syntax errors and every unsupported construct, naming it', () => {
    const { org } = setup();
    const cases: Array<[string, RegExp]> = [
      ['SELECT FROM Account', /unexpected token/],
      ['SELECT Id FROM', /./],
      ['SELECT COUNT(Id) FROM Account HAVING COUNT(Id) > 1', /HAVING/],
      ['SELECT Industry, COUNT(Id) FROM Account GROUP BY ROLLUP(Industry)', /ROLLUP/],
      ['SELECT Name, COUNT(Id) FROM Account GROUP BY Industry', /grouped or aggregated: Name/],
      ['SELECT Id FROM Account FOR UPDATE', /FOR UPDATE/],
      ['SELECT TYPEOF Owner WHEN User THEN Name END FROM Account', /TYPEOF/],
      ['SELECT Id FROM Account WHERE CALENDAR_YEAR(convertTimezone(CreatedDate)) = 2024', /CALENDAR_YEAR/],
      ['SELECT Id FROM Account WHERE CALENDAR_YEAR(Name) = 2024', /date or dateTime field/],
      ['SELECT convertCurrency(AnnualRevenue) FROM Account', /convertCurrency/i],
      ['SELECT Id FROM Account USING SCOPE mine', /USING SCOPE/],
    ];
    for (const [soql, message] of cases) {
      const result = codeOf(() => org.query(soql));
      expect(result.code, soql).toBe('MALFORMED_QUERY');
      expect(result.message, soql).toMatch(message);
    }
  });

  it('INVALID_QUERY_FILTER_OPERATOR for literals of the wrong type', () => {
    const { org } = setup();
    for (const soql of [
      'SELECT Id FROM Account WHERE Name = 5',
      "SELECT Id FROM Account WHERE NumberOfEmployees = '5'",
      "SELECT Id FROM Account WHERE Id = 'nope'",
      'SELECT Id FROM Account WHERE CreatedDate > 2024-01-01',
      'SELECT Id FROM Opportunity WHERE CloseDate > 2024-01-01T00:00:00Z',
      'SELECT Id FROM Account WHERE IsDeleted > false',
    ]) {
      expect(codeOf(() => org.query(soql)).code, soql).toBe('INVALID_QUERY_FILTER_OPERATOR');
    }
    expect(org.query("SELECT Id FROM Account WHERE Name = 'x'").totalSize).toBe(0);
  });

  it('long text areas cannot be filtered or sorted', () => {
    const { org } = setup();
    expect(codeOf(() => org.query("SELECT Id FROM Widget__c WHERE Notes__c = 'x'")).code).toBe('INVALID_FIELD');
    expect(codeOf(() => org.query('SELECT Id FROM Widget__c ORDER BY Notes__c')).code).toBe('MALFORMED_QUERY');
  });
});

describe('standard records the Salesforce CLI reads', () => {
  it('has one User and one Organization with the fields sf queries', () => {
    const org = createOrg({ username: 'me@example.com', orgName: 'My Org' });
    const users = org.query(`SELECT Id, Username, Name, Email FROM User WHERE Id = '${org.userId}'`).records;
    expect(users).toEqual([
      expect.objectContaining({ Id: org.userId, Username: 'me@example.com', Email: 'me@example.com' }),
    ]);
    const orgs = org.query(
      'SELECT Name, InstanceName, IsSandbox, TrialExpirationDate, NamespacePrefix, OrganizationType FROM Organization',
    ).records;
    expect(orgs).toEqual([
      {
        attributes: { type: 'Organization', url: `/services/data/v62.0/sobjects/Organization/${org.orgId}` },
        Name: 'My Org',
        InstanceName: 'LOCAL',
        IsSandbox: false,
        TrialExpirationDate: null,
        NamespacePrefix: null,
        OrganizationType: 'Developer Edition',
      },
    ]);
    expect(org.orgId.startsWith('00D')).toBe(true);
  });
});
