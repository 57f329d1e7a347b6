import { type LocalPostgres, startPostgres } from '@kicksaw/testkit/postgres';
import pg from 'pg';
import { defineMoreEngineCases } from '../../lakehouse/test/engine-cases-more.js';
import { openPostgresWarehouse } from '../src/index.js';

// One real server for this file; each case gets a schema of its own, dropped at the end.
let server: LocalPostgres | undefined;
const schemas: string[] = [];
const run = `${process.pid.toString(36)}${Date.now().toString(36)}`;

defineMoreEngineCases('PostgreSQL', {
  async open() {
    server ??= await startPostgres();
    const schema = `more_${run}_${schemas.length + 1}`;
    schemas.push(schema);
    return openPostgresWarehouse({ connectionString: server.connectionString, schema });
  },
  async stop() {
    if (!server) return;
    const client = new pg.Client({ connectionString: server.connectionString });
    await client.connect();
    try {
      for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
    await server.stop();
  },
});
