import { createSign } from 'node:crypto';
import { KicksawError, type Logger, redactString, silentLogger } from '@kicksaw/core';
import type { Connection } from 'jsforce';
import {
  DEFAULT_API_VERSION,
  parseSalesforceConfig,
  type ResolvedConfig,
  type SalesforceConfig,
  salesforceConfigFromEnv,
} from './config.js';
import { SalesforceAuthError, TransportError } from './errors.js';
import { type LoginSession, soapLogin, tokenRequest } from './login.js';
import { retryCall } from './retry.js';
import { setTransportSettings, type TransportSettings } from './transport.js';

const DEFAULT_LOGIN_URL = 'https://login.salesforce.com';

/**
 * Options of {@link connect}.
 *
 * @example
 * ```ts
 * await connect(config, { maxLoginAttempts: 5, retryDelayMs: 1000, logger, proxy: 'http://proxy.example:3128' });
 * ```
 */
export interface ConnectOptions {
  /** Where login attempts and retries are logged (never with secrets). Default: silent. */
  logger?: Logger;
  /** Login attempts on SERVER_UNAVAILABLE, HTTP 5xx and network errors. Default 4. */
  maxLoginAttempts?: number;
  /** First backoff delay in ms, doubled each attempt. Default 500. */
  retryDelayMs?: number;
  /**
   * A proxy URL (`http://proxy.example:3128`) for the login and every call the package makes with this
   * connection. Without it, `HTTPS_PROXY` / `HTTP_PROXY` and `NO_PROXY` apply.
   */
  proxy?: string;
}

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * True for errors worth another login attempt: SERVER_UNAVAILABLE, HTTP 5xx, network failures.
 *
 * @example
 * ```ts
 * isTransientLoginError(Object.assign(new Error('down'), { name: 'SERVER_UNAVAILABLE' })); // true
 * ```
 */
export function isTransientLoginError(error: unknown): boolean {
  if (error instanceof TransportError) return true;
  const e = error as { name?: string; message?: string; code?: string; cause?: { code?: string } };
  const text = `${e?.name ?? ''} ${e?.message ?? ''}`;
  if (/SERVER_UNAVAILABLE|ERROR_HTTP_5\d\d|\b50[0234]\b|Service Unavailable|fetch failed|socket hang up/i.test(text)) {
    return true;
  }
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'string' && TRANSIENT_CODES.has(code);
}

/**
 * Signs a JWT bearer assertion (RS256) for the OAuth JWT flow with node:crypto.
 *
 * @example
 * ```ts
 * const assertion = signJwtAssertion({ clientId: '3MVG…', username: 'me@acme.com', audience: 'https://login.salesforce.com', privateKey: pem });
 * ```
 */
export function signJwtAssertion(input: {
  clientId: string;
  username: string;
  audience: string;
  privateKey: string;
  expiresInSeconds?: number;
  now?: Date;
}): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const nowSeconds = Math.floor((input.now ?? new Date()).getTime() / 1000);
  const header = encode({ alg: 'RS256', typ: 'JWT' });
  const claims = encode({
    iss: input.clientId,
    sub: input.username,
    aud: input.audience,
    exp: nowSeconds + (input.expiresInSeconds ?? 180),
  });
  let signature: string;
  try {
    signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(input.privateKey, 'base64url');
  } catch (error) {
    throw new SalesforceAuthError('The JWT private key cannot sign (is it a PEM RSA private key?)', {
      code: 'SF_JWT_KEY_INVALID',
      cause: { name: (error as Error).name, code: (error as { code?: string }).code },
    });
  }
  return `${header}.${claims}.${signature}`;
}

function grantParams(config: ResolvedConfig, loginUrl: string): Record<string, string> {
  if (config.mode === 'jwt') {
    const assertion = signJwtAssertion({
      clientId: config.clientId,
      username: config.username,
      audience: loginUrl.replace(/\/+$/, ''),
      privateKey: config.privateKey,
    });
    return { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion, client_id: config.clientId };
  }
  if (config.mode === 'clientCredentials') {
    return { grant_type: 'client_credentials', client_id: config.clientId, client_secret: config.clientSecret };
  }
  return { grant_type: 'client_credentials' };
}

/**
 * Opens a jsforce `Connection` for any of the five auth modes of {@link SalesforceConfig}, validated
 * first (a `ConfigError` names the missing setting). Logins go over the package's transport (a proxy from
 * `options.proxy` or `HTTPS_PROXY` / `NO_PROXY` applies) and are retried with backoff on
 * SERVER_UNAVAILABLE, HTTP 5xx and network errors (the retry loop of every call). Every mode but a bare
 * access token can renew an expired session mid-run: jsforce calls back into the same login.
 *
 * @example
 * ```ts
 * const conn = await connect({ loginUrl: 'https://acme.my.salesforce.com', clientId: id, clientSecret: secret });
 * const conn2 = await connect({ instanceUrl: 'https://acme.my.salesforce.com', accessToken: token });
 * ```
 */
export async function connect(
  config: SalesforceConfig | ResolvedConfig,
  options: ConnectOptions = {},
): Promise<Connection> {
  const resolved = 'mode' in config ? (config as ResolvedConfig) : parseSalesforceConfig(config);
  const logger = options.logger ?? silentLogger;
  const version = resolved.apiVersion ?? DEFAULT_API_VERSION;
  const transport: TransportSettings = options.proxy ? { proxy: options.proxy } : {};
  const login = () => loginOnce(resolved, version, transport);
  // jsforce is loaded here, on the first connect, not when the package is imported: a process that is given a plain
  // SalesforceConnection never loads it (about 15 MB before the first row and 0.3-0.4 s of start-up).
  const { Connection: JsforceConnection } = await import('jsforce');

  let attempts = 0;
  try {
    const conn = await retryCall(
      { maxRetries: Math.max(1, options.maxLoginAttempts ?? 4) - 1, retryDelayMs: options.retryDelayMs ?? 500 },
      async (n) => {
        attempts = n;
        return makeConnection(JsforceConnection, resolved, version, transport, await login(), login);
      },
      loginVerdict,
      (error, retry) => {
        logger.warn('Salesforce login failed, retrying', {
          attempt: retry,
          mode: resolved.mode,
          error: loginMessage(error),
        });
      },
    );
    logger.debug('Salesforce connection ready', { mode: resolved.mode, instanceUrl: conn.instanceUrl });
    return conn;
  } catch (error) {
    if (error instanceof KicksawError && !(error instanceof TransportError)) throw error;
    const message = loginMessage(error);
    throw new SalesforceAuthError(
      `Salesforce login (${resolved.mode}) failed after ${attempts} attempt(s): ${message}`,
      {
        code: 'SF_LOGIN_FAILED',
        cause: { name: (error as Error)?.name, message },
      },
    );
  }
}

/** Whether a failed login is retried: a package error (other than the transport's) is final. */
function loginVerdict(error: unknown): 'retry' | 'fail' {
  if (!(error instanceof TransportError) && error instanceof KicksawError) return 'fail';
  return isTransientLoginError(error) ? 'retry' : 'fail';
}

/** One login: a session from the login URL, over the package's transport. */
async function loginOnce(
  resolved: ResolvedConfig,
  version: string,
  transport: TransportSettings,
): Promise<LoginSession> {
  switch (resolved.mode) {
    case 'accessToken':
      return { accessToken: resolved.accessToken, instanceUrl: stripSlash(resolved.instanceUrl) };
    case 'refreshToken': {
      const session = await tokenRequest(
        stripSlash(resolved.loginUrl ?? resolved.instanceUrl),
        {
          grant_type: 'refresh_token',
          refresh_token: resolved.refreshToken,
          client_id: resolved.clientId,
          ...(resolved.clientSecret ? { client_secret: resolved.clientSecret } : {}),
        },
        transport,
      );
      return { ...session, instanceUrl: stripSlash(session.instanceUrl || resolved.instanceUrl) };
    }
    case 'password': {
      const loginUrl = stripSlash(resolved.loginUrl ?? DEFAULT_LOGIN_URL);
      const password = `${resolved.password}${resolved.securityToken ?? ''}`;
      // As jsforce's `login`: the OAuth username-password flow when the app's secret is known, else SOAP.
      if (resolved.clientId && resolved.clientSecret) {
        return tokenRequest(
          loginUrl,
          {
            grant_type: 'password',
            username: resolved.username,
            password,
            client_id: resolved.clientId,
            client_secret: resolved.clientSecret,
          },
          transport,
        );
      }
      return soapLogin({ loginUrl, version, username: resolved.username, password }, transport);
    }
    case 'clientCredentials':
    case 'jwt': {
      const loginUrl = stripSlash(resolved.loginUrl ?? DEFAULT_LOGIN_URL);
      return tokenRequest(loginUrl, grantParams(resolved, loginUrl), transport);
    }
  }
}

/** A jsforce `Connection` on a session; `login` renews an expired session the same way. */
function makeConnection(
  JsforceConnection: typeof Connection,
  resolved: ResolvedConfig,
  version: string,
  transport: TransportSettings,
  session: LoginSession,
  login: () => Promise<LoginSession>,
): Connection {
  const loginUrl = 'loginUrl' in resolved && resolved.loginUrl ? stripSlash(resolved.loginUrl) : undefined;
  const clientId = 'clientId' in resolved ? resolved.clientId : undefined;
  const clientSecret = 'clientSecret' in resolved ? resolved.clientSecret : undefined;
  const conn = new JsforceConnection({
    instanceUrl: stripSlash(session.instanceUrl),
    accessToken: session.accessToken,
    version,
    ...(loginUrl ? { loginUrl } : {}),
    ...(resolved.mode === 'refreshToken' ? { refreshToken: resolved.refreshToken } : {}),
    ...(clientId
      ? {
          oauth2: {
            loginUrl: loginUrl ?? stripSlash(session.instanceUrl),
            clientId,
            ...(clientSecret ? { clientSecret } : {}),
            redirectUri: 'http://localhost:1717/OauthRedirect',
          },
        }
      : {}),
    // Renew an expired session by logging in the same way again (over the same transport).
    ...(resolved.mode === 'accessToken' ? {} : { refreshFn: renewWith(login) }),
  });
  if (session.userInfo) conn.userInfo = session.userInfo;
  setTransportSettings(conn, transport);
  return conn;
}

/** jsforce's `refreshFn`: a new login, whose instance URL and token the connection takes. */
function renewWith(login: () => Promise<LoginSession>) {
  return (c: Connection, callback: (error: Error | null, accessToken?: string, res?: never) => void) => {
    login().then(
      (renewed) => {
        c.instanceUrl = stripSlash(renewed.instanceUrl);
        callback(null, renewed.accessToken, renewed as never);
      },
      (error: Error) => callback(error),
    );
  };
}

/** A login error in one secret-free line. */
function loginMessage(error: unknown): string {
  return redactString(`${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`);
}

/**
 * {@link connect} with settings read from environment variables at the edge of an app (a Lambda
 * handler, a CLI): SF_INSTANCE_URL, SF_ACCESS_TOKEN, SF_LOGIN_URL, SF_USERNAME, SF_PASSWORD,
 * SF_SECURITY_TOKEN, SF_CLIENT_ID, SF_CLIENT_SECRET, SF_PRIVATE_KEY / SF_PRIVATE_KEY_FILE,
 * SF_REFRESH_TOKEN, SF_API_VERSION. A `ConfigError` names the missing variable.
 *
 * @example
 * ```ts
 * const conn = await connectFromEnv(); // process.env
 * ```
 */
export async function connectFromEnv(
  env: Record<string, string | undefined> = process.env,
  options: ConnectOptions = {},
): Promise<Connection> {
  return await connect(salesforceConfigFromEnv(env), options);
}

function stripSlash(value: string): string {
  return value.replace(/\/+$/, '');
}
