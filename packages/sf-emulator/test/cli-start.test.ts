import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCommand, type RunningCommand, startCommand, waitForOutput } from '@kicksaw/testkit/command';
import { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import './http-support.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
// Built inside the package (gitignored .tmp) so that its dependencies resolve from the package.
const outDir = join(packageDir, '.tmp', `cli-test-${process.pid}`);
const work = mkdtempSync(join(tmpdir(), 'kicksaw-cli-'));

let cli: string;
beforeAll(async () => {
  cli = await buildCommand({ packageDir, outDir });
}, 60_000);
afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

const run = (args: string[]): RunningCommand => startCommand(cli, args, work);

/** The URL and access token the command prints once it listens, and a jsforce connection made with them. */
async function connectTo(running: RunningCommand): Promise<{ url: string; token: string; conn: Connection }> {
  const [, url] = await waitForOutput(running, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
  const [, token] = await waitForOutput(running, /Access token: +(\S+)/);
  return { url: url!, token: token!, conn: new Connection({ instanceUrl: url, accessToken: token, version: '62.0' }) };
}

describe('kicksaw-sf-emulator command', () => {
  it('prints the URL, a token and the sf login line; serves objects and seed; persists across restarts', async () => {
    mkdirSync(join(work, 'objects'));
    writeFileSync(
      join(work, 'objects', 'gadget.json'),
      JSON.stringify({ name: 'Gadget__c', fields: [{ name: 'Sku__c', type: 'string', length: 20, externalId: true }] }),
    );
    writeFileSync(
      join(work, 'seed.json'),
      JSON.stringify({ Account: [{ Name: 'Seeded Co' }], Gadget__c: [{ Name: 'g1', Sku__c: 'S-1' }] }),
    );
    const args = [
      '--port',
      '0',
      '--objects',
      'objects',
      '--seed',
      'seed.json',
      '--integration-objects',
      '--persist',
      'org.json',
    ];
    const first = run(args);
    const { url, token, conn } = await connectTo(first);
    expect(token).toMatch(/^00D\w{12,15}![.\w]+$/);
    expect(first.output()).toContain(
      `SF_ACCESS_TOKEN='${token}' sf org login access-token --instance-url ${url} --no-prompt -a local`,
    );
    expect((await conn.query('SELECT Name FROM Account')).records.map((r) => r.Name)).toEqual(['Seeded Co']);
    expect((await conn.query('SELECT Sku__c FROM Gadget__c')).records.map((r) => r.Sku__c)).toEqual(['S-1']);
    expect((await conn.query('SELECT Id FROM Integration__c')).totalSize).toBe(0);
    await conn.sobject('Account').create({ Name: 'Made Live' });
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(existsSync(join(work, 'org.json'))).toBe(true);
    expect(readFileSync(join(work, 'org.json'), 'utf8')).toContain('Made Live');

    const second = run(args);
    const { token: token2, conn: again } = await connectTo(second);
    expect(token2).toBe(token);
    const names = (await again.query('SELECT Name FROM Account ORDER BY Name')).records.map((r) => r.Name);
    expect(names).toEqual(['Made Live', 'Seeded Co']);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  }, 60_000);

  it('fixes the clock with --clock and generates records with --generate', async () => {
    const running = run(['--port', '0', '--clock', '2024-05-01T08:30:00Z', '--generate', 'Account=25:Phone']);
    const { conn } = await connectTo(running);
    await waitForOutput(running, /Clock: +fixed at 2024-05-01T08:30:00.000Z/);
    const { id } = (await conn.sobject('Account').create({ Name: 'Timed' })) as { id: string };
    const record = (await conn.sobject('Account').retrieve(id)) as Record<string, unknown>;
    expect(record.CreatedDate).toBe('2024-05-01T08:30:00.000+0000');
    expect(running.output()).toMatch(/Generated: +25 Account records/);
    const phones = await conn.query<{ Phone: string | null }>('SELECT Phone FROM Account WHERE Phone != null');
    expect(phones.totalSize).toBe(25);
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
  });

  it('explains bad flags and exits 1', async () => {
    const bad = run(['--port', 'abc']);
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toMatch(/--port must be a port number/);
    const badClock = run(['--port', '0', '--clock', 'soon']);
    expect(await badClock.exited).toBe(1);
    expect(badClock.output()).toMatch(/ISO 8601/);
    const help = run(['--help']);
    expect(await help.exited).toBe(0);
    expect(help.output()).toContain('--integration-objects');
  });
});
