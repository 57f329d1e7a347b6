import { describe, expect, it } from 'vitest';
import { REDACTED, redact, redactString } from '../src/index.js';

const TOKEN =
  '00D5g000004ABCD!AQ4AQH0dMHZfz972Szmpkb58urFRkgeBGsxL_QJWwYMfAbUeeG7c1E6LYUfiDUkWe6H34r1AAwOR8B8fLEz6n04NPGRrq0FM';
const PEM = `-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun
VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK
-----END RSA PRIVATE KEY-----`;

describe('redactString', () => {
  it('masks Salesforce access tokens wherever they appear', () => {
    expect(redactString(`session ${TOKEN} expired`)).toBe(`session ${REDACTED} expired`);
    expect(redactString(`{"access_token":"${TOKEN}"}`)).not.toContain('AQ4AQH0d');
  });

  it('masks PEM private keys but says what was there', () => {
    const out = redactString(`key: ${PEM}\nnext line`);
    expect(out).not.toContain('MIIEowIBAAKCAQEA');
    expect(out).toContain('-----BEGIN RSA PRIVATE KEY-----[REDACTED]-----END RSA PRIVATE KEY-----');
    expect(out).toContain('next line');
    const truncated = redactString('-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC');
    expect(truncated).not.toContain('MIIEvQIBADAN');
  });

  it('masks Authorization headers, bearer credentials and password pairs', () => {
    expect(redactString('Authorization: Bearer abc.def.ghijkl')).toBe(`Authorization: ${REDACTED}`);
    expect(redactString('"authorization":"OAuth abcdefghijkl"')).toBe(`"authorization":"${REDACTED}"`);
    expect(redactString('sent Bearer eyJhbGciOiJSUzI1NiJ9 to server')).toBe(`sent Bearer ${REDACTED} to server`);
    expect(redactString('grant_type=password&username=a%40b.c&password=hunter2&client_secret=s3cr3t')).toBe(
      `grant_type=password&username=a%40b.c&password=${REDACTED}&client_secret=${REDACTED}`,
    );
    expect(redactString('<urn:password>hunter2</urn:password>')).toBe(`<urn:password>${REDACTED}</urn:password>`);
    expect(redactString('<sessionId>abc</sessionId>')).toBe(`<sessionId>${REDACTED}</sessionId>`);
  });

  it('masks AWS secret keys written as settings and credentials in URLs', () => {
    expect(redactString('aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')).toBe(
      `aws_secret_access_key = ${REDACTED}`,
    );
    expect(redactString('"secretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"')).toBe(
      `"secretAccessKey":"${REDACTED}"`,
    );
    expect(redactString('postgres://admin:pa55word@db.local:5432/x')).toBe(
      `postgres://admin:${REDACTED}@db.local:5432/x`,
    );
  });

  it('leaves ordinary text alone', () => {
    const text = 'Upserted 1,000 Contact rows into 00D org; job 750xx0000000001AAA closed.';
    expect(redactString(text)).toBe(text);
  });
});

describe('redact', () => {
  it('masks secret keys at any depth and secrets inside strings, without changing the input', () => {
    const input = {
      user: 'jane@example.com',
      salesforce: {
        auth: { password: 'hunter2', client_secret: 'abc', clientId: 'public-id', privateKey: PEM },
        headers: [{ Authorization: 'Bearer x' }, { 'X-Trace': 'ok' }],
        note: `token was ${TOKEN}`,
      },
      aws: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI' },
      count: 3,
      nothing: null,
    };
    const copy = structuredClone(input);
    const out = redact(input);
    expect(out).toEqual({
      user: 'jane@example.com',
      salesforce: {
        auth: { password: REDACTED, client_secret: REDACTED, clientId: 'public-id', privateKey: REDACTED },
        headers: [{ Authorization: REDACTED }, { 'X-Trace': 'ok' }],
        note: `token was ${REDACTED}`,
      },
      aws: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: REDACTED },
      count: 3,
      nothing: null,
    });
    expect(input).toEqual(copy);
  });

  it('turns errors into redacted plain objects, causes included', () => {
    const error = Object.assign(new Error(`login failed for password=hunter2`), { code: 'E_LOGIN' });
    const wrapped = new Error('connect failed', { cause: error });
    expect(redact({ error: wrapped })).toEqual({
      error: {
        name: 'Error',
        message: 'connect failed',
        cause: { name: 'Error', message: `login failed for password=${REDACTED}`, code: 'E_LOGIN' },
      },
    });
  });

  it('cuts cycles but keeps shared references', () => {
    const shared = { id: 1 };
    const node: Record<string, unknown> = { a: shared, b: shared };
    node.self = node;
    expect(redact(node)).toEqual({ a: { id: 1 }, b: { id: 1 }, self: '[Circular]' });
  });

  it('passes primitives, empty values and dates through', () => {
    const date = new Date(0);
    expect(redact(undefined)).toBeUndefined();
    expect(redact(42)).toBe(42);
    expect(redact({})).toEqual({});
    expect(redact([])).toEqual([]);
    expect(redact({ when: date }).when).toBe(date);
    expect(redact({ password: null })).toEqual({ password: null });
  });
});
