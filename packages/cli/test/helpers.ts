import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ObjectDefinition } from '@kicksaw/sf-emulator';
import { expect } from 'vitest';

/** The committed launcher; it loads the built dist/cli.js. */
export const BIN = fileURLToPath(new URL('../bin/kicksaw.js', import.meta.url));
const BUILT = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(BUILT)) throw new Error('Build @kicksaw/cli first: pnpm --filter @kicksaw/cli build');
}

/** A scratch folder with its own user config folder (XDG_CONFIG_HOME) and HOME. */
export interface Sandbox {
  dir: string;
  configDir: string;
  env: Record<string, string>;
  remove(): Promise<void>;
}

export async function sandbox(): Promise<Sandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'kicksaw-cli-'));
  const configDir = join(dir, 'xdg');
  await mkdir(configDir);
  return {
    dir,
    configDir: join(configDir, 'kicksaw'),
    // A clean environment: no SF_* of the machine, no proxies (jsforce uses them for 127.0.0.1 too).
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      XDG_CONFIG_HOME: configDir,
      NO_COLOR: '1',
      KICKSAW_LOGIN_ATTEMPTS: '1',
      KICKSAW_RETRY_DELAY_MS: '10',
      KICKSAW_POLL_INTERVAL_MS: '20',
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as the one JSON document. */
  json<T = Record<string, unknown>>(): T;
}

/** Runs the built `kicksaw` (under the Node that runs the tests: Node 22 through pnpm) and waits for it. */
export function kicksaw(
  box: Sandbox,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<Result> {
  const child = start(box, args, options);
  return finished(child);
}

/** Starts the built `kicksaw` without waiting. */
export function start(
  box: Sandbox,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): ChildProcess & { output: { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? box.dir,
    env: { ...box.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as ChildProcess & { output: { stdout: string; stderr: string } };
  child.output = { stdout: '', stderr: '' };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    child.output.stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    child.output.stderr += chunk;
  });
  return child;
}

export function finished(child: ChildProcess & { output: { stdout: string; stderr: string } }): Promise<Result> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      const { stdout, stderr } = child.output;
      resolve({
        code,
        stdout,
        stderr,
        json<T>() {
          try {
            return JSON.parse(stdout) as T;
          } catch {
            throw new Error(`stdout is not one JSON document (exit ${code}):\n${stdout}\nstderr:\n${stderr}`);
          }
        },
      });
    });
  });
}

/** Resolves once `predicate` holds for the output so far (checked on every chunk). */
export function waitForOutput(
  child: ChildProcess & { output: { stdout: string; stderr: string } },
  predicate: (output: { stdout: string; stderr: string }) => boolean,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (predicate(child.output)) {
        child.stdout?.off('data', check);
        child.stderr?.off('data', check);
        child.off('close', closed);
        resolve();
      }
    };
    const closed = (code: number | null) =>
      reject(new Error(`kicksaw ended (exit ${code}) first:\n${child.output.stdout}\n${child.output.stderr}`));
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.once('close', closed);
    check();
  });
}

/** A TCP port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A CSV of contacts: every `badEvery`-th row lacks its last name (Salesforce rejects it). */
export function contactsCsv(rows: number, badEvery = 0, prefix = 'c'): string {
  const lines = ['LastName,FirstName,Email'];
  for (let i = 1; i <= rows; i++) {
    const last = badEvery > 0 && i % badEvery === 0 ? '' : `Last${i}`;
    lines.push(`${last},First${i},${prefix}${i}@example.com`);
  }
  return `${lines.join('\n')}\n`;
}

/** What an access-token login needs of an org (the emulator's `instanceUrl` and `accessToken`). */
export interface TokenOrg {
  instanceUrl: string;
  accessToken: string;
}

/** `kicksaw org login --alias ALIAS` with the org's access token, in the box; it must succeed (exit 0). */
export async function loginWithToken(box: Sandbox, org: TokenOrg, alias = 'emu'): Promise<Result> {
  const login = await kicksaw(box, [
    'org',
    'login',
    '--alias',
    alias,
    '--instance-url',
    org.instanceUrl,
    '--access-token',
    org.accessToken,
  ]);
  expect(login.code, login.stderr).toBe(0);
  return login;
}

/** The arguments of `kicksaw import FILE --object Contact --operation insert`, then `more`. */
export function insertContacts(file: string, ...more: string[]): string[] {
  return ['import', file, '--object', 'Contact', '--operation', 'insert', ...more];
}

/** Contact with an external id field `External_Id__c` (for upserts), as the emulator's `objects` option takes it. */
export const CONTACT_WITH_EXTERNAL_ID: ObjectDefinition = {
  name: 'Contact',
  merge: true,
  fields: [{ name: 'External_Id__c', type: 'string', length: 40, externalId: true, unique: true }],
};
