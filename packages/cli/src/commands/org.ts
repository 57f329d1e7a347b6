import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import type { ResolvedConfig } from '@kicksaw/sf-bulk';
import { type Command, Option } from 'commander';
import { action, example, type RunState } from '../command-kit.js';
import { type ConfigFile, type SecretsFile, type StoredOrg, saveSecrets, saveUserConfig } from '../config.js';
import type { CommandContext } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { table } from '../output.js';
import { explainSalesforceError, httpRetry, nearest, openConnection, type ResolvedOrg } from '../salesforce.js';

interface LoginOptions {
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

/** Who the connection is: the identity URL the API lists, read with jsforce's retries (tunable for tests). */
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

/** The browser login (OAuth web server flow with PKCE): a local callback server receives the code. */
async function webLogin(ctx: CommandContext, o: LoginOptions, loginUrl: string) {
  const port = Number(o.callbackPort);
  const redirectUri = `http://localhost:${port}/OauthRedirect`;
  const { OAuth2 } = await import('jsforce');
  const oauth2 = new OAuth2({ loginUrl, clientId: o.clientId as string, redirectUri });
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('hex');
  const url = oauth2.getAuthorizationUrl({
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  } as never);
  const code = await new Promise<string>((resolveCode, reject) => {
    const server = createServer((req, res) => {
      const query = new URL(req.url ?? '/', redirectUri).searchParams;
      if (!req.url?.startsWith('/OauthRedirect')) {
        res.writeHead(404).end();
        return;
      }
      const finish = (status: number, text: string) => {
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end(text);
        server.close();
        server.closeAllConnections();
      };
      if (query.get('state') !== state) {
        finish(400, 'kicksaw: the login answer does not belong to this login (state mismatch).');
        reject(new CliError('The browser login answered with a wrong state', { code: 'LOGIN_STATE_MISMATCH' }));
        return;
      }
      const received = query.get('code');
      if (!received) {
        finish(400, `kicksaw: login failed: ${query.get('error_description') ?? query.get('error') ?? 'no code'}`);
        reject(
          new CliError(`The browser login failed: ${query.get('error_description') ?? 'no code'}`, {
            code: 'LOGIN_FAILED',
          }),
        );
        return;
      }
      finish(200, 'kicksaw: logged in. You can close this tab.');
      resolveCode(received);
    });
    server.once('error', (error) =>
      reject(
        new CliError(
          `Cannot listen on ${redirectUri} for the login answer (${(error as NodeJS.ErrnoException).code})`,
          {
            code: 'CALLBACK_PORT_BUSY',
            hint: 'Pass another --callback-port (the connected app must list that callback URL).',
          },
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => {
      ctx.out.note(`Open this address to log in (waiting for the answer on ${redirectUri}):\n${url}`);
      if (o.browser && ctx.io.stderr.isTTY) openBrowser(url);
    });
    ctx.signal.addEventListener('abort', () => {
      server.close();
      reject(new CliError('Login cancelled', { code: 'CANCELLED' }));
    });
  });
  const token = await oauth2.requestToken(code, { code_verifier: verifier } as never);
  return { instanceUrl: token.instance_url, refreshToken: token.refresh_token as string | undefined };
}

function openBrowser(url: string): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  import('node:child_process').then(({ spawn }) => {
    const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  });
}

async function login(ctx: CommandContext, o: LoginOptions): Promise<number> {
  if (!/^[\w.@-]+$/.test(o.alias)) throw new UsageError(`--alias "${o.alias}" may hold letters, digits, _ . @ - only`);
  const settings: Record<string, string> = {};
  const stored: StoredOrg = {};
  let modeName: ResolvedConfig['mode'];
  const loginUrl = o.loginUrl?.replace(/\/+$/, '');
  if (o.jwtKeyFile) {
    if (!o.clientId || !o.username)
      throw new UsageError('A JWT login needs --jwt-key-file, --client-id and --username');
    modeName = 'jwt';
    const { readFile } = await import('node:fs/promises');
    const keyFile = resolve(ctx.io.cwd, o.jwtKeyFile);
    settings.privateKey = await readFile(keyFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new CliError(`Cannot read --jwt-key-file ${keyFile} (${error.code})`, { code: 'KEY_FILE_UNREADABLE' });
    });
    Object.assign(settings, { clientId: o.clientId, username: o.username }, loginUrl ? { loginUrl } : {});
    Object.assign(
      stored,
      { clientId: o.clientId, username: o.username, privateKeyFile: keyFile },
      loginUrl ? { loginUrl } : {},
    );
  } else if (o.username) {
    modeName = 'password';
    const pw = await secret(ctx, o.password, 'SF_PASSWORD', `Password of ${o.username}`);
    if (!pw) throw new UsageError('A password login needs --password (or SF_PASSWORD, or a terminal to type it in)');
    Object.assign(settings, { username: o.username, password: pw });
    if (o.securityToken) settings.securityToken = o.securityToken;
    if (loginUrl) settings.loginUrl = loginUrl;
    if (o.clientId) settings.clientId = o.clientId;
    if (o.clientSecret) settings.clientSecret = o.clientSecret;
    Object.assign(
      stored,
      { username: o.username },
      loginUrl ? { loginUrl } : {},
      o.clientId ? { clientId: o.clientId } : {},
    );
  } else if (o.instanceUrl) {
    modeName = 'accessToken';
    const token = await secret(ctx, o.accessToken, 'SF_ACCESS_TOKEN', 'Access token');
    if (!token) throw new UsageError('An access-token login needs --access-token (or SF_ACCESS_TOKEN)');
    Object.assign(settings, { instanceUrl: o.instanceUrl.replace(/\/+$/, ''), accessToken: token });
    stored.instanceUrl = settings.instanceUrl;
  } else if (loginUrl && o.clientId && o.clientSecret) {
    modeName = 'clientCredentials';
    Object.assign(settings, { loginUrl, clientId: o.clientId, clientSecret: o.clientSecret });
    Object.assign(stored, { loginUrl, clientId: o.clientId });
  } else if (loginUrl && o.clientId) {
    modeName = 'refreshToken';
    const web = await webLogin(ctx, o, loginUrl);
    if (!web.refreshToken) {
      throw new CliError('The login gave no refresh token', {
        code: 'NO_REFRESH_TOKEN',
        hint: 'Give the connected app the "refresh_token, offline_access" OAuth scope.',
      });
    }
    Object.assign(settings, {
      instanceUrl: web.instanceUrl,
      loginUrl,
      clientId: o.clientId,
      refreshToken: web.refreshToken,
    });
    Object.assign(stored, { instanceUrl: web.instanceUrl, loginUrl, clientId: o.clientId });
  } else {
    throw new UsageError('Say how to log in', {
      hint: 'Give --instance-url and --access-token; or --username and --password; or --jwt-key-file, --client-id and --username; or --login-url and --client-id (with --client-secret: client credentials; without: a browser login). See `kicksaw org login --help`.',
    });
  }
  if (o.apiVersion) {
    settings.apiVersion = o.apiVersion;
    stored.apiVersion = o.apiVersion;
  }
  const { parseSalesforceConfig } = await import('@kicksaw/sf-bulk');
  let config: ResolvedConfig;
  try {
    config = parseSalesforceConfig(settings, {
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
  const org: ResolvedOrg = { name: o.alias, source: 'user', config, overriddenBy: [] };
  const who = await whoAmI(ctx, org);
  stored.mode = modeName;

  const loaded = await ctx.config();
  const user: ConfigFile = structuredClone(loaded.user);
  user.orgs = { ...(user.orgs ?? {}), [o.alias]: stored };
  const makeDefault = o.setDefault ?? !loaded.defaultOrg;
  if (makeDefault) user.defaultOrg = o.alias;
  const secrets: SecretsFile = structuredClone(loaded.secrets);
  const orgSecrets: Record<string, string> = {};
  for (const key of ['accessToken', 'password', 'securityToken', 'clientSecret', 'refreshToken'] as const) {
    if (settings[key]) orgSecrets[key] = settings[key];
  }
  secrets.orgs = { ...(secrets.orgs ?? {}) };
  if (Object.keys(orgSecrets).length) secrets.orgs[o.alias] = orgSecrets;
  else delete secrets.orgs[o.alias];
  await saveSecrets(loaded.paths, secrets);
  await saveUserConfig(loaded.paths, user);
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

function describeOrg(org: StoredOrg): string {
  return org.instanceUrl ?? org.loginUrl ?? '';
}

/** `kicksaw org ...` */
export function registerOrg(program: Command, state: RunState): void {
  const org = program.command('org').description('Log in to Salesforce orgs and manage the stored logins');
  example(
    org
      .command('login')
      .description('Log in to an org and store the login under an alias (secrets go to a mode-0600 file)')
      .requiredOption('--alias <name>', 'the name to store the login under')
      .option('--instance-url <url>', 'with --access-token: the instance URL of a session you hold')
      .option('--access-token <token>', 'a session id / access token (or SF_ACCESS_TOKEN, or typed in)')
      .option('--login-url <url>', 'login / My Domain URL (client credentials, browser login, JWT audience, password)')
      .option('--client-id <id>', "a connected app's consumer key")
      .option(
        '--client-secret <secret>',
        "the connected app's secret (with --login-url and --client-id: client credentials)",
      )
      .option('--username <user>', 'for a password or JWT login')
      .option('--password <password>', 'for a password login (or SF_PASSWORD, or typed in)')
      .option('--security-token <token>', 'appended to the password')
      .option('--jwt-key-file <file>', 'PEM private key of the JWT bearer flow (the file path is stored, not the key)')
      .option('--api-version <version>', 'API version, e.g. 62.0')
      .option('--callback-port <port>', 'browser login: the local port of the callback', '1717')
      .option('--no-browser', 'browser login: print the address, do not open a browser')
      .addOption(new Option('--set-default', 'make it the default org (the first login always is)'))
      .action(action<LoginOptions>(state, (ctx, _args, o) => login(ctx, o))),
    'kicksaw org login --alias prod --instance-url https://acme.my.salesforce.com --access-token "$TOKEN"',
    'kicksaw org login --alias ci --login-url https://acme.my.salesforce.com --client-id "$ID" --username ci@acme.com --jwt-key-file server.key',
    'kicksaw org login --alias dev --login-url https://acme--dev.sandbox.my.salesforce.com --client-id "$ID"   # browser',
  );

  example(
    org
      .command('list')
      .description('List the stored orgs (never their secrets)')
      .action(
        action(state, async (ctx) => {
          const config = await ctx.config();
          const orgs = [...config.orgs].map(([alias, { org: o, source }]) => ({
            alias,
            mode: o.mode ?? null,
            instanceUrl: o.instanceUrl ?? null,
            loginUrl: o.loginUrl ?? null,
            username: o.username ?? null,
            source,
            default: alias === config.defaultOrg,
          }));
          ctx.out.result({ ok: true, command: 'org list', defaultOrg: config.defaultOrg ?? null, orgs }, () =>
            orgs.length
              ? table(
                  ['', 'alias', 'mode', 'url', 'username', 'from'],
                  orgs.map((o) => [
                    o.default ? '*' : '',
                    o.alias,
                    o.mode,
                    describeOrg(config.orgs.get(o.alias)?.org ?? {}),
                    o.username,
                    o.source,
                  ]),
                )
              : 'No org stored yet. Log in with `kicksaw org login --alias NAME ...`.',
          );
          return 0;
        }),
      ),
    'kicksaw org list --json',
  );

  example(
    org
      .command('default')
      .description('Set the default org (stored or known to the Salesforce CLI)')
      .argument('<name>', 'the alias')
      .action(
        action(state, async (ctx, [name]) => {
          const config = await ctx.config();
          if (!config.orgs.has(name as string)) await ctx.org(name); // an sf CLI alias is fine; anything else fails here
          const user = structuredClone(config.user);
          user.defaultOrg = name;
          await saveUserConfig(config.paths, user);
          if (config.project.defaultOrg && config.project.defaultOrg !== name) {
            ctx.out.warn(
              `${config.paths.project} sets defaultOrg = "${config.project.defaultOrg}", which wins in this project.`,
            );
          }
          ctx.out.result(
            { ok: true, command: 'org default', defaultOrg: name },
            () => `The default org is now "${name}".`,
          );
          return 0;
        }),
      ),
    'kicksaw org default prod',
  );

  example(
    org
      .command('remove')
      .description('Forget a stored org and its secrets')
      .argument('<name>', 'the alias')
      .action(
        action(state, async (ctx, [name]) => {
          const config = await ctx.config();
          const alias = name as string;
          if (!config.user.orgs?.[alias]) {
            const known = Object.keys(config.user.orgs ?? {});
            throw new CliError(`No stored org named "${alias}"`, {
              code: 'ORG_UNKNOWN',
              hint:
                config.orgs.get(alias)?.source === 'project'
                  ? `It is defined in ${config.paths.project}: edit that file.`
                  : known.length
                    ? `Stored orgs: ${known.join(', ')}${nearest(alias, known)}.`
                    : 'No org is stored.',
            });
          }
          const user = structuredClone(config.user);
          delete user.orgs?.[alias];
          const wasDefault = user.defaultOrg === alias;
          if (wasDefault) delete user.defaultOrg;
          const secrets = structuredClone(config.secrets);
          delete secrets.orgs?.[alias];
          await saveSecrets(config.paths, secrets);
          await saveUserConfig(config.paths, user);
          ctx.out.result(
            { ok: true, command: 'org remove', removed: alias, wasDefault },
            () =>
              `Removed "${alias}"${wasDefault ? ' (it was the default org: set another with `kicksaw org default NAME`)' : ''}.`,
          );
          return 0;
        }),
      ),
    'kicksaw org remove old-sandbox',
  );

  example(
    org
      .command('test')
      .description('Log in and ask the org who we are')
      .argument('[name]', 'the alias (default: --org, else the default org)')
      .action(
        action(state, async (ctx, [name]) => {
          const resolved = await ctx.org(name ?? ctx.flags.org);
          const who = await whoAmI(ctx, resolved);
          const document = {
            ok: true,
            command: 'org test',
            alias: resolved.name ?? null,
            source: resolved.source,
            mode: resolved.config.mode,
            instanceUrl: who.instanceUrl,
            username: who.username,
            orgId: who.orgId,
            userId: who.userId,
            apiVersion: who.apiVersion,
            overriddenBy: resolved.overriddenBy,
          };
          ctx.out.result(
            document,
            () =>
              `${resolved.name ? `"${resolved.name}"` : 'The org from SF_* variables'} works: ${who.username} at ${who.instanceUrl} (org ${who.orgId}, ${resolved.config.mode}, API ${who.apiVersion}).`,
          );
          return 0;
        }),
      ),
    'kicksaw org test prod',
  );
}
