import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@kicksaw/core';
import { describe, expect, it } from 'vitest';
import { connect, connectFromEnv, parseSalesforceConfig, salesforceConfigFromEnv } from '../src/index.js';

const TOKEN = '00D000000000001!AQ4AQsecretsecret';

describe('parseSalesforceConfig', () => {
  it('recognises the five auth modes', () => {
    expect(parseSalesforceConfig({ instanceUrl: 'https://a.my.salesforce.com', accessToken: TOKEN }).mode).toBe(
      'accessToken',
    );
    expect(parseSalesforceConfig({ username: 'u@x.com', password: 'p', securityToken: 't' }).mode).toBe('password');
    expect(
      parseSalesforceConfig({ loginUrl: 'https://a.my.salesforce.com', clientId: 'id', clientSecret: 's' }).mode,
    ).toBe('clientCredentials');
    expect(parseSalesforceConfig({ username: 'u@x.com', clientId: 'id', privateKey: 'PEM' }).mode).toBe('jwt');
    expect(
      parseSalesforceConfig({ instanceUrl: 'https://a.my.salesforce.com', refreshToken: 'r', clientId: 'id' }).mode,
    ).toBe('refreshToken');
  });

  it('names the missing setting', () => {
    const error = (() => {
      try {
        parseSalesforceConfig({ instanceUrl: 'https://a.my.salesforce.com' });
      } catch (e) {
        return e;
      }
    })() as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.setting).toBe('accessToken');
    expect(error.message).toContain('accessToken is required');
    expect(() => parseSalesforceConfig({ loginUrl: 'https://a.my.salesforce.com', clientId: 'id' })).toThrow(
      /Setting clientSecret is required/,
    );
    expect(() => parseSalesforceConfig({})).toThrow(ConfigError);
    expect(() => parseSalesforceConfig({ username: 'u', password: 'p', clientId: 'id' })).toThrow(/clientSecret/);
  });

  it('rejects bad values without echoing secrets', () => {
    try {
      parseSalesforceConfig({ instanceUrl: 'not a url', accessToken: TOKEN });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).setting).toBe('instanceUrl');
      expect((error as Error).message).not.toContain(TOKEN);
    }
    expect(() => parseSalesforceConfig({ instanceUrl: 'https://x.com', accessToken: 't', apiVersion: 'v62' })).toThrow(
      /apiVersion is invalid/,
    );
  });
});

describe('environment', () => {
  it('reads SF_* variables and names them in errors', () => {
    const config = salesforceConfigFromEnv({
      SF_INSTANCE_URL: 'https://a.my.salesforce.com',
      SF_ACCESS_TOKEN: TOKEN,
      SF_API_VERSION: '61.0',
    });
    expect(config).toMatchObject({ mode: 'accessToken', apiVersion: '61.0' });
    expect(() => salesforceConfigFromEnv({ SF_USERNAME: 'u@x.com' })).toThrow(/Setting SF_PASSWORD is required/);
    expect(() => salesforceConfigFromEnv({})).toThrow(/SF_INSTANCE_URL/);
  });

  it('reads the JWT key from SF_PRIVATE_KEY_FILE or unescapes SF_PRIVATE_KEY', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sf-bulk-'));
    const path = join(dir, 'key.pem');
    writeFileSync(path, '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n');
    const fromFile = salesforceConfigFromEnv({ SF_USERNAME: 'u@x.com', SF_CLIENT_ID: 'id', SF_PRIVATE_KEY_FILE: path });
    expect(fromFile.mode).toBe('jwt');
    expect((fromFile as { privateKey: string }).privateKey).toContain('\nabc\n');
    const inline = salesforceConfigFromEnv({ SF_USERNAME: 'u@x.com', SF_CLIENT_ID: 'id', SF_PRIVATE_KEY: 'a\\nb' });
    expect((inline as { privateKey: string }).privateKey).toBe('a\nb');
    expect(() =>
      salesforceConfigFromEnv({ SF_USERNAME: 'u', SF_CLIENT_ID: 'id', SF_PRIVATE_KEY_FILE: join(dir, 'missing.pem') }),
    ).toThrow(/SF_PRIVATE_KEY_FILE names a file that cannot be read/);
  });

  it('connectFromEnv validates before any network call', async () => {
    await expect(connectFromEnv({ SF_LOGIN_URL: 'https://login.salesforce.com' })).rejects.toThrow(ConfigError);
    await expect(connect({ username: 'u@x.com' } as never)).rejects.toThrow(/password is required/);
  });
});
