import { readFileSync } from 'node:fs';
import { ConfigError } from '@kicksaw/core';
import type { z as Zod } from 'zod';
import { zod } from './zod-lazy.js';

/**
 * The Salesforce API version used when none is configured.
 *
 * @example
 * ```ts
 * new Connection({ instanceUrl, accessToken, version: DEFAULT_API_VERSION });
 * ```
 */
export const DEFAULT_API_VERSION = '62.0';

/**
 * The schemas of the auth modes, built on the first check (zod is loaded then, see zod-lazy.ts): importing the
 * package, or an ingest given a ready connection, checks no configuration.
 */
function buildSchemas() {
  const z = zod();
  const url = z.url({ protocol: /^https?$/ });
  const text = z.string().min(1);
  const apiVersion = z
    .string()
    .regex(/^\d{2,3}\.\d$/, 'must look like 62.0')
    .optional();
  return {
    /** Access token + instance URL (a session you already hold). */
    accessToken: z.object({
      instanceUrl: url,
      accessToken: text,
      apiVersion,
    }),
    /** Username + password (+ security token), by SOAP or, with a client id and secret, by OAuth. */
    password: z.object({
      loginUrl: url.optional(),
      username: text,
      password: text,
      securityToken: z.string().optional(),
      clientId: text.optional(),
      clientSecret: text.optional(),
      apiVersion,
    }),
    /** OAuth client credentials flow against a My Domain URL. */
    clientCredentials: z.object({
      loginUrl: url,
      clientId: text,
      clientSecret: text,
      apiVersion,
    }),
    /** OAuth JWT bearer flow: a connected app's client id, the user name and the app certificate's private key (PEM). */
    jwt: z.object({
      loginUrl: url.optional(),
      username: text,
      clientId: text,
      privateKey: text,
      apiVersion,
    }),
    /** OAuth refresh token flow. */
    refreshToken: z.object({
      instanceUrl: url,
      loginUrl: url.optional(),
      refreshToken: text,
      clientId: text,
      clientSecret: text.optional(),
      apiVersion,
    }),
  } as const;
}

type Schemas = ReturnType<typeof buildSchemas>;
let schemas: Schemas | undefined;

/**
 * How to reach an org: connect with an access token; a password; client credentials; a JWT; or a refresh token.
 *
 * @example
 * ```ts
 * const config: AccessTokenConfig = { instanceUrl: 'https://acme.my.salesforce.com', accessToken: token };
 * ```
 */
export type AccessTokenConfig = Zod.infer<Schemas['accessToken']>;
/**
 * Checked by the `password` schema of this module.
 *
 * @example
 * ```ts
 * const config: PasswordConfig = { username: 'me@acme.com', password: pw, securityToken: token };
 * ```
 */
export type PasswordConfig = Zod.infer<Schemas['password']>;
/**
 * Checked by the `clientCredentials` schema of this module.
 *
 * @example
 * ```ts
 * const config: ClientCredentialsConfig = { loginUrl: 'https://acme.my.salesforce.com', clientId: id, clientSecret: secret };
 * ```
 */
export type ClientCredentialsConfig = Zod.infer<Schemas['clientCredentials']>;
/**
 * Checked by the `jwt` schema of this module.
 *
 * @example
 * ```ts
 * const config: JwtConfig = { loginUrl: 'https://login.salesforce.com', username: 'me@acme.com', clientId: id, privateKey: pem };
 * ```
 */
export type JwtConfig = Zod.infer<Schemas['jwt']>;
/**
 * Checked by the `refreshToken` schema of this module.
 *
 * @example
 * ```ts
 * const config: RefreshTokenConfig = { instanceUrl: 'https://acme.my.salesforce.com', refreshToken: rt, clientId: id };
 * ```
 */
export type RefreshTokenConfig = Zod.infer<Schemas['refreshToken']>;

/**
 * The settings of a Salesforce connection: one of five auth modes, plus `apiVersion` (default `62.0`).
 *
 * @example
 * ```ts
 * const config: SalesforceConfig = { loginUrl: 'https://acme.my.salesforce.com', username: 'me@acme.com', clientId: '3MVG…', privateKey: pem };
 * ```
 */
export type SalesforceConfig =
  | AccessTokenConfig
  | PasswordConfig
  | ClientCredentialsConfig
  | JwtConfig
  | RefreshTokenConfig;

/**
 * The auth mode a config selects.
 *
 * @example
 * ```ts
 * const mode: AuthMode = parseSalesforceConfig(config).mode; // 'jwt'
 * ```
 */
export type AuthMode = 'accessToken' | 'password' | 'clientCredentials' | 'jwt' | 'refreshToken';

/**
 * A validated config with its mode.
 *
 * @example
 * ```ts
 * const resolved: ResolvedConfig = salesforceConfigFromEnv(process.env);
 * if (resolved.mode === 'jwt') console.log(resolved.username);
 * ```
 */
export type ResolvedConfig =
  | ({ mode: 'accessToken' } & AccessTokenConfig)
  | ({ mode: 'password' } & PasswordConfig)
  | ({ mode: 'clientCredentials' } & ClientCredentialsConfig)
  | ({ mode: 'jwt' } & JwtConfig)
  | ({ mode: 'refreshToken' } & RefreshTokenConfig);

/** Picks the mode from the keys present (the most specific wins). */
function modeOf(config: Record<string, unknown>): AuthMode | undefined {
  const has = (key: string) => config[key] !== undefined && config[key] !== '';
  if (has('refreshToken')) return 'refreshToken';
  if (has('privateKey')) return 'jwt';
  if (has('password')) return 'password';
  if (has('accessToken')) return 'accessToken';
  if (has('username')) return has('clientId') ? 'jwt' : 'password';
  if (has('clientId') || has('clientSecret')) return 'clientCredentials';
  if (has('instanceUrl')) return 'accessToken';
  return undefined;
}

/**
 * Validates a {@link SalesforceConfig} and tells which auth mode it selects. Throws a `ConfigError`
 * naming the first missing or bad setting (with `settingPrefix`, e.g. `salesforce.`, prepended).
 * Secrets never appear in the message.
 *
 * @example
 * ```ts
 * parseSalesforceConfig({ instanceUrl: 'https://acme.my.salesforce.com', accessToken: token }).mode; // 'accessToken'
 * parseSalesforceConfig({ username: 'me@acme.com' }); // throws: Setting password is required. …
 * ```
 */
export function parseSalesforceConfig(
  config: unknown,
  options: { settingPrefix?: string; names?: Record<string, string> } = {},
): ResolvedConfig {
  const prefix = options.settingPrefix ?? '';
  const nameOf = (key: string) => options.names?.[key] ?? `${prefix}${key}`;
  if (config === null || typeof config !== 'object') {
    throw new ConfigError('must be an object', { setting: prefix.replace(/\.$/, '') || 'salesforce' });
  }
  const record = config as Record<string, unknown>;
  const mode = modeOf(record);
  if (!mode) {
    throw new ConfigError('is required', {
      setting: nameOf('instanceUrl'),
      code: 'CONFIG_MISSING',
      hint:
        'Give an instance URL and access token, a username and password, a client id and secret (client credentials), ' +
        'a username, client id and private key (JWT), or a refresh token.',
    });
  }
  schemas ??= buildSchemas();
  const parsed = schemas[mode].safeParse(record);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? 'config');
    const missing = record[key] === undefined || record[key] === '';
    throw new ConfigError(missing ? 'is required' : `is invalid (${issue?.message ?? 'bad value'})`, {
      setting: nameOf(key),
      code: missing ? 'CONFIG_MISSING' : 'CONFIG_INVALID',
      hint: hintFor(mode, key),
    });
  }
  if (mode === 'password') {
    const p = parsed.data as PasswordConfig;
    if (p.clientId && !p.clientSecret) {
      throw new ConfigError('is required with a client id for the OAuth password flow', {
        setting: nameOf('clientSecret'),
        code: 'CONFIG_MISSING',
      });
    }
  }
  return { mode, ...parsed.data } as ResolvedConfig;
}

function hintFor(mode: AuthMode, key: string): string | undefined {
  if (key === 'instanceUrl' || key === 'loginUrl') {
    return mode === 'clientCredentials'
      ? "Use your org's My Domain URL, such as https://acme.my.salesforce.com."
      : 'Use a URL such as https://acme.my.salesforce.com (or https://login.salesforce.com to log in).';
  }
  if (key === 'apiVersion') return 'Use a version such as 62.0.';
  return `Needed for the ${mode} auth mode.`;
}

/**
 * Environment variable names read by {@link salesforceConfigFromEnv}, by config key.
 *
 * @example
 * ```ts
 * ENV_NAMES.privateKeyFile; // 'SF_PRIVATE_KEY_FILE'
 * ```
 */
export const ENV_NAMES = {
  instanceUrl: 'SF_INSTANCE_URL',
  accessToken: 'SF_ACCESS_TOKEN',
  loginUrl: 'SF_LOGIN_URL',
  username: 'SF_USERNAME',
  password: 'SF_PASSWORD',
  securityToken: 'SF_SECURITY_TOKEN',
  clientId: 'SF_CLIENT_ID',
  clientSecret: 'SF_CLIENT_SECRET',
  privateKey: 'SF_PRIVATE_KEY',
  privateKeyFile: 'SF_PRIVATE_KEY_FILE',
  refreshToken: 'SF_REFRESH_TOKEN',
  apiVersion: 'SF_API_VERSION',
} as const;

/**
 * Builds a validated config from environment variables (names in {@link ENV_NAMES}); errors name the
 * variable. `SF_PRIVATE_KEY_FILE` is read from disk when `SF_PRIVATE_KEY` is not set; `\n` escapes in
 * `SF_PRIVATE_KEY` become newlines.
 *
 * @example
 * ```ts
 * const config = salesforceConfigFromEnv({ SF_INSTANCE_URL: 'https://acme.my.salesforce.com', SF_ACCESS_TOKEN: token });
 * ```
 */
export function salesforceConfigFromEnv(env: Record<string, string | undefined>): ResolvedConfig {
  const config: Record<string, string> = {};
  for (const [key, name] of Object.entries(ENV_NAMES)) {
    const value = env[name]?.trim();
    if (value) config[key] = value;
  }
  if (config.privateKey) config.privateKey = config.privateKey.replace(/\\n/g, '\n');
  if (!config.privateKey && config.privateKeyFile) {
    try {
      config.privateKey = readFileSync(config.privateKeyFile, 'utf8');
    } catch (error) {
      throw new ConfigError(`names a file that cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
        setting: ENV_NAMES.privateKeyFile,
        cause: error,
      });
    }
  }
  delete config.privateKeyFile;
  return parseSalesforceConfig(config, { names: ENV_NAMES });
}
