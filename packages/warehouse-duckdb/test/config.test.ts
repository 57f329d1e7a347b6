import { expect, it } from 'vitest';
import { DEFAULT_DUCKDB_MEMORY_LIMIT, openDuckDbWarehouse } from '../src/index.js';

async function setting(config: Record<string, string> | undefined, name: string): Promise<unknown> {
  const warehouse = await openDuckDbWarehouse(config ? { config } : {});
  try {
    for await (const row of warehouse.query(`SELECT current_setting('${name}') AS v`)) return row.v;
    return undefined;
  } finally {
    await warehouse.close();
  }
}

it('bounds DuckDB memory by default (it lives in the client process), and takes the caller’s limit instead', async () => {
  expect(DEFAULT_DUCKDB_MEMORY_LIMIT).toBe('256MB');
  // DuckDB reports the limit in its own units: 256MB = 244.1 MiB.
  expect(await setting(undefined, 'memory_limit')).toBe('244.1 MiB');
  expect(await setting({ memory_limit: '1GB' }, 'memory_limit')).toBe('953.6 MiB');
  expect(await setting({ threads: '1' }, 'threads')).toBe(1);
});
