import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCommand, type RunningCommand, startCommand, waitForOutput } from '@kicksaw/testkit/command';
import type snowflake from 'snowflake-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSnowflakeEmulator } from '../src/index.js';
import { connect, run } from './support.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
// Built inside the package (gitignored .tmp) so that its dependencies resolve from the package.
const outDir = join(packageDir, '.tmp', `cli-test-${process.pid}`);
const work = mkdtempSync(join(tmpdir(), 'kicksaw-sf-cli-'));

let cli: string;
beforeAll(async () => {
  // Dependencies stay imports (DuckDB's native binding cannot be bundled), whatever folder vitest runs from.
  cli = await buildCommand({ packageDir, outDir, external: 'node_modules' });
}, 60_000);
afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

function destroy(connection: snowflake.Connection): Promise<void> {
  return new Promise((resolve) => connection.destroy(() => resolve()));
}

const start = (args: string[]): RunningCommand => startCommand(cli, args, work);

describe('kicksaw-snowflake-emulator command', () => {
  it('prints connection settings and a connections.toml entry the driver can use; persists across restarts', async () => {
    const args = ['--port', '0', '--database', 'cli_db', '--persist', join(work, 'data', 'cli.duckdb')];
    const first = start(args);
    const [, accessUrl] = await waitForOutput(first, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
    await waitForOutput(first, /Press Ctrl\+C/);
    const output = first.output();
    const port = /port = (\d+)/.exec(output)?.[1];
    expect(output).toContain('[local]');
    expect(output).toContain('protocol = "http"');
    expect(output).toContain('database = "CLI_DB"');
    expect(Number(port)).toBe(Number(new URL(accessUrl as string).port));
    const settings = {
      accessUrl: accessUrl as string,
      account: 'kicksaw',
      username: 'kicksaw',
      password: 'password',
      database: 'CLI_DB',
      schema: 'PUBLIC',
      warehouse: 'COMPUTE_WH',
    };
    const connection = await connect(settings as never);
    await run(connection, 'create table kept (id int, name varchar)');
    await run(connection, "insert into kept values (1, 'one'), (2, 'two')");
    await run(connection, 'create database second_db');
    await run(connection, 'create table second_db.public.also (x int)');
    await run(connection, 'insert into second_db.public.also values (42)');
    await destroy(connection);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = start(args);
    const [, accessUrl2] = await waitForOutput(second, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const again = await connect({ ...settings, accessUrl: accessUrl2 as string } as never);
    expect((await run(again, 'select * from kept order by id')).rows).toEqual([
      { ID: 1, NAME: 'one' },
      { ID: 2, NAME: 'two' },
    ]);
    expect((await run(again, 'select x from second_db.public.also')).rows).toEqual([{ X: 42 }]);
    await destroy(again);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  }, 60_000);

  it('prints help, refuses a bad port, and the committed bin launcher imports the built command', async () => {
    const help = start(['--help']);
    expect(await help.exited).toBe(0);
    expect(help.output()).toContain('--persist <file>');
    const bad = start(['--port', 'nope']);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toContain('--port must be a number');
    expect(readFileSync(join(packageDir, 'bin', 'kicksaw-snowflake-emulator.js'), 'utf8')).toContain(
      "import '../dist/cli.js'",
    );
  });
});

describe('persistPath in code', () => {
  it('keeps tables and named stages across restarts', async () => {
    const persistPath = join(work, 'code', 'db.duckdb');
    const csv = join(work, 'rows.csv');
    writeFileSync(csv, '1\n2\n3\n');
    const first = await startSnowflakeEmulator({ persistPath });
    const a = await connect(first);
    await run(a, 'create table numbers (n int)');
    await run(a, 'create stage files');
    await run(a, `put file://${csv} @files`);
    await destroy(a);
    await first.stop();
    const second = await startSnowflakeEmulator({ persistPath });
    const b = await connect(second);
    await run(b, 'copy into numbers from @files');
    expect((await run(b, 'select sum(n) as s from numbers')).rows).toEqual([{ S: 6 }]);
    await destroy(b);
    await second.stop();
  });
});
