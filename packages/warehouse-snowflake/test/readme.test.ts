/**
 * The README's example, as a test (the only change: a short Bulk poll interval, so nothing waits).
 */
import { reverseEtl, sync } from '@kicksaw/lakehouse';
import { startSalesforceEmulator } from '@kicksaw/sf-emulator';
import { startSnowflakeEmulator } from '@kicksaw/snowflake-emulator';
import { Connection } from 'jsforce';
import snowflakeSdk from 'snowflake-sdk';
import { expect, it } from 'vitest';
import { openSnowflakeWarehouse } from '../src/index.js';

snowflakeSdk.configure({ logLevel: 'OFF' });

it('runs the README example: sync into the local Snowflake, then reverse ETL back to the org', async () => {
  const org = await startSalesforceEmulator({ seed: { Account: [{ Name: 'Acme' }, { Name: 'Globex' }] } });
  const connection = new Connection({
    instanceUrl: org.instanceUrl,
    accessToken: org.accessToken,
    version: org.apiVersion,
  });
  const snowflake = await startSnowflakeEmulator();
  const warehouse = await openSnowflakeWarehouse({
    connection: {
      accessUrl: snowflake.accessUrl,
      account: snowflake.account,
      username: snowflake.username,
      password: snowflake.password,
      database: snowflake.database,
      schema: snowflake.schema,
      warehouse: snowflake.warehouse,
    },
  });
  try {
    const { objects } = await sync({ connection, warehouse, objects: ['Account'], pollIntervalMs: 5 });
    expect(objects[0]).toMatchObject({ mode: 'full', read: 2, inserted: 2 });

    const summary = await reverseEtl({
      connection,
      warehouse,
      object: 'Account',
      operation: 'update',
      sql: `SELECT "Id", UPPER("Name") AS "Name" FROM "Account" WHERE NOT "IsDeleted"`,
      pollIntervalMs: 5,
    });
    expect(summary).toMatchObject({ read: 2, sent: 2, succeeded: 2, unchanged: 0 });
    expect(
      org.org
        .records('Account')
        .map((r) => r.Name)
        .sort(),
    ).toEqual(['ACME', 'GLOBEX']);
  } finally {
    await warehouse.close();
    await snowflake.stop();
    await org.stop();
  }
});
