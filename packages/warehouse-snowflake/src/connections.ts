import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import type { ConnectionOptions } from 'snowflake-sdk';
import { z } from 'zod';
import { SnowflakeWarehouseError } from './errors.js';

/**
 * Where to find a named connection. Every field is optional: the defaults are the ones Snowflake's own tools
 * (the Snowflake CLI, the Python connector) use.
 *
 * @example
 * ```ts
 * const lookup: SnowflakeConnectionLookup = { name: 'dev', home: '/home/me/.snowflake' };
 * ```
 */
export interface SnowflakeConnectionLookup {
  /**
   * The connection's name. Default: `SNOWFLAKE_DEFAULT_CONNECTION_NAME`, else `default_connection_name` of
   * `config.toml` (or `connections.toml`), else `default`.
   */
  name?: string | undefined;
  /** The folder holding `connections.toml` / `config.toml`. Default `$SNOWFLAKE_HOME`, else `~/.snowflake`. */
  home?: string | undefined;
  /** The environment read for `SNOWFLAKE_HOME`, `SNOWFLAKE_DEFAULT_CONNECTION_NAME` and overrides. Default `process.env`. */
  env?: Record<string, string | undefined> | undefined;
}

/**
 * A named connection, resolved: the driver's options and where they came from (no secret is in `source`).
 *
 * @example
 * ```ts
 * const { name, file, options }: ResolvedSnowflakeConnection = await readSnowflakeConnection({ name: 'dev' });
 * ```
 */
export interface ResolvedSnowflakeConnection {
  name: string;
  /** The file the connection was read from. */
  file: string;
  /** Settings overridden by `SNOWFLAKE_CONNECTIONS_<NAME>_<KEY>` variables (their keys only). */
  overriddenByEnv: string[];
  /** Settings the file lacked, filled from generic `SNOWFLAKE_<KEY>` variables (their keys only). */
  filledFromEnv: string[];
  /** Options for `snowflake.createConnection`. */
  options: ConnectionOptions;
}

/** Keys the generic `SNOWFLAKE_<KEY>` variables may fill (the Snowflake CLI's list of connection settings). */
const GENERIC_ENV_KEYS = [
  'account',
  'user',
  'password',
  'database',
  'schema',
  'role',
  'warehouse',
  'authenticator',
  'host',
  'port',
  'region',
  'private_key_file',
  'private_key_path',
  'private_key_raw',
  'token',
];

/** Connection file keys (the Python connector's names) and the driver option each becomes. */
const KEY_TO_OPTION: Record<string, string> = {
  account: 'account',
  user: 'username',
  username: 'username',
  password: 'password',
  database: 'database',
  schema: 'schema',
  warehouse: 'warehouse',
  role: 'role',
  host: 'host',
  port: 'port',
  protocol: 'protocol',
  region: 'region',
  authenticator: 'authenticator',
  token: 'token',
  private_key_file: 'privateKeyPath',
  private_key_path: 'privateKeyPath',
  private_key_file_pwd: 'privateKeyPass',
  private_key_pwd: 'privateKeyPass',
  private_key: 'privateKey',
  private_key_raw: 'privateKey',
  access_url: 'accessUrl',
  application: 'application',
  client_session_keep_alive: 'clientSessionKeepAlive',
  login_timeout: 'timeout',
};

const entrySchema = z
  .object({
    account: z.string().min(1, 'account is empty').optional(),
    user: z.string().optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    port: z.union([z.number().int().positive(), z.string().regex(/^\d+$/, 'port must be a number')]).optional(),
    protocol: z.enum(['http', 'https']).optional(),
  })
  .loose();

function snakeToCamel(key: string): string {
  return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

async function readToml(file: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    const info = await stat(file);
    // Snowflake's tools refuse a connection file others may write (it can hold passwords and keys).
    if ((info.mode & 0o022) !== 0) {
      throw new SnowflakeWarehouseError(`${file} is writable by other users; run chmod 0600 ${file}`, {
        code: 'SNOWFLAKE_CONFIG',
      });
    }
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new SnowflakeWarehouseError(
      `${file} is not valid TOML: ${error instanceof Error ? error.message : String(error)}`,
      { code: 'SNOWFLAKE_CONFIG', cause: error },
    );
  }
}

function tablesOf(value: unknown): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  if (!value || typeof value !== 'object') return out;
  for (const [key, entry] of Object.entries(value)) {
    if (entry && typeof entry === 'object' && !Array.isArray(entry)) out[key] = entry as Record<string, unknown>;
  }
  return out;
}

/**
 * Reads a named connection the way Snowflake's own tools do:
 *
 * - the folder is `home`, else `$SNOWFLAKE_HOME`, else `~/.snowflake`;
 * - `connections.toml` holds connections as top-level tables (`[dev]`); `config.toml` holds them under
 *   `[connections.dev]`. When `connections.toml` has any connection, those of `config.toml` are not used
 *   (as the Snowflake CLI does);
 * - the name is `name`, else `SNOWFLAKE_DEFAULT_CONNECTION_NAME`, else `default_connection_name` (top of
 *   `config.toml` or `connections.toml`), else `default`;
 * - `SNOWFLAKE_CONNECTIONS_<NAME>_<KEY>` variables (name and key upper case, e.g.
 *   `SNOWFLAKE_CONNECTIONS_DEV_PASSWORD`) override the file's settings; generic variables
 *   (`SNOWFLAKE_USER`, `SNOWFLAKE_PASSWORD`, `SNOWFLAKE_ROLE`, ...) fill only settings the file lacks.
 *
 * Keys are the Python connector's (`account`, `user`, `password`, `database`, `schema`, `warehouse`, `role`,
 * `host`, `port`, `protocol`, `authenticator`, `private_key_file`, `private_key_file_pwd`, `token`, ...); they
 * become `snowflake-sdk` options (`user` is `username`, `private_key_file` is `privateKeyPath`; other
 * snake_case keys become camelCase as the driver's own reader does). `host` + `port` + `protocol` point the
 * driver at any server (the local Snowflake prints such an entry).
 *
 * @example
 * ```ts
 * // ~/.snowflake/connections.toml:  [dev]  account = "acme-xy123"  user = "me"  database = "RAW" ...
 * const { options } = await readSnowflakeConnection({ name: 'dev' });
 * const warehouse = await openSnowflakeWarehouse({ connection: options });
 * ```
 */
export async function readSnowflakeConnection(
  lookup: SnowflakeConnectionLookup = {},
): Promise<ResolvedSnowflakeConnection> {
  const env = lookup.env ?? process.env;
  const { name, file, entry } = await findConnection(lookup, env);
  const { merged, fromGenericEnv, overriddenByEnv } = withEnv(entry, name, env);
  const checked = entrySchema.safeParse(merged);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new SnowflakeWarehouseError(
      `Snowflake connection "${name}" in ${file}: ${issue?.path.join('.') || 'entry'}: ${issue?.message ?? 'invalid'}`,
      { code: 'SNOWFLAKE_CONFIG' },
    );
  }
  return {
    name,
    file,
    overriddenByEnv: overriddenByEnv.sort(),
    filledFromEnv: fromGenericEnv.filter((k) => !overriddenByEnv.includes(k)).sort(),
    options: driverOptions(merged, name, file),
  };
}

/** The named connection's entry and the file it is in (connections.toml first, as the Snowflake CLI reads them). */
async function findConnection(
  lookup: SnowflakeConnectionLookup,
  env: Record<string, string | undefined>,
): Promise<{ name: string; file: string; entry: Record<string, unknown> }> {
  const home = lookup.home ?? (env.SNOWFLAKE_HOME ? env.SNOWFLAKE_HOME : join(homedir(), '.snowflake'));
  const connectionsFile = join(home, 'connections.toml');
  const configFile = join(home, 'config.toml');
  const connectionsToml = await readToml(connectionsFile);
  const configToml = await readToml(configFile);

  const fromConnections = tablesOf(connectionsToml);
  const fromConfig = tablesOf(configToml?.connections);
  const useConnectionsFile = Object.keys(fromConnections).length > 0;
  const available = useConnectionsFile ? fromConnections : fromConfig;
  const file = useConnectionsFile ? connectionsFile : configFile;

  const defaultName = [configToml?.default_connection_name, connectionsToml?.default_connection_name].find(
    (v): v is string => typeof v === 'string' && v.length > 0,
  );
  const name = lookup.name ?? (env.SNOWFLAKE_DEFAULT_CONNECTION_NAME || undefined) ?? defaultName ?? 'default';
  const entry = available[name];
  if (!entry) {
    const names = Object.keys(available);
    throw new SnowflakeWarehouseError(
      connectionsToml || configToml
        ? `No Snowflake connection named "${name}" in ${file} (it has: ${names.length > 0 ? names.join(', ') : 'none'}). Add [${name}] to connections.toml, or pass another name.`
        : `No Snowflake connection files in ${home} (looked for connections.toml and config.toml). Create ${connectionsFile} with a [${name}] entry, or set SNOWFLAKE_HOME.`,
      { code: 'SNOWFLAKE_CONFIG' },
    );
  }
  return { name, file, entry };
}

/** The entry with the environment's settings: generic variables fill what it lacks, named ones override. */
function withEnv(entry: Record<string, unknown>, name: string, env: Record<string, string | undefined>) {
  const merged: Record<string, unknown> = { ...entry };
  // Lowest precedence: generic variables (SNOWFLAKE_USER, SNOWFLAKE_PASSWORD, ...) fill keys the file lacks.
  const fromGenericEnv: string[] = [];
  for (const key of GENERIC_ENV_KEYS) {
    const value = env[`SNOWFLAKE_${key.toUpperCase()}`];
    if (value !== undefined && value !== '' && merged[key] === undefined) {
      merged[key] = value;
      fromGenericEnv.push(key);
    }
  }
  const prefix = `SNOWFLAKE_CONNECTIONS_${name.toUpperCase()}_`;
  const overriddenByEnv: string[] = [];
  for (const [variable, value] of Object.entries(env)) {
    if (!variable.startsWith(prefix) || value === undefined) continue;
    const key = variable.slice(prefix.length).toLowerCase();
    if (key.length === 0) continue;
    merged[key] = value;
    overriddenByEnv.push(key);
  }
  return { merged, fromGenericEnv, overriddenByEnv };
}

/** The checked entry as `snowflake-sdk` options (the Python connector's keys renamed); it must name an account. */
function driverOptions(merged: Record<string, unknown>, name: string, file: string): ConnectionOptions {
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(merged)) {
    const option = KEY_TO_OPTION[key] ?? (key === key.toLowerCase() ? snakeToCamel(key) : key);
    if (options[option] === undefined) options[option] = key === 'port' ? Number(value) : value;
  }
  if (!options.account && !options.accessUrl && !options.host) {
    throw new SnowflakeWarehouseError(
      `Snowflake connection "${name}" in ${file} has no account; add account = "<org>-<account>" (or host)`,
      { code: 'SNOWFLAKE_CONFIG' },
    );
  }
  if (!options.account && options.host) options.account = String(options.host).split('.')[0];
  return options as unknown as ConnectionOptions;
}
