import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:net';
import type { SalesforceEmulator } from '@kicksaw/sf-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, connectFromEnv, isTransientLoginError, SalesforceAuthError, signJwtAssertion } from '../src/index.js';
import { startOrg } from './helpers.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

let sf: SalesforceEmulator;
beforeAll(async () => {
  sf = await startOrg({ clientId: 'kicksaw-app', clientSecret: 'app-secret', jwtCertificate: publicKey });
});
afterAll(async () => {
  await sf?.stop();
});

async function whoAmI(conn: Awaited<ReturnType<typeof connect>>): Promise<number> {
  const result = await conn.query<{ Id: string }>('SELECT Id FROM User');
  return result.totalSize;
}

describe('connect', () => {
  it('connects with an access token', async () => {
    const conn = await connect({ instanceUrl: sf.instanceUrl, accessToken: sf.accessToken, apiVersion: '62.0' });
    expect(await whoAmI(conn)).toBeGreaterThan(0);
  });

  it('logs in with username and password by SOAP and by OAuth', async () => {
    const soap = await connect({ loginUrl: sf.loginUrl, username: sf.username, password: sf.password });
    expect(soap.accessToken).toMatch(/^00D/);
    expect(await whoAmI(soap)).toBeGreaterThan(0);
    const oauth = await connect({
      loginUrl: sf.loginUrl,
      username: sf.username,
      password: sf.password,
      clientId: 'kicksaw-app',
      clientSecret: 'app-secret',
    });
    expect(await whoAmI(oauth)).toBeGreaterThan(0);
  });

  it('uses client credentials against a My Domain URL', async () => {
    const conn = await connect({ loginUrl: sf.loginUrl, clientId: 'kicksaw-app', clientSecret: 'app-secret' });
    expect(conn.instanceUrl).toBe(sf.instanceUrl);
    expect(await whoAmI(conn)).toBeGreaterThan(0);
  });

  it('signs a JWT bearer assertion (RS256) and logs in with it', async () => {
    const assertion = signJwtAssertion({
      clientId: 'kicksaw-app',
      username: sf.username,
      audience: sf.loginUrl,
      privateKey,
    });
    const [header, claims] = assertion
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString() || '{}'));
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(claims).toMatchObject({ iss: 'kicksaw-app', sub: sf.username, aud: sf.loginUrl });
    const conn = await connect({ loginUrl: sf.loginUrl, username: sf.username, clientId: 'kicksaw-app', privateKey });
    expect(await whoAmI(conn)).toBeGreaterThan(0);
  });

  it('uses a refresh token, and reads every mode from SF_* variables', async () => {
    const conn = await connect({
      instanceUrl: sf.instanceUrl,
      refreshToken: sf.refreshToken,
      clientId: 'kicksaw-app',
      clientSecret: 'app-secret',
    });
    expect(conn.accessToken).toMatch(/^00D/);
    expect(await whoAmI(conn)).toBeGreaterThan(0);
    const fromEnv = await connectFromEnv({
      SF_LOGIN_URL: sf.loginUrl,
      SF_USERNAME: sf.username,
      SF_CLIENT_ID: 'kicksaw-app',
      SF_PRIVATE_KEY: privateKey.replace(/\n/g, '\\n'),
    });
    expect(await whoAmI(fromEnv)).toBeGreaterThan(0);
  });

  it('renews an expired session for JWT and client-credentials connections', async () => {
    const conn = await connect({ loginUrl: sf.loginUrl, clientId: 'kicksaw-app', clientSecret: 'app-secret' });
    const first = conn.accessToken;
    sf.faults.set({ sessionExpiry: { afterRequests: 2 } });
    try {
      for (let i = 0; i < 4; i++) expect(await whoAmI(conn)).toBeGreaterThan(0);
    } finally {
      sf.faults.reset();
    }
    expect(conn.accessToken).not.toBe(first);
  });

  it('fails a bad password without echoing it', async () => {
    const attempt = connect({
      loginUrl: sf.loginUrl,
      username: sf.username,
      password: 'hunter2-wrong',
      securityToken: 'TOK123',
    });
    await expect(attempt).rejects.toThrow(SalesforceAuthError);
    const error = (await attempt.catch((e: unknown) => e)) as Error;
    expect(error.message).not.toContain('hunter2-wrong');
    expect(error.message).not.toContain('TOK123');
    expect(JSON.stringify(error.cause)).not.toContain('hunter2-wrong');
  });

  it('knows which login errors are worth retrying', () => {
    expect(isTransientLoginError(Object.assign(new Error('server down'), { name: 'SERVER_UNAVAILABLE' }))).toBe(true);
    expect(isTransientLoginError(new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } }))).toBe(true);
    expect(isTransientLoginError(Object.assign(new Error('bad'), { name: 'invalid_grant' }))).toBe(false);
    expect(isTransientLoginError(new Error('INVALID_LOGIN: Invalid username, password, security token'))).toBe(false);
  });

  it('retries logins on network errors with backoff, then gives up clearly', async () => {
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const warnings: unknown[] = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (_m: string, c?: unknown) => warnings.push(c) };
    try {
      await expect(
        connect(
          { loginUrl: `http://127.0.0.1:${port}`, clientId: 'kicksaw-app', clientSecret: 'app-secret' },
          { logger, maxLoginAttempts: 3, retryDelayMs: 1 },
        ),
      ).rejects.toThrow(/failed after 3 attempt/);
      expect(warnings).toHaveLength(2);
      expect(JSON.stringify(warnings)).not.toContain('app-secret');
    } finally {
      server.close();
    }
  });
});
