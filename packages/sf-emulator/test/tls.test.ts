import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get } from 'node:https';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SalesforceEmulator } from '../src/index.js';
import { startEmulator } from './http-support.js';

// A self-signed certificate for 127.0.0.1 and localhost, made for these tests only (valid until 2126).
const certPath = fileURLToPath(new URL('./fixtures/tls/cert.pem', import.meta.url));
const keyPath = fileURLToPath(new URL('./fixtures/tls/key.pem', import.meta.url));
const packageDir = fileURLToPath(new URL('..', import.meta.url));

let sf: SalesforceEmulator;
beforeAll(async () => {
  sf = await startEmulator({ tls: { cert: readFileSync(certPath), key: readFileSync(keyPath) } });
});
afterAll(async () => {
  await sf.stop();
});

function getJson(url: string, ca?: Buffer): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    get(url, ca ? { ca } : {}, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
      );
    }).on('error', reject);
  });
}

describe('HTTPS (tls option)', () => {
  it('serves its URLs over https, and a client that does not trust the certificate is refused', async () => {
    expect(sf.instanceUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(sf.loginUrl).toBe(sf.instanceUrl);
    const versions = await getJson(`${sf.instanceUrl}/services/data`, readFileSync(certPath));
    expect(versions.status).toBe(200);
    expect(versions.body).toEqual(expect.arrayContaining([expect.objectContaining({ version: sf.apiVersion })]));
    await expect(getJson(`${sf.instanceUrl}/services/data`)).rejects.toThrow(/self-signed|self signed/i);
  });

  it('real jsforce, trusting the certificate by NODE_EXTRA_CA_CERTS, logs in and reads its https identity', async () => {
    const script = `
      const { Connection } = await import('jsforce');
      const conn = new Connection({ loginUrl: process.env.SF_LOGIN_URL, version: process.env.SF_VERSION });
      const info = await conn.login(process.env.SF_USERNAME, process.env.SF_PASSWORD);
      const identity = await conn.identity();
      const accounts = await conn.query('SELECT Id FROM Account');
      console.log(JSON.stringify({ info, id: identity.user_id, url: conn.instanceUrl, total: accounts.totalSize }));
    `;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_EXTRA_CA_CERTS: certPath,
      SF_LOGIN_URL: sf.loginUrl,
      SF_VERSION: sf.apiVersion,
      SF_USERNAME: sf.username,
      SF_PASSWORD: sf.password,
    };
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: packageDir,
      env,
    });
    const out = JSON.parse(stdout.trim().split('\n').at(-1) as string);
    expect(out.url).toBe(sf.instanceUrl);
    expect(out.id).toBe(sf.userId);
    expect(out.info.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/id\//);
    expect(out.total).toBe(0);
  });
});
