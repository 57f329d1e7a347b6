import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import type { KicksawError } from '@kicksaw/core';
import type { ResolvedConfig, SalesforceConfig } from '@kicksaw/sf-bulk';
import { closest, distance } from 'fastest-levenshtein';
import type { Connection } from 'jsforce';
import type { LoadedConfig, StoredOrg } from './config.js';
import { CliError } from './errors.js';
import type { Output } from './output.js';

const run = promisify(execFile);

/** Where an org's settings came from. */
export type OrgSource = 'user' | 'project' | 'sf-cli' | 'env';

/** A resolved org: its name, where it came from and its validated settings. */
export interface ResolvedOrg {
  name: string | undefined;
  source: OrgSource;
  config: ResolvedConfig;
  /** SF_* variables that overrode stored settings. */
  overriddenBy: string[];
}

export const LOGIN_EXAMPLE =
  'kicksaw org login --alias my-org --instance-url https://acme.my.salesforce.com --access-token "$TOKEN"';

/** Settings from SF_* variables (as `connectFromEnv` reads them), by config key. */
async function envSettings(
  env: Record<string, string | undefined>,
): Promise<{ values: Record<string, string>; names: string[] }> {
  const { ENV_NAMES } = await import('@kicksaw/sf-bulk');
  const values: Record<string, string> = {};
  const names: string[] = [];
  for (const [key, name] of Object.entries(ENV_NAMES)) {
    const value = env[name]?.trim();
    if (!value) continue;
    names.push(name);
    if (key === 'privateKeyFile') {
      if (!env[ENV_NAMES.privateKey]) values.privateKey = await readKey(value, name);
      continue;
    }
    values[key] = key === 'privateKey' ? value.replace(/\\n/g, '\n') : value;
  }
  return { values, names };
}

async function readKey(path: string, setting: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(
      `Cannot read the private key file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      {
        code: 'KEY_FILE_UNREADABLE',
        hint: `Check the path given by ${setting}.`,
      },
    );
  }
}

/** The settings of a stored org with its secrets (and the JWT key read from its file). */
export async function storedOrgSettings(
  name: string,
  org: StoredOrg,
  config: LoadedConfig,
): Promise<Record<string, string>> {
  const { mode: _mode, s3: _s3, privateKeyFile, ...plain } = org;
  const settings: Record<string, string> = {};
  for (const [key, value] of Object.entries(plain)) if (typeof value === 'string') settings[key] = value;
  for (const [key, value] of Object.entries(config.secrets.orgs?.[name] ?? {})) settings[key] = value;
  if (privateKeyFile) settings.privateKey = await readKey(privateKeyFile, `the privateKeyFile of org "${name}"`);
  return settings;
}

/** True when an executable named `name` is on PATH. */
async function onPath(name: string, env: Record<string, string | undefined>): Promise<string | undefined> {
  const { access, constants } = await import('node:fs/promises');
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

/**
 * Asks the Salesforce CLI for an org it knows (`sf org display --json --target-org NAME`): the instance
 * URL and a fresh access token. Undefined when `sf` is not installed or does not know the name.
 */
async function fromSalesforceCli(
  name: string,
  env: Record<string, string | undefined>,
  out: Output,
): Promise<{ instanceUrl: string; accessToken: string; apiVersion?: string } | undefined> {
  const sf = await onPath('sf', env);
  if (!sf) return undefined;
  out.debug(`asking the Salesforce CLI about "${name}": sf org display --json --target-org ${name}`);
  let stdout: string;
  try {
    ({ stdout } = await run(sf, ['org', 'display', '--json', '--target-org', name], {
      env: { ...env, SF_JSON_TO_STDOUT: 'true' } as NodeJS.ProcessEnv,
      maxBuffer: 4 * 1024 * 1024,
    }));
  } catch (error) {
    // sf exits non-zero for an unknown org and still prints its JSON.
    stdout = String((error as { stdout?: string }).stdout ?? '');
  }
  let parsed: { status?: number; result?: { instanceUrl?: string; accessToken?: string; apiVersion?: string } };
  try {
    parsed = JSON.parse(stdout) as typeof parsed;
  } catch {
    return undefined;
  }
  const result = parsed.result;
  if (parsed.status !== 0 || !result?.instanceUrl || !result.accessToken) return undefined;
  return {
    instanceUrl: result.instanceUrl,
    accessToken: result.accessToken,
    ...(result.apiVersion ? { apiVersion: result.apiVersion } : {}),
  };
}

/**
 * The stored settings of the org called `name`: a stored org, else a login of the Salesforce CLI; none when
 * neither has it and `mustExist` is false (SF_* variables then make the org), else a CliError naming the known orgs.
 */
async function namedOrgSettings(
  name: string,
  mustExist: boolean,
  config: LoadedConfig,
  env: Record<string, string | undefined>,
  out: Output,
): Promise<{ base: Record<string, string> | undefined; source: OrgSource }> {
  const stored = config.orgs.get(name);
  if (stored) return { base: await storedOrgSettings(name, stored.org, config), source: stored.source };
  const sf = await fromSalesforceCli(name, env, out);
  if (sf) return { base: { ...sf }, source: 'sf-cli' };
  if (mustExist) {
    const known = [...config.orgs.keys()];
    throw new CliError(`No org named "${name}"`, {
      code: 'ORG_UNKNOWN',
      hint: [
        known.length ? `Known orgs: ${known.join(', ')}${nearest(name, known)}.` : 'No org is stored yet.',
        `Log in with \`kicksaw org login --alias ${name} ...\` (see \`kicksaw org login --help\`), or with the Salesforce CLI (\`sf org login web -a ${name}\`).`,
      ].join(' '),
    });
  }
  return { base: undefined, source: 'env' };
}

/**
 * The stored settings with the SF_* variables over them key by key; SF_* that make a whole login of another
 * kind (an access token over a stored password) replace the stored one.
 */
function mergedSettings(
  base: Record<string, string> | undefined,
  fromEnv: { names: readonly string[]; values: Record<string, string> },
  parseSalesforceConfig: (values: SalesforceConfig) => { mode: unknown },
): Record<string, string> {
  if (!base || !fromEnv.names.length) return { ...(base ?? {}), ...fromEnv.values };
  const safeMode = (values: Record<string, string>) => {
    try {
      return parseSalesforceConfig(values as SalesforceConfig).mode;
    } catch {
      return undefined;
    }
  };
  const envMode = safeMode(fromEnv.values);
  if (envMode && envMode !== safeMode(base)) return { ...fromEnv.values };
  return { ...base, ...fromEnv.values };
}

/**
 * Resolves the org of a run: `--org NAME` (a stored org, else an alias or username of the Salesforce CLI),
 * else the default org; SF_* variables override stored settings key by key, and alone make an org.
 */
export async function resolveOrg(
  requested: string | undefined,
  config: LoadedConfig,
  env: Record<string, string | undefined>,
  out: Output,
): Promise<ResolvedOrg> {
  const { ENV_NAMES, parseSalesforceConfig } = await import('@kicksaw/sf-bulk');
  const fromEnv = await envSettings(env);
  const name = requested ?? env.KICKSAW_ORG?.trim() ?? config.defaultOrg;
  const { base, source } = name
    ? await namedOrgSettings(name, Boolean(requested) || !fromEnv.names.length, config, env, out)
    : { base: undefined, source: 'env' as OrgSource };
  if (!base && fromEnv.names.length === 0) {
    throw new CliError('No Salesforce org to use: nothing is logged in', {
      code: 'NO_LOGIN',
      hint: `Log in first: \`${LOGIN_EXAMPLE}\` (other ways: \`kicksaw org login --help\`), pass --org with an alias of the Salesforce CLI, or set SF_* variables (SF_INSTANCE_URL and SF_ACCESS_TOKEN, ...).`,
    });
  }
  const merged = mergedSettings(base, fromEnv, parseSalesforceConfig);
  let resolved: ResolvedConfig;
  try {
    resolved = parseSalesforceConfig(merged as SalesforceConfig, {
      names: Object.fromEntries(
        Object.entries(ENV_NAMES).map(([key, envName]) => [
          key,
          base && !fromEnv.values[key] ? `${key} of org "${name}"` : envName,
        ]),
      ),
    });
  } catch (error) {
    throw new CliError((error as Error).message, {
      code: (error as KicksawError).code ?? 'CONFIG_INVALID',
      hint: name ? `Log in again: \`kicksaw org login --alias ${name} ...\`.` : `Log in: \`${LOGIN_EXAMPLE}\`.`,
      cause: error,
    });
  }
  return { name: base ? name : undefined, source, config: resolved, overriddenBy: base ? fromEnv.names : [] };
}

/** `, nearest: X` when a known name is close to `name`. */
export function nearest(name: string, candidates: readonly string[], max = 3): string {
  const names = nearestNames(name, candidates, max);
  return names.length ? ` (nearest: ${names.join(', ')})` : '';
}

/** The candidates closest to `name` (case-insensitive edit distance), best first. */
export function nearestNames(name: string, candidates: readonly string[], max = 3): string[] {
  const lower = name.toLowerCase();
  const scored = candidates
    .map((candidate) => ({ candidate, d: distance(lower, candidate.toLowerCase()) }))
    .filter(({ candidate, d }) => d <= Math.max(2, Math.ceil(Math.max(candidate.length, name.length) / 3)))
    .sort((a, b) => a.d - b.d || a.candidate.localeCompare(b.candidate))
    .map(({ candidate }) => candidate);
  if (scored.length === 0 && candidates.length > 0) {
    const best = closest(
      lower,
      candidates.map((c) => c.toLowerCase()),
    );
    const original = candidates.find((c) => c.toLowerCase() === best);
    return original?.toLowerCase().includes(lower.slice(0, 3)) ? [original] : [];
  }
  return scored.slice(0, max);
}

/** Opens a connection for a resolved org; network failures become an actionable error. */
export async function openConnection(
  org: ResolvedOrg,
  out: Output,
  env: Record<string, string | undefined>,
): Promise<Connection> {
  const { connect } = await import('@kicksaw/sf-bulk');
  try {
    return await connect(org.config, {
      logger: out.logger(),
      maxLoginAttempts: Number(env.KICKSAW_LOGIN_ATTEMPTS ?? 4),
      retryDelayMs: Number(env.KICKSAW_RETRY_DELAY_MS ?? 500),
    });
  } catch (error) {
    throw explainSalesforceError(error, org);
  }
}

/**
 * Retries of HTTP calls on network errors and 5xx: jsforce's and sf-bulk's defaults (5 retries from 500 ms,
 * doubling), with the first delay from KICKSAW_RETRY_DELAY_MS (tests shorten it).
 */
export function httpRetry(env: Record<string, string | undefined>): { maxRetries: number; minTimeout: number } {
  return { maxRetries: 5, minTimeout: Number(env.KICKSAW_RETRY_DELAY_MS ?? 500) };
}

/** sf-bulk's `http` option with the same retries. */
export function bulkHttp(env: Record<string, string | undefined>): { maxRetries: number; retryDelayMs: number } {
  return { maxRetries: 5, retryDelayMs: Number(env.KICKSAW_RETRY_DELAY_MS ?? 500) };
}

/**
 * Bulk job status polls: sf-bulk's defaults (1 s, growing to 10 s) unless KICKSAW_POLL_INTERVAL_MS sets the
 * first wait (and caps the growth at ten times it).
 */
export function pollIntervals(env: Record<string, string | undefined>): {
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
} {
  const first = Number(env.KICKSAW_POLL_INTERVAL_MS);
  return Number.isFinite(first) && first > 0 ? { pollIntervalMs: first, maxPollIntervalMs: first * 10 } : {};
}

/** The URL a resolved org talks to first. */
export function orgUrl(config: ResolvedConfig): string {
  return (
    ('instanceUrl' in config && config.instanceUrl) ||
    ('loginUrl' in config && config.loginUrl) ||
    'https://login.salesforce.com'
  );
}

const NETWORK = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|fetch failed|socket hang up|EHOSTUNREACH/;

/** Turns connection, login and API failures into errors that say what to do. */
export function explainSalesforceError(error: unknown, org: ResolvedOrg | undefined): unknown {
  if (error instanceof CliError) return error;
  const e = error as { message?: string; code?: string; name?: string; cause?: { code?: string; message?: string } };
  const text = `${e?.name ?? ''} ${e?.message ?? ''} ${e?.code ?? ''} ${e?.cause?.code ?? ''} ${e?.cause?.message ?? ''}`;
  const where = org ? orgUrl(org.config) : 'the org';
  const label = org?.name ? `org "${org.name}"` : 'the org';
  if (NETWORK.test(text)) {
    return new CliError(`Cannot reach ${label} at ${where} (${text.match(NETWORK)?.[0]}; retried 5 times)`, {
      code: 'ORG_UNREACHABLE',
      hint: `Check the URL and your network${org?.name === 'local' ? ', and that `kicksaw dev` is running' : ''}; \`kicksaw org test${org?.name ? ` ${org.name}` : ''}\` checks the login.`,
      cause: error,
    });
  }
  if (/INVALID_SESSION_ID|expired|invalid_grant|INVALID_LOGIN|authentication failure|SF_LOGIN_FAILED/i.test(text)) {
    return new CliError(`Salesforce refused the login of ${label}: ${redactMessage(e?.message)}`, {
      code: 'ORG_LOGIN_REFUSED',
      hint: `Log in again: \`kicksaw org login --alias ${org?.name ?? 'my-org'} ...\` (an access token cannot be renewed; a password, JWT, client credentials or web login can).`,
      cause: error,
    });
  }
  return error;
}

function redactMessage(message: string | undefined): string {
  return (message ?? '').replace(/00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]+/g, '***');
}

/**
 * A failed command's error as the user is shown it: a CliError as it is; anything else explained
 * ({@link explainSalesforceError}) with, for an unknown object or field, the nearest names of `object`.
 */
export async function explainFailure(
  error: unknown,
  org: ResolvedOrg | undefined,
  conn: Connection,
  object: string | undefined,
): Promise<unknown> {
  if (error instanceof CliError) return error;
  return await withNearestNames(explainSalesforceError(error, org), conn, object);
}

/**
 * For an unknown object or field: the nearest names from the org's describe, so the message can list
 * them. Returns the error unchanged when it is about something else.
 */
export async function withNearestNames(error: unknown, conn: Connection, object: string | undefined): Promise<unknown> {
  const e = error as { code?: string; message?: string; errorCode?: string; name?: string };
  const text = `${e?.code ?? ''} ${e?.errorCode ?? ''} ${e?.name ?? ''} ${e?.message ?? ''}`;
  try {
    if (/SF_UNKNOWN_OBJECT|INVALID_TYPE/.test(text) || (/NOT_FOUND/.test(text) && object)) {
      const name =
        text.match(/no object named "([^"]+)"/)?.[1] ?? text.match(/sObject type '([^']+)'/)?.[1] ?? object ?? '';
      const global = await conn.describeGlobal();
      const names = global.sobjects.map((s) => s.name);
      if (names.some((n) => n.toLowerCase() === name.toLowerCase()) && !/SF_UNKNOWN_OBJECT|INVALID_TYPE/.test(text))
        return error;
      const near = nearestNames(name, names);
      return new CliError(`Salesforce has no object named "${name}"`, {
        code: 'SF_UNKNOWN_OBJECT',
        hint: near.length
          ? `Nearest objects: ${near.join(', ')}.`
          : 'List the objects with `kicksaw query "SELECT QualifiedApiName FROM EntityDefinition"` or in Setup.',
        cause: error,
      });
    }
    const column = text.match(/No such column '([^']+)' on entity '([^']+)'/);
    const listed = /SF_UNKNOWN_FIELD/.test(text)
      ? text.match(/(?:(\w+) has no fields?|unknown fields?) ((?:"[^"]+"(?:, )?)+)/)
      : null;
    const objectName = column?.[2] ?? listed?.[1] ?? text.match(/Cannot \w+ (\w+):/)?.[1] ?? object;
    if ((column || listed) && objectName) {
      const unknown = column
        ? [column[1] as string]
        : [...(listed?.[2] ?? '').matchAll(/"([^"]+)"/g)].map((m) => m[1] as string);
      const describe = await conn.sobject(objectName).describe();
      const fields = describe.fields.map((f) => f.name);
      const lines = unknown.map((field) => {
        const near = nearestNames(field.split('.').at(-1) ?? field, fields);
        return `"${field}"${near.length ? `: nearest ${near.join(', ')}` : ''}`;
      });
      return new CliError(`${objectName} has no field${unknown.length > 1 ? 's' : ''} ${lines.join('; ')}`, {
        code: 'SF_UNKNOWN_FIELD',
        hint: 'Fix the names (for an import: the CSV header, or map the columns with --mapping).',
        cause: error,
      });
    }
  } catch {
    // The describe itself failed: keep the original error.
  }
  return error;
}
