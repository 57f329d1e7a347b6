import { resolve } from 'node:path';
import type { ResolvedConfig } from '@kicksaw/sf-bulk';
import type { StoredOrg } from '../config.js';
import { SECRET_KEYS, storeEntry } from '../config.js';
import type { CommandContext } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { explainSalesforceError, httpRetry, openConnection, type ResolvedOrg } from '../salesforce.js';
import { webLogin } from './org-web-login.js';

// `kicksaw org login`: which login the options ask for, the secrets it needs (options, SF_* variables or a
// prompt), a check of who the login is, and storing it (settings and secrets in separate files).

/** The options of `kicksaw org login`. */
export interface LoginOptions {
  alias: string;
  instanceUrl?: string;
  accessToken?: string;
  loginUrl?: string;
  clientId?: string;
  clientSecret?: string;
  username?: string;
  password?: string;
  securityToken?: string;
  jwtKeyFile?: string;
  apiVersion?: string;
  callbackPort: string;
  browser: boolean;
  setDefault?: boolean;
}

export /** Who the connection is: the identity URL the API lists, read with jsforce's retries (tunable for tests). */
async function whoAmI(ctx: CommandContext, org: ResolvedOrg) {
  const conn = await openConnection(org, ctx.out, ctx.env);
  const options = { retry: httpRetry(ctx.env) } as never;
  try {
    const resources = (await conn.request({ method: 'GET', url: `/services/data/v${conn.version}/` }, options)) as {
      identity?: string;
    };
    const identity = (await conn.request(
      { method: 'GET', url: resources.identity ?? '/services/oauth2/userinfo' },
      options,
    )) as { username?: string; preferred_username?: string; organization_id: string; user_id: string };
    return {
      instanceUrl: conn.instanceUrl,
      username: identity.username ?? identity.preferred_username ?? '',
      orgId: identity.organization_id,
      userId: identity.user_id,
      apiVersion: conn.version,
    };
  } catch (error) {
    throw explainSalesforceError(error, org);
  }
}

/** A secret: given, from the environment, or typed in at a terminal (never with --json). */
async function secret(
  ctx: CommandContext,
  given: string | undefined,
  envName: string,
  label: string,
): Promise<string | undefined> {
  if (given) return given;
  const fromEnv = ctx.env[envName]?.trim();
  if (fromEnv) return fromEnv;
  if (ctx.io.stdin.isTTY && ctx.io.stderr.isTTY && !ctx.flags.json) {
    const { isCancel, password: promptPassword } = await import('@clack/prompts');
    const value = await promptPassword({ message: label, output: ctx.io.stderr as NodeJS.WriteStream });
    if (isCancel(value)) throw new CliError('Login cancelled', { code: 'CANCELLED' });
    return value;
  }
  return undefined;
}

/** What a login is made of: the settings to log in with, what of them is stored (no secrets), and the mode. */
interface LoginSettings {
  settings: Record<string, string>;
  stored: StoredOrg;
  modeName: ResolvedConfig['mode'];
}

/** The login the options ask for (the first that fits: JWT, password, access token, client credentials, browser). */
async function loginSettings(ctx: CommandContext, o: LoginOptions): Promise<LoginSettings> {
  const loginUrl = o.loginUrl?.replace(/\/+$/, '');
  let login: LoginSettings;
  if (o.jwtKeyFile) login = await jwtLogin(ctx, o, o.jwtKeyFile, loginUrl);
  else if (o.username) login = await passwordLogin(ctx, o, o.username, loginUrl);
  else if (o.instanceUrl) {
    const token = await secret(ctx, o.accessToken, 'SF_ACCESS_TOKEN', 'Access token');
    if (!token) throw new UsageError('An access-token login needs --access-token (or SF_ACCESS_TOKEN)');
    const instanceUrl = o.instanceUrl.replace(/\/+$/, '');
    login = { modeName: 'accessToken', settings: { instanceUrl, accessToken: token }, stored: { instanceUrl } };
  } else if (loginUrl && o.clientId && o.clientSecret) {
    login = {
      modeName: 'clientCredentials',
      settings: { loginUrl, clientId: o.clientId, clientSecret: o.clientSecret },
      stored: { loginUrl, clientId: o.clientId },
    };
  } else if (loginUrl && o.clientId) login = await browserLogin(ctx, o, o.clientId, loginUrl);
  else {
    throw new UsageError('Say how to log in', {
      hint: 'Give --instance-url and --access-token; or --username and --password; or --jwt-key-file, --client-id and --username; or --login-url and --client-id (with --client-secret: client credentials; without: a browser login). See `kicksaw org login --help`.',
    });
  }
  if (o.apiVersion) {
    login.settings.apiVersion = o.apiVersion;
    login.stored.apiVersion = o.apiVersion;
  }
  return login;
}

/** A JWT login: the private key read from `--jwt-key-file`, whose path (not the key) is stored. */
async function jwtLogin(
  ctx: CommandContext,
  o: LoginOptions,
  jwtKeyFile: string,
  loginUrl: string | undefined,
): Promise<LoginSettings> {
  if (!o.clientId || !o.username) throw new UsageError('A JWT login needs --jwt-key-file, --client-id and --username');
  const { readFile } = await import('node:fs/promises');
  const keyFile = resolve(ctx.io.cwd, jwtKeyFile);
  const privateKey = await readFile(keyFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`Cannot read --jwt-key-file ${keyFile} (${error.code})`, { code: 'KEY_FILE_UNREADABLE' });
  });
  const settings: Record<string, string> = { privateKey };
  Object.assign(settings, { clientId: o.clientId, username: o.username }, loginUrl ? { loginUrl } : {});
  const stored: StoredOrg = {};
  Object.assign(
    stored,
    { clientId: o.clientId, username: o.username, privateKeyFile: keyFile },
    loginUrl ? { loginUrl } : {},
  );
  return { settings, stored, modeName: 'jwt' };
}

/** A username-password login: the password from `--password`, SF_PASSWORD or the terminal; never stored. */
async function passwordLogin(
  ctx: CommandContext,
  o: LoginOptions,
  username: string,
  loginUrl: string | undefined,
): Promise<LoginSettings> {
  const pw = await secret(ctx, o.password, 'SF_PASSWORD', `Password of ${username}`);
  if (!pw) throw new UsageError('A password login needs --password (or SF_PASSWORD, or a terminal to type it in)');
  const settings: Record<string, string> = { username, password: pw };
  if (o.securityToken) settings.securityToken = o.securityToken;
  if (loginUrl) settings.loginUrl = loginUrl;
  if (o.clientId) settings.clientId = o.clientId;
  if (o.clientSecret) settings.clientSecret = o.clientSecret;
  const stored: StoredOrg = {};
  Object.assign(stored, { username }, loginUrl ? { loginUrl } : {}, o.clientId ? { clientId: o.clientId } : {});
  return { settings, stored, modeName: 'password' };
}

/** A browser login (web server flow): its refresh token is what later runs log in with. */
async function browserLogin(
  ctx: CommandContext,
  o: LoginOptions,
  clientId: string,
  loginUrl: string,
): Promise<LoginSettings> {
  const web = await webLogin(ctx, o, loginUrl);
  if (!web.refreshToken) {
    throw new CliError('The login gave no refresh token', {
      code: 'NO_REFRESH_TOKEN',
      hint: 'Give the connected app the "refresh_token, offline_access" OAuth scope.',
    });
  }
  return {
    modeName: 'refreshToken',
    settings: { instanceUrl: web.instanceUrl, loginUrl, clientId, refreshToken: web.refreshToken },
    stored: { instanceUrl: web.instanceUrl, loginUrl, clientId },
  };
}

/** The settings as sf-bulk's config, checked there; a problem names the option to fix. */
async function checkedConfig(settings: Record<string, string>): Promise<ResolvedConfig> {
  const { parseSalesforceConfig } = await import('@kicksaw/sf-bulk');
  try {
    return parseSalesforceConfig(settings, {
      names: {
        instanceUrl: '--instance-url',
        accessToken: '--access-token',
        loginUrl: '--login-url',
        username: '--username',
        password: '--password',
        clientId: '--client-id',
        clientSecret: '--client-secret',
        privateKey: '--jwt-key-file',
        apiVersion: '--api-version',
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** `kicksaw org login`: logs in, checks who the login is, and stores it (secrets apart, in a mode-0600 file). */
export async function login(ctx: CommandContext, o: LoginOptions): Promise<number> {
  if (!/^[\w.@-]+$/.test(o.alias)) throw new UsageError(`--alias "${o.alias}" may hold letters, digits, _ . @ - only`);
  const { settings, stored, modeName } = await loginSettings(ctx, o);
  const config = await checkedConfig(settings);
  const org: ResolvedOrg = { name: o.alias, source: 'user', config, overriddenBy: [] };
  const who = await whoAmI(ctx, org);
  stored.mode = modeName;

  const loaded = await ctx.config();
  const makeDefault = o.setDefault ?? !loaded.defaultOrg;
  const orgSecrets: Record<string, string> = {};
  for (const key of SECRET_KEYS) {
    if (settings[key]) orgSecrets[key] = settings[key];
  }
  await storeEntry(loaded, 'orgs', o.alias, stored, { secrets: orgSecrets, makeDefault });
  const document = {
    ok: true,
    command: 'org login',
    alias: o.alias,
    mode: modeName,
    instanceUrl: who.instanceUrl,
    username: who.username,
    orgId: who.orgId,
    default: makeDefault,
    configFile: loaded.paths.userConfig,
    secretsFile: loaded.paths.secrets,
  };
  ctx.out.result(document, () =>
    [
      `Logged in to ${who.instanceUrl} as ${who.username} (${modeName}); stored as "${o.alias}"${makeDefault ? ', the default org' : ''}.`,
      `Settings: ${loaded.paths.userConfig}; secrets: ${loaded.paths.secrets} (mode 0600).`,
    ].join('\n'),
  );
  return 0;
}
