import type { Warehouse } from '@kicksaw/lakehouse';
import { type LocalPostgres, startPostgres } from '@kicksaw/testkit/postgres';
import pg from 'pg';
import { openPostgresWarehouse } from '../src/index.js';

/**
 * The engine of the shared lakehouse cases: one real server per test file, each case a schema of its own
 * (`<prefix>_<run>_<n>`, unique per run, so a shared server named by KICKSAW_PG_URL can run the file again),
 * dropped at the end.
 */
export function postgresEngine(prefix: string): { open(): Promise<Warehouse>; stop(): Promise<void> } {
  let server: LocalPostgres | undefined;
  const schemas: string[] = [];
  const run = `${process.pid.toString(36)}${Date.now().toString(36)}`;
  return {
    async open() {
      server ??= await startPostgres();
      const schema = `${prefix}_${run}_${schemas.length + 1}`;
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
  };
}
