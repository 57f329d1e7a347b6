import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A running PostgreSQL server for tests. */
export interface LocalPostgres {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` (trust auth), or `KICKSAW_PG_URL` when set. */
  connectionString: string;
  /** Stops the server and removes its data directory (nothing to do for `KICKSAW_PG_URL`). Safe to call twice. */
  stop(): Promise<void>;
}

/** Debian's PostgreSQL binaries (`/usr/lib/postgresql/<version>/bin`), newest version first. */
function findBinaries(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(
      'PostgreSQL is not installed: run `apt-get install -y postgresql` (Debian), or set KICKSAW_PG_URL to a server to use',
    );
  }
  return join(root, versions[0] as string, 'bin');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Starts a throwaway PostgreSQL server (Debian's binaries: `initdb --auth=trust` into a temporary directory,
 * `pg_ctl start` on 127.0.0.1 and a free port; as the `postgres` OS user when running as root) and returns its
 * connection string. With `KICKSAW_PG_URL` set, that server is used instead. Test-only; start one per test file.
 *
 * @example
 * ```ts
 * const pg = await startPostgres();
 * const pool = new pg.Pool({ connectionString: pg.connectionString });
 * await pg.stop();
 * ```
 */
export async function startPostgres(): Promise<LocalPostgres> {
  const external = process.env.KICKSAW_PG_URL;
  if (external) return { connectionString: external, stop: async () => undefined };
  const bin = findBinaries();
  const directory = await mkdtemp(join(tmpdir(), 'kicksaw-pg-'));
  const data = join(directory, 'data');
  const asRoot = process.getuid?.() === 0;
  // initdb refuses to run as root: run the server as the `postgres` OS user, who must own the directory.
  let uid: number | undefined;
  let gid: number | undefined;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: group } = await run('id', ['-g', 'postgres']);
    uid = Number(stdout.trim());
    gid = Number(group.trim());
    await chown(directory, uid, gid);
    await chmod(directory, 0o700);
  }
  const exec = (command: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, command), ...args]) : run(join(bin, command), args);
  const port = await freePort();
  await exec('initdb', ['--auth=trust', '--username=postgres', '--encoding=UTF8', '--no-sync', '-D', data]);
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${directory} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  await exec('pg_ctl', ['start', '-w', '-s', '-D', data, '-l', join(directory, 'server.log'), '-o', options]);
  let stopped = false;
  return {
    connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await exec('pg_ctl', ['stop', '-s', '-m', 'immediate', '-D', data]).catch(() => undefined);
      await rm(directory, { recursive: true, force: true });
    },
  };
}
