import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertBuilt,
  contactsCsv,
  finished,
  insertContacts,
  kicksaw,
  type Sandbox,
  sandbox,
  start,
  waitForOutput,
} from './helpers.js';

let box: Sandbox;
beforeAll(async () => {
  assertBuilt();
  box = await sandbox();
});
afterAll(async () => {
  await box?.remove();
});

function firstDocument(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

describe('kicksaw dev', () => {
  it('runs the local org and S3, registers them as "local", serves commands and stops on Ctrl-C', async () => {
    const dev = start(box, ['dev', '--sf-port', '0', '--s3-port', '0', '--snowflake-port', '0', '--json']);
    try {
      await waitForOutput(dev, (o) => firstDocument(o.stdout) !== undefined);
      const doc = firstDocument(dev.output.stdout) as {
        registered: boolean;
        org: { alias: string; instanceUrl: string };
        s3: { endpoint: string; bucket: string };
        warehouse: { alias: string; type: string; path: string };
      };
      expect(doc, JSON.stringify(doc)).toMatchObject({
        ok: true,
        command: 'dev',
        registered: true,
        org: { alias: 'local' },
        s3: { bucket: 'local' },
      });
      expect(doc.warehouse).toEqual({
        alias: 'local',
        type: 'duckdb',
        path: join(box.dir, '.kicksaw', 'warehouse.duckdb'),
      });
      // @kicksaw/snowflake-emulator is installed here, so the local Snowflake runs too.
      expect(doc).toMatchObject({ snowflake: { alias: 'local-snowflake' } });

      const test = await kicksaw(box, ['org', 'test', 'local', '--json']);
      expect(test.code, test.stderr).toBe(0);
      expect(test.json()).toMatchObject({ alias: 'local', mode: 'password', instanceUrl: doc.org.instanceUrl });

      await writeFile(join(box.dir, 'local.csv'), contactsCsv(5));
      const load = await kicksaw(box, insertContacts('local.csv', '--json'));
      expect(load.code, load.stderr).toBe(0);
      const s3Load = await kicksaw(box, insertContacts('s3://local/missing.csv', '--json'));
      expect(s3Load.code).toBe(1); // the local S3 answered: the object is not there
      expect(s3Load.stderr).toContain('does not exist');

      const warehouses = await kicksaw(box, ['warehouse', 'list', '--json']);
      expect(warehouses.json()).toMatchObject({
        defaultWarehouse: 'local',
        warehouses: [
          { name: 'local', type: 'duckdb', default: true },
          { name: 'local-snowflake', type: 'snowflake', default: false },
        ],
      });
      const snowflake = await kicksaw(box, ['warehouse', 'test', 'local-snowflake', '--json']);
      expect(snowflake.code, snowflake.stderr).toBe(0);
      expect(snowflake.json()).toMatchObject({ ok: true, type: 'snowflake', answer: 1 });
    } finally {
      dev.kill('SIGINT');
    }
    const stopped = await finished(dev);
    expect(stopped.code).toBe(0);
    expect(existsSync(join(box.dir, '.kicksaw', 'dev-org.json'))).toBe(true);
  });

  it('warehouse add, default, remove (configuration; PostgreSQL URLs only in the secrets file)', async () => {
    const fresh = await sandbox();
    try {
      const add = await kicksaw(fresh, ['warehouse', 'add', 'scratch', '--duckdb', 'scratch.duckdb', '--json']);
      expect(add.json()).toEqual({
        ok: true,
        command: 'warehouse add',
        name: 'scratch',
        type: 'duckdb',
        location: join(fresh.dir, 'scratch.duckdb'),
        default: true,
      });
      const url = 'postgres://etl:s3cret@127.0.0.1:5432/analytics';
      const pg = await kicksaw(fresh, ['warehouse', 'add', 'pg', '--postgres', url, '--json']);
      expect(pg.json()).toMatchObject({ name: 'pg', type: 'postgres', default: false });
      const list = await kicksaw(fresh, ['warehouse', 'list', '--json']);
      expect(list.stdout).not.toContain('s3cret');
      const { readFile } = await import('node:fs/promises');
      expect(await readFile(join(fresh.configDir, 'config.toml'), 'utf8')).not.toContain('s3cret');
      expect(await readFile(join(fresh.configDir, 'secrets.toml'), 'utf8')).toContain(url);
      expect((await kicksaw(fresh, ['warehouse', 'default', 'pg', '--json'])).json()).toEqual({
        ok: true,
        command: 'warehouse default',
        defaultWarehouse: 'pg',
      });
      const unknown = await kicksaw(fresh, ['warehouse', 'default', 'pgg']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('nearest: pg');
      expect((await kicksaw(fresh, ['warehouse', 'remove', 'pg', '--json'])).json()).toEqual({
        ok: true,
        command: 'warehouse remove',
        removed: 'pg',
        wasDefault: true,
      });
      const usage = await kicksaw(fresh, ['warehouse', 'add', 'two', '--duckdb', 'a', '--postgres', url]);
      expect(usage.code).toBe(2);
    } finally {
      await fresh.remove();
    }
  });
});
