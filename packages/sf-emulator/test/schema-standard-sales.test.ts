// The standard objects beyond Account/Contact/Lead/Opportunity/Case (activities, campaigns, products, price books,
// assets, contracts, orders), polymorphic What/Who paths and the activity relationships, through the real jsforce.
import type { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SalesforceEmulator } from '../src/index.js';
import { connect, startEmulator } from './http-support.js';

let sf: SalesforceEmulator;
let conn: Connection;
let accountId: string;
let opportunityId: string;
beforeAll(async () => {
  sf = await startEmulator();
  conn = connect(sf);
  accountId = (await conn.sobject('Account').create({ Name: 'Polymorphic Co' })).id as string;
  opportunityId = (
    await conn
      .sobject('Opportunity')
      .create({ Name: 'Big deal', StageName: 'Prospecting', CloseDate: '2024-05-01', AccountId: accountId })
  ).id as string;
});
afterAll(async () => {
  await sf.stop();
});

interface FieldDescribe {
  name: string;
  type: string;
  length: number;
  nillable: boolean;
  createable: boolean;
  referenceTo: string[];
  relationshipName: string | null;
  polymorphicForeignKey: boolean;
  compoundFieldName: string | null;
}

describe('describes of the added standard objects', () => {
  it('describes each object with its key prefix and its real fields', async () => {
    const expected: Record<string, { prefix: string; fields: string[] }> = {
      Task: {
        prefix: '00T',
        fields: [
          'WhoId',
          'WhatId',
          'Subject',
          'ActivityDate',
          'Status',
          'Priority',
          'IsClosed',
          'CallDurationInSeconds',
          'TaskSubtype',
        ],
      },
      Event: {
        prefix: '00U',
        fields: ['StartDateTime', 'EndDateTime', 'DurationInMinutes', 'IsAllDayEvent', 'Location', 'ShowAs'],
      },
      Campaign: {
        prefix: '701',
        fields: ['Name', 'Type', 'Status', 'BudgetedCost', 'ActualCost', 'NumberOfLeads', 'ParentId'],
      },
      CampaignMember: { prefix: '00v', fields: ['CampaignId', 'LeadId', 'ContactId', 'Status', 'HasResponded'] },
      Product2: { prefix: '01t', fields: ['Name', 'ProductCode', 'Family', 'IsActive', 'StockKeepingUnit'] },
      Pricebook2: { prefix: '01s', fields: ['Name', 'IsActive', 'IsStandard'] },
      PricebookEntry: { prefix: '01u', fields: ['Pricebook2Id', 'Product2Id', 'UnitPrice', 'UseStandardPrice'] },
      OpportunityLineItem: {
        prefix: '00k',
        fields: ['OpportunityId', 'PricebookEntryId', 'Quantity', 'UnitPrice', 'TotalPrice'],
      },
      Asset: { prefix: '02i', fields: ['Name', 'AccountId', 'SerialNumber', 'InstallDate', 'Status'] },
      Contract: {
        prefix: '800',
        fields: ['AccountId', 'ContractNumber', 'StartDate', 'ContractTerm', 'Status', 'BillingCity', 'BillingAddress'],
      },
      Order: {
        prefix: '801',
        fields: ['AccountId', 'EffectiveDate', 'Status', 'OrderNumber', 'ShippingAddress', 'TotalAmount'],
      },
    };
    for (const [name, { prefix, fields }] of Object.entries(expected)) {
      const describe = await conn.sobject(name).describe();
      expect(describe.keyPrefix, name).toBe(prefix);
      const names = describe.fields.map((field) => field.name);
      expect(names, name).toEqual(
        expect.arrayContaining(['Id', 'CreatedDate', 'SystemModstamp', 'IsDeleted', ...fields]),
      );
    }
    const task = await conn.sobject('Task').describe();
    const what = task.fields.find((field) => field.name === 'WhatId') as unknown as FieldDescribe;
    expect(what).toMatchObject({ type: 'reference', relationshipName: 'What', polymorphicForeignKey: true });
    expect(what.referenceTo).toEqual(expect.arrayContaining(['Account', 'Opportunity', 'Case']));
    const contract = await conn.sobject('Contract').describe();
    const city = contract.fields.find((field) => field.name === 'BillingCity') as unknown as FieldDescribe;
    expect(city.compoundFieldName).toBe('BillingAddress');
  });

  it("lists Tasks, Events, ActivityHistories and OpenActivities among Account's child relationships", async () => {
    const describe = await conn.sobject('Account').describe();
    const children = describe.childRelationships.map(
      (child) => `${child.relationshipName}:${child.childSObject}.${child.field}`,
    );
    expect(children).toEqual(
      expect.arrayContaining([
        'Tasks:Task.WhatId',
        'Events:Event.WhatId',
        'ActivityHistories:ActivityHistory.WhatId',
        'OpenActivities:OpenActivity.WhatId',
        'Assets:Asset.AccountId',
        'Contracts:Contract.AccountId',
        'Orders:Order.AccountId',
      ]),
    );
  });
});

describe('activities and polymorphic relationships', () => {
  it('reads What.Name and Who.Name on whatever object the id points to, with its type in attributes', async () => {
    const contactId = (await conn.sobject('Contact').create({ FirstName: 'Ada', LastName: 'Lovelace' })).id as string;
    await conn
      .sobject('Task')
      .create([
        { Subject: 'Call about account', WhatId: accountId, WhoId: contactId, ActivityDate: '2024-04-01' },
        { Subject: 'Send proposal', WhatId: opportunityId, Status: 'Completed' },
        { Subject: 'No relation' },
      ]);
    const result = await conn.query<{
      Subject: string;
      IsClosed: boolean;
      What: { attributes: { type: string }; Name: string } | null;
      Who: { attributes: { type: string }; Name: string } | null;
    }>('SELECT Subject, IsClosed, What.Name, Who.Name FROM Task ORDER BY Subject');
    const rows = result.records.map((r) => [
      r.Subject,
      r.IsClosed,
      r.What?.attributes.type ?? null,
      r.What?.Name ?? null,
      r.Who?.Name ?? null,
    ]);
    expect(rows).toEqual([
      ['Call about account', false, 'Account', 'Polymorphic Co', 'Ada Lovelace'],
      ['No relation', false, null, null, null],
      ['Send proposal', true, 'Opportunity', 'Big deal', null],
    ]);
    const typed = await conn.query<{ Subject: string; What: { Type: string } | null }>(
      'SELECT Subject, What.Type FROM Task WHERE WhatId != null ORDER BY Subject',
    );
    expect(typed.records.map((r) => r.What?.Type)).toEqual(['Account', 'Opportunity']);
    const filtered = await conn.query("SELECT Subject FROM Task WHERE What.Name = 'Big deal'");
    expect(filtered.records.map((r) => r.Subject)).toEqual(['Send proposal']);
    await expect(conn.query('SELECT What.Owner.Name FROM Task')).rejects.toMatchObject({
      errorCode: 'MALFORMED_QUERY',
    });
    await expect(conn.query('SELECT What.Nope FROM Task')).rejects.toMatchObject({ errorCode: 'INVALID_FIELD' });
  });

  it('answers ActivityHistories (closed tasks) and OpenActivities (open ones) as subqueries', async () => {
    await conn.sobject('Task').create([
      { Subject: 'Done with the deal', WhatId: opportunityId, Status: 'Completed' },
      { Subject: 'Still to do', WhatId: opportunityId },
    ]);
    const result = await conn.query<{
      ActivityHistories: { records: Array<{ Subject: string }> } | null;
      OpenActivities: { records: Array<{ Subject: string }> } | null;
    }>(
      `SELECT Id, (SELECT Subject FROM ActivityHistories ORDER BY Subject), (SELECT Subject FROM OpenActivities) FROM Opportunity WHERE Id = '${opportunityId}'`,
    );
    const [row] = result.records;
    expect(row!.ActivityHistories?.records.map((r) => r.Subject)).toEqual(['Done with the deal', 'Send proposal']);
    expect(row!.OpenActivities?.records.map((r) => r.Subject)).toEqual(['Still to do']);
  });

  it('keeps price book entries, line items, contracts and orders to their required fields and parents', async () => {
    const productId = (await conn.sobject('Product2').create({ Name: 'Widget', ProductCode: 'W-1' })).id as string;
    const pricebookId = (await conn.sobject('Pricebook2').create({ Name: 'Standard', IsActive: true })).id as string;
    await expect(
      conn.sobject('PricebookEntry').create({ Pricebook2Id: pricebookId, Product2Id: productId }),
    ).rejects.toMatchObject({
      errorCode: 'REQUIRED_FIELD_MISSING',
    });
    const entryId = (
      await conn
        .sobject('PricebookEntry')
        .create({ Pricebook2Id: pricebookId, Product2Id: productId, UnitPrice: 12.5, IsActive: true })
    ).id as string;
    await conn
      .sobject('OpportunityLineItem')
      .create({ OpportunityId: opportunityId, PricebookEntryId: entryId, Quantity: 3, UnitPrice: 12.5 });
    const lines = await conn.query<{ Quantity: number; PricebookEntry: { Product2: { Name: string } } }>(
      `SELECT Quantity, PricebookEntry.Product2.Name FROM OpportunityLineItem WHERE OpportunityId = '${opportunityId}'`,
    );
    expect(lines.records.map((r) => [r.Quantity, r.PricebookEntry.Product2.Name])).toEqual([[3, 'Widget']]);
    const contract = await conn
      .sobject('Contract')
      .create({ AccountId: accountId, StartDate: '2024-01-01', ContractTerm: 12 });
    const order = await conn
      .sobject('Order')
      .create({ AccountId: accountId, ContractId: contract.id, EffectiveDate: '2024-02-01' });
    const stored = await conn.sobject('Order').retrieve(order.id as string);
    expect(stored).toMatchObject({ Status: 'Draft', AccountId: accountId });
    expect(String(stored.OrderNumber)).toMatch(/^\d{8}$/);
  });
});
