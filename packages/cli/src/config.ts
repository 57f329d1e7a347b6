import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '@kicksaw/core';
import { parse, stringify } from 'smol-toml';
import { z } from 'zod';

/** Settings of a stored org, without secrets (those live in the secrets file). */
const orgSchema = z
  .object({
    mode: z.enum(['accessToken', 'password', 'clientCredentials', 'jwt', 'refreshToken']).optional(),
    instanceUrl: z.string().optional(),
    loginUrl: z.string().optional(),
    username: z.string().optional(),
    clientId: z.string().optional(),
    privateKeyFile: z.string().optional(),
    apiVersion: z.string().optional(),
    s3: z
      .object({
        endpoint: z.string().optional(),
        region: z.string().optional(),
        forcePathStyle: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const warehouseSchema = z
  .object({
    type: z.enum(['duckdb', 'postgres', 'snowflake']),
    path: z.string().optional(),
    connection: z.string().optional(),
    /** Snowflake driver settings kept here instead of a connections.toml entry (the password is a secret). */
    snowflake: z
      .object({
        accessUrl: z.string().optional(),
        account: z.string().optional(),
        username: z.string().optional(),
        database: z.string().optional(),
        schema: z.string().optional(),
        warehouse: z.string().optional(),
        role: z.string().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const configSchema = z
  .object({
    defaultOrg: z.string().optional(),
    defaultWarehouse: z.string().optional(),
    orgs: z.record(z.string(), orgSchema).optional(),
    warehouses: z.record(z.string(), warehouseSchema).optional(),
  })
  .strict();

/** Secrets of one org (or one warehouse), in the secrets file (mode 0600). */
const secretSchema = z.record(z.string(), z.string());
const secretsSchema = z
  .object({
    orgs: z.record(z.string(), secretSchema).optional(),
    warehouses: z.record(z.string(), secretSchema).optional(),
  })
  .strict();

/** A stored org's settings (no secrets). */
export type StoredOrg = z.infer<typeof orgSchema>;
/** A stored warehouse. */
export type StoredWarehouse = z.infer<typeof warehouseSchema>;
/** The contents of a `kicksaw.toml` or of the user's `config.toml`. */
export type ConfigFile = z.infer<typeof configSchema>;
/** The contents of the secrets file. */
export type SecretsFile = z.infer<typeof secretsSchema>;

/** The keys that are secrets: never in config files, never printed, never in --json. */
export const SECRET_KEYS = ['accessToken', 'password', 'securityToken', 'clientSecret', 'refreshToken'] as const;

/** Where the configuration lives for a run. */
export interface ConfigPaths {
  /** The user's folder: `$XDG_CONFIG_HOME/kicksaw` or `~/.config/kicksaw`. */
  userDir: string;
  userConfig: string;
  secrets: string;
  /** The project's `kicksaw.toml` found by walking up from the working folder, if any. */
  project: string | undefined;
}

/** The merged view: the project's file wins over the user's for defaults and same-named entries. */
export interface LoadedConfig {
  paths: ConfigPaths;
  user: ConfigFile;
  project: ConfigFile;
  secrets: SecretsFile;
  defaultOrg: string | undefined;
  defaultWarehouse: string | undefined;
  orgs: Map<string, { org: StoredOrg; source: 'user' | 'project' }>;
  warehouses: Map<string, { warehouse: StoredWarehouse; source: 'user' | 'project' }>;
}

/** Finds the configuration files for a working folder and environment. */
export async function configPaths(cwd: string, env: Record<string, string | undefined>): Promise<ConfigPaths> {
  const base = env.XDG_CONFIG_HOME?.trim() || join(env.HOME?.trim() || homedir(), '.config');
  const userDir = join(base, 'kicksaw');
  return {
    userDir,
    userConfig: join(userDir, 'config.toml'),
    secrets: join(userDir, 'secrets.toml'),
    project: await findUp(resolve(cwd), 'kicksaw.toml'),
  };
}

async function findUp(start: string, name: string): Promise<string | undefined> {
  let dir = start;
  for (;;) {
    const candidate = join(dir, name);
    try {
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // not here: go up
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

async function readToml(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      setting: path,
      cause: error,
    });
  }
  try {
    return parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`is not valid TOML: ${(error as Error).message.split('\n')[0]}`, { setting: path });
  }
}

function validate<T>(schema: z.ZodType<T>, value: unknown, path: string): T {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.join('.') || '(top level)';
  const secret =
    issue?.code === 'unrecognized_keys' && issue.keys.some((k) => (SECRET_KEYS as readonly string[]).includes(k));
  throw new ConfigError(`has a bad entry at ${where}: ${issue?.message ?? 'invalid'}`, {
    setting: path,
    hint: secret
      ? 'Secrets never go in config files: store them with `kicksaw org login`, which writes the secrets file (mode 0600).'
      : 'See the "Configuration" section of the @kicksaw/cli README.',
  });
}

/** Loads and merges the project's and the user's configuration and the user's secrets. */
export async function loadConfig(cwd: string, env: Record<string, string | undefined>): Promise<LoadedConfig> {
  const paths = await configPaths(cwd, env);
  const user = validate(configSchema, await readToml(paths.userConfig), paths.userConfig);
  const project = paths.project ? validate(configSchema, await readToml(paths.project), paths.project) : {};
  const secrets = await loadSecrets(paths.secrets);
  const orgs = new Map<string, { org: StoredOrg; source: 'user' | 'project' }>();
  for (const [name, org] of Object.entries(user.orgs ?? {})) orgs.set(name, { org, source: 'user' });
  for (const [name, org] of Object.entries(project.orgs ?? {})) orgs.set(name, { org, source: 'project' });
  const warehouses = new Map<string, { warehouse: StoredWarehouse; source: 'user' | 'project' }>();
  for (const [name, warehouse] of Object.entries(user.warehouses ?? {}))
    warehouses.set(name, { warehouse, source: 'user' });
  for (const [name, warehouse] of Object.entries(project.warehouses ?? {}))
    warehouses.set(name, { warehouse, source: 'project' });
  return {
    paths,
    user,
    project,
    secrets,
    defaultOrg: project.defaultOrg ?? user.defaultOrg,
    defaultWarehouse: project.defaultWarehouse ?? user.defaultWarehouse,
    orgs,
    warehouses,
  };
}

async function loadSecrets(path: string): Promise<SecretsFile> {
  let mode: number;
  try {
    mode = (await stat(path)).mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  if ((mode & 0o077) !== 0) {
    throw new ConfigError(`is readable by others (mode ${mode.toString(8)})`, {
      setting: path,
      code: 'SECRETS_FILE_OPEN',
      hint: `It holds tokens and passwords: run \`chmod 600 ${path}\` and try again.`,
    });
  }
  return validate(secretsSchema, await readToml(path), path);
}

async function writeAtomic(path: string, text: string, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode });
  await chmod(temporary, mode);
  await rename(temporary, path);
}

const HEADER = '# Written by `kicksaw`. Secrets are kept in secrets.toml (mode 0600), never here.\n';

/** Writes the user's config file (creating the folder). */
export async function saveUserConfig(paths: ConfigPaths, config: ConfigFile): Promise<void> {
  await writeAtomic(paths.userConfig, HEADER + stringify(prune(config)), 0o644);
}

/** Writes a project's `kicksaw.toml`. */
export async function saveProjectConfig(path: string, config: ConfigFile): Promise<void> {
  await writeAtomic(path, stringify(prune(config)), 0o644);
}

/** Writes the secrets file, readable by the user alone (mode 0600, folder 0700). */
export async function saveSecrets(paths: ConfigPaths, secrets: SecretsFile): Promise<void> {
  await writeAtomic(
    paths.secrets,
    `# Secrets of kicksaw orgs and warehouses. Keep this file mode 0600.\n${stringify(prune(secrets))}`,
    0o600,
  );
}

/** Drops undefined values and empty tables, which TOML cannot write. */
function prune<T>(value: T): T {
  if (Array.isArray(value)) return value.map(prune) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue;
    const pruned = prune(item);
    if (pruned && typeof pruned === 'object' && !Array.isArray(pruned) && Object.keys(pruned).length === 0) continue;
    out[key] = pruned;
  }
  return out as T;
}

/** What the user's config file stores under each kind, and the key of that kind's default. */
interface StoredEntry {
  orgs: StoredOrg;
  warehouses: StoredWarehouse;
}
/** Orgs or warehouses: the two kinds of named entry the config and secrets files keep. */
export type StoredKind = keyof StoredEntry;
const DEFAULT_KEY = { orgs: 'defaultOrg', warehouses: 'defaultWarehouse' } as const;

/**
 * Stores (or replaces) a named org or warehouse in the user's files: its settings in the config file, its
 * secrets in the secrets file (an entry without secrets drops any kept before), and, with `makeDefault`,
 * its name as the default of its kind.
 */
export async function storeEntry<K extends StoredKind>(
  config: LoadedConfig,
  kind: K,
  name: string,
  entry: StoredEntry[K],
  options: { secrets?: Record<string, string>; makeDefault: boolean },
): Promise<void> {
  const user = structuredClone(config.user);
  user[kind] = { ...(user[kind] ?? {}), [name]: entry } as ConfigFile[K];
  if (options.makeDefault) user[DEFAULT_KEY[kind]] = name;
  const secrets = structuredClone(config.secrets);
  const kept: Record<string, Record<string, string>> = { ...(secrets[kind] ?? {}) };
  if (options.secrets && Object.keys(options.secrets).length) kept[name] = options.secrets;
  else delete kept[name];
  secrets[kind] = kept;
  await saveSecrets(config.paths, secrets);
  await saveUserConfig(config.paths, user);
}

/** Makes `name` the user's default org or warehouse. */
export async function saveDefault(config: LoadedConfig, kind: StoredKind, name: string): Promise<void> {
  const user = structuredClone(config.user);
  user[DEFAULT_KEY[kind]] = name;
  await saveUserConfig(config.paths, user);
}

/** Forgets a stored org or warehouse and its secrets; true when it was the default of its kind. */
export async function forgetEntry(config: LoadedConfig, kind: StoredKind, name: string): Promise<boolean> {
  const user = structuredClone(config.user);
  delete user[kind]?.[name];
  const wasDefault = user[DEFAULT_KEY[kind]] === name;
  if (wasDefault) delete user[DEFAULT_KEY[kind]];
  const secrets = structuredClone(config.secrets);
  delete secrets[kind]?.[name];
  await saveSecrets(config.paths, secrets);
  await saveUserConfig(config.paths, user);
  return wasDefault;
}
