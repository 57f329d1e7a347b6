// Compound Address fields: described with their components, returned as objects by REST, refused by Bulk query.
import { describe, expect, it } from 'vitest';
import { api, raw, useEmulator } from './http-support.js';

const env = useEmulator();

describe('compound Address fields', () => {
  it('describes BillingAddress as type address and its components with compoundFieldName', async () => {
    const fields = (await env.conn.describe('Account')).fields;
    const billing = fields.find((field) => field.name === 'BillingAddress')!;
    expect(billing).toMatchObject({ type: 'address', calculated: false, createable: false, updateable: false });
    for (const name of ['BillingStreet', 'BillingCity', 'BillingLatitude', 'BillingGeocodeAccuracy']) {
      expect(fields.find((field) => field.name === name)?.compoundFieldName).toBe('BillingAddress');
    }
    expect(fields.find((field) => field.name === 'Name')?.compoundFieldName).toBeNull();
    const contact = (await env.conn.describe('Contact')).fields.map((field) => field.name);
    expect(contact).toEqual(expect.arrayContaining(['MailingAddress', 'OtherAddress']));
    const lead = (await env.conn.describe('Lead')).fields.find((field) => field.name === 'Address');
    expect(lead).toMatchObject({ type: 'address', label: 'Address' });
  });

  it('answers the compound as an object in REST queries and reads, null when every component is empty', async () => {
    const { id } = (await env.conn.sobject('Account').create({
      Name: 'Addressed',
      BillingCity: 'Paris',
      BillingCountry: 'France',
      BillingLatitude: 48.85,
    })) as { id: string };
    const { id: bare } = (await env.conn.sobject('Account').create({ Name: 'No address' })) as { id: string };
    const rows = await env.conn.query<Record<string, unknown>>(
      `SELECT Name, BillingAddress, ShippingAddress FROM Account WHERE Id IN ('${id}', '${bare}') ORDER BY Name`,
    );
    expect(rows.records.map((row) => [row.Name, row.BillingAddress, row.ShippingAddress])).toEqual([
      [
        'Addressed',
        {
          street: null,
          city: 'Paris',
          state: null,
          postalCode: null,
          country: 'France',
          latitude: 48.85,
          longitude: null,
          geocodeAccuracy: null,
        },
        null,
      ],
      ['No address', null, null],
    ]);
    const read = (await env.conn.sobject('Account').retrieve(id)) as Record<string, unknown>;
    expect(read.BillingAddress).toMatchObject({ city: 'Paris' });
    await expect(
      env.conn.sobject('Account').update({ Id: id, BillingAddress: { city: 'Lyon' } } as never),
    ).rejects.toMatchObject({ errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE' });
  });

  it('is refused by Bulk query, whose components are fine', async () => {
    const refused = await raw(env.sf, 'POST', api(env.sf, '/jobs/query'), {
      body: JSON.stringify({ operation: 'query', query: 'SELECT Id, BillingAddress FROM Account' }),
    });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('Selecting compound data not supported in Bulk Query');
    const records = await (
      await env.conn.bulk2.query('SELECT Id, BillingCity FROM Account', { pollInterval: 10 })
    ).toArray();
    expect(records.some((record) => (record as { BillingCity: string }).BillingCity === 'Paris')).toBe(true);
  });
});
