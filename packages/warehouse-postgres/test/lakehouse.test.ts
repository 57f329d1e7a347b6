import { type LocalPostgres, startPostgres } from '@kicksaw/testkit';
import { defineEngineCases } from '../../lakehouse/test/engine-cases.js';
import { openPostgresWarehouse } from '../src/index.js';

// One real server per test file; each case gets a schema of its own.
let server: LocalPostgres | undefined;
let schemas = 0;

defineEngineCases('PostgreSQL', {
  async open() {
    server ??= await startPostgres();
    schemas++;
    return openPostgresWarehouse({ connectionString: server.connectionString, schema: `case_${schemas}` });
  },
  async stop() {
    await server?.stop();
  },
});
