import { createSign } from 'node:crypto';
import { KicksawError, type Logger, redactString, silentLogger } from '@kicksaw/core';
import { Connection } from 'jsforce';
import {
  DEFAULT_API_VERSION,
  parseSalesforceConfig,
  type ResolvedConfig,
  type SalesforceConfig,
  salesforceConfigFromEnv,
} from './config.js';

const DEFAULT_LOGIN_URL = 'https://login.salesforce.com';

/**
 * Options of {@link connect}.
 *
 * @example
 * ```ts
 * await connect(config, { maxLoginAttempts: 5, retryDelayMs: 1000, logger });
 * ```
 */
export interface ConnectOptions {
  /** Where login attempts and retries are logged (never with secrets). Default: silent. */
  logger?: Logger;
  /** Login attempts on SERVER_UNAVAILABLE, HTTP 5xx and network errors. Default 4. */
  maxLoginAttempts?: number;
  /** First backoff delay in ms, doubled each attempt. Default 500. */
  retryDelayMs?: number;
}

/**
 * A login or token request failed. The message is free of secrets.
 *
 * @example
 * ```ts
 * await connect(config).catch((error) => {
 *   if (error instanceof SalesforceAuthError) console.error(error.message); // no secrets inside
 * });
 * ```
 */
export class SalesforceAuthError extends KicksawError {
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(redactString(message), { code: options.code ?? 'SF_AUTH_FAILED', cause: options.cause });
  }
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
  const e = error as { name?: string; message?: string; code?: string; cause?: { code?: string } };
  const text = `${e?.name ?? ''} ${e?.message ?? ''}`;
  if (/SERVER_UNAVAILABLE|ERROR_HTTP_5\d\d|\b50[0234]\b|Service Unavailable|fetch failed|socket hang up/i.test(text)) {
    return true;
  }
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'string' && TRANSIENT_CODES.has(code);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

type TokenResponse = { access_token: string; instance_url: string };

async function grant(conn: Connection, params: Record<string, string>): Promise<TokenResponse> {
  // authorize() stores the token, instance URL and user info on the connection.
  await conn.authorize(params as { grant_type: string });
  return { access_token: conn.accessToken ?? '', instance_url: conn.instanceUrl };
}

function grantParams(config: ResolvedConfig, loginUrl: string): Record<string, string> {
  if (config.mode === 'jwt') {
    const assertion = signJwtAssertion({
      clientId: config.clientId,
      username: config.username,
      audience: loginUrl.replace(/\/+$/, ''),
      privateKey: config.privateKey,
    });
    return { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion };
  }
  return { grant_type: 'client_credentials' };
}

/**
 * Opens a jsforce `Connection` for any of the five auth modes of {@link SalesforceConfig}, validated
 * first (a `ConfigError` names the missing setting). Logins are retried with backoff on
 * SERVER_UNAVAILABLE, HTTP 5xx and network errors. Every mode but a bare access token can renew an
 * expired session mid-run: jsforce calls back into the same login.
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
  const maxAttempts = Math.max(1, options.maxLoginAttempts ?? 4);
  const delay = options.retryDelayMs ?? 500;
  const version = resolved.apiVersion ?? DEFAULT_API_VERSION;

  const attempt = async (): Promise<Connection> => {
    switch (resolved.mode) {
      case 'accessToken':
        return new Connection({
          instanceUrl: stripSlash(resolved.instanceUrl),
          accessToken: resolved.accessToken,
          version,
        });
      case 'refreshToken': {
        const conn = new Connection({
          instanceUrl: stripSlash(resolved.instanceUrl),
          refreshToken: resolved.refreshToken,
          version,
          oauth2: {
            loginUrl: stripSlash(resolved.loginUrl ?? resolved.instanceUrl),
            clientId: resolved.clientId,
            ...(resolved.clientSecret ? { clientSecret: resolved.clientSecret } : {}),
            redirectUri: 'http://localhost:1717/OauthRedirect',
          },
        });
        // Fetch a first access token now, so a bad refresh token fails here and not mid-run.
        const res = await conn.oauth2.refreshToken(resolved.refreshToken);
        conn.accessToken = res.access_token;
        conn.instanceUrl = stripSlash(res.instance_url || resolved.instanceUrl);
        return conn;
      }
      case 'password': {
        const loginUrl = stripSlash(resolved.loginUrl ?? DEFAULT_LOGIN_URL);
        const conn = new Connection({
          loginUrl,
          version,
          ...(resolved.clientId
            ? {
                oauth2: {
                  loginUrl,
                  clientId: resolved.clientId,
                  clientSecret: resolved.clientSecret ?? '',
                  redirectUri: 'http://localhost:1717/OauthRedirect',
                },
              }
            : {}),
        });
        await conn.login(resolved.username, `${resolved.password}${resolved.securityToken ?? ''}`);
        return conn;
      }
      case 'clientCredentials':
      case 'jwt': {
        const loginUrl = stripSlash(resolved.loginUrl ?? DEFAULT_LOGIN_URL);
        const conn: Connection = new Connection({
          loginUrl,
          version,
          oauth2: {
            loginUrl,
            clientId: resolved.clientId,
            ...(resolved.mode === 'clientCredentials' ? { clientSecret: resolved.clientSecret } : {}),
          },
          // Renew an expired session by running the same grant again (there is no refresh token).
          refreshFn: (c, callback) => {
            grant(c, grantParams(resolved, loginUrl)).then(
              (res) => callback(null, res.access_token, res as never),
              (error: Error) => callback(error),
            );
          },
        });
        await grant(conn, grantParams(resolved, loginUrl));
        return conn;
      }
    }
  };

  for (let n = 1; ; n++) {
    try {
      const conn = await attempt();
      logger.debug('Salesforce connection ready', { mode: resolved.mode, instanceUrl: conn.instanceUrl });
      return conn;
    } catch (error) {
      if (error instanceof KicksawError) throw error;
      const message = redactString(
        `${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`,
      );
      if (n < maxAttempts && isTransientLoginError(error)) {
        logger.warn('Salesforce login failed, retrying', { attempt: n, mode: resolved.mode, error: message });
        await sleep(delay * 2 ** (n - 1));
        continue;
      }
      throw new SalesforceAuthError(`Salesforce login (${resolved.mode}) failed after ${n} attempt(s): ${message}`, {
        code: 'SF_LOGIN_FAILED',
        cause: { name: (error as Error)?.name, message },
      });
    }
  }
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
