import { createSign, generateKeyPairSync } from 'node:crypto';
import { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SalesforceEmulator } from '../src/index.js';
import { raw, startEmulator } from './http-support.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

function jwt(payload: Record<string, unknown>, key = privateKey): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${part({ alg: 'RS256' })}.${part(payload)}`;
  const signature = createSign('RSA-SHA256').update(body).sign(key).toString('base64url');
  return `${body}.${signature}`;
}

let sf: SalesforceEmulator;
beforeAll(async () => {
  sf = await startEmulator({
    clientId: 'my-client',
    clientSecret: 'my-secret',
    jwtCertificate: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  });
});
afterAll(async () => {
  await sf.stop();
});

describe('login with real jsforce', () => {
  it('logs in by SOAP (login() without a client id) and runs a query', async () => {
    const conn = new Connection({ loginUrl: sf.loginUrl, version: sf.apiVersion });
    const info = await conn.login(sf.username, sf.password);
    expect(info).toMatchObject({ id: sf.userId, organizationId: sf.orgId });
    expect(conn.instanceUrl).toBe(sf.instanceUrl);
    expect(conn.accessToken).toMatch(/^00D\w{12,15}!/);
    const result = await conn.query('SELECT Id, Username FROM User');
    expect(result.records.some((u) => u.Id === sf.userId)).toBe(true);
    await conn.logout();
    await expect(conn.query('SELECT Id FROM User')).rejects.toThrow();
  });

  it('rejects a wrong SOAP password with the faultstring', async () => {
    const conn = new Connection({ loginUrl: sf.loginUrl, version: sf.apiVersion });
    await expect(conn.login(sf.username, 'wrong')).rejects.toThrow(/INVALID_LOGIN/);
  });

  it('logs in by OAuth password flow and reads identity and userinfo', async () => {
    const conn = new Connection({
      oauth2: { loginUrl: sf.loginUrl, clientId: 'my-client', clientSecret: 'my-secret' },
      version: sf.apiVersion,
    });
    const info = await conn.login(sf.username, sf.password);
    expect(info.organizationId).toBe(sf.orgId);
    const identity = await conn.identity();
    expect(identity).toMatchObject({ user_id: sf.userId, organization_id: sf.orgId, username: sf.username });
    const userinfo = (await conn.request('/services/oauth2/userinfo')) as Record<string, unknown>;
    expect(userinfo).toMatchObject({ user_id: sf.userId, organization_id: sf.orgId, preferred_username: sf.username });
  });

  it('answers OAuth errors with 400 {error, error_description}', async () => {
    const form = (fields: Record<string, string>) => ({
      body: new URLSearchParams(fields).toString(),
      type: 'application/x-www-form-urlencoded',
      token: null,
    });
    const bad = await raw(
      sf,
      'POST',
      '/services/oauth2/token',
      form({ grant_type: 'password', client_id: 'my-client', username: sf.username, password: 'x' }),
    );
    expect(bad.status).toBe(400);
    expect(bad.json()).toEqual({ error: 'invalid_grant', error_description: 'authentication failure' });
    const client = await raw(
      sf,
      'POST',
      '/services/oauth2/token',
      form({ grant_type: 'password', client_id: 'other', username: sf.username, password: sf.password }),
    );
    expect(client.json()).toMatchObject({ error: 'invalid_client_id' });
    const grant = await raw(sf, 'POST', '/services/oauth2/token', form({ grant_type: 'magic' }));
    expect(grant.json()).toMatchObject({ error: 'unsupported_grant_type' });
  });

  it('issues tokens for client credentials with the right secret only', async () => {
    const ok = await raw(sf, 'POST', '/services/oauth2/token', {
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'my-client',
        client_secret: 'my-secret',
      }).toString(),
      type: 'application/x-www-form-urlencoded',
      token: null,
    });
    const body = ok.json() as Record<string, string>;
    expect(body).toMatchObject({
      instance_url: sf.instanceUrl,
      token_type: 'Bearer',
      id: `${sf.loginUrl}/id/${sf.orgId}/${sf.userId}`,
    });
    expect(body.signature).toBeTruthy();
    expect(body.issued_at).toMatch(/^\d+$/);
    expect((await raw(sf, 'GET', `/services/data/v${sf.apiVersion}/limits`, { token: body.access_token })).status).toBe(
      200,
    );
    const wrong = await raw(sf, 'POST', '/services/oauth2/token', {
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'my-client',
        client_secret: 'nope',
      }).toString(),
      type: 'application/x-www-form-urlencoded',
      token: null,
    });
    expect(wrong.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('verifies JWT bearer assertions: signature, issuer, audience, expiry', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: 'my-client', sub: sf.username, aud: sf.loginUrl, exp: now + 300 };
    const conn = new Connection({ oauth2: { loginUrl: sf.loginUrl, clientId: 'my-client' }, version: sf.apiVersion });
    await conn.authorize({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: jwt(claims) });
    expect(conn.instanceUrl).toBe(sf.instanceUrl);
    expect((await conn.query('SELECT Id FROM User')).totalSize).toBeGreaterThan(0);
    for (const [assertion, pattern] of [
      [jwt(claims, otherKey), /signature/],
      [jwt({ ...claims, exp: now - 10 }), /expired/],
      [jwt({ ...claims, aud: 'https://example.com' }), /audience/],
      [jwt({ ...claims, iss: 'someone-else' }), /client identifier/],
      [jwt({ ...claims, sub: 'nobody@example.com' }), /approved/],
    ] as const) {
      const other = new Connection({
        oauth2: { loginUrl: sf.loginUrl, clientId: 'my-client' },
        version: sf.apiVersion,
      });
      await expect(
        other.authorize({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
      ).rejects.toThrow(pattern);
    }
  });

  it('refreshes an invalid session with a refresh token and retries the call', async () => {
    const conn = new Connection({
      oauth2: { loginUrl: sf.loginUrl, clientId: 'my-client', clientSecret: 'my-secret' },
      instanceUrl: sf.instanceUrl,
      accessToken: `${sf.orgId.slice(0, 15)}!expired`,
      refreshToken: sf.refreshToken,
      version: sf.apiVersion,
    });
    let refreshed = 0;
    conn.on('refresh', () => refreshed++);
    const result = await conn.query('SELECT Id FROM User');
    expect(result.totalSize).toBeGreaterThan(0);
    expect(refreshed).toBe(1);
    expect(conn.accessToken).not.toContain('expired');
  });

  it('runs the web server flow: authorize redirects with a code, the code buys a refresh token', async () => {
    const redirect = await raw(
      sf,
      'GET',
      '/services/oauth2/authorize?response_type=code&client_id=my-client&redirect_uri=http%3A%2F%2Flocalhost%2Fcb&state=s1',
      { token: null },
    );
    expect(redirect.status).toBe(302);
    const location = new URL(redirect.headers.get('location') as string);
    expect(location.searchParams.get('state')).toBe('s1');
    const conn = new Connection({
      oauth2: {
        loginUrl: sf.loginUrl,
        clientId: 'my-client',
        clientSecret: 'my-secret',
        redirectUri: 'http://localhost/cb',
      },
      version: sf.apiVersion,
    });
    await conn.authorize(location.searchParams.get('code') as string);
    expect(conn.refreshToken).toBeTruthy();
    expect((await conn.query('SELECT Id FROM User')).totalSize).toBeGreaterThan(0);
  });
});
