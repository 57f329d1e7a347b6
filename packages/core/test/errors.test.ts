import { describe, expect, it } from 'vitest';
import { AccountingError, ConfigError, describeLocation, InputError, KicksawError } from '../src/index.js';

describe('errors', () => {
  it('KicksawError carries code, cause and its class name', () => {
    const cause = new Error('socket hang up');
    const error = new KicksawError('Salesforce did not answer', { code: 'SF_UNAVAILABLE', cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('KicksawError');
    expect(error.code).toBe('SF_UNAVAILABLE');
    expect(error.cause).toBe(cause);
    expect(new KicksawError('x').code).toBe('KICKSAW_ERROR');
    expect('cause' in new KicksawError('x')).toBe(false);
  });

  it('subclasses set their own name and stay KicksawErrors', () => {
    class LoginError extends KicksawError {}
    const error = new LoginError('bad password');
    expect(error.name).toBe('LoginError');
    expect(error).toBeInstanceOf(KicksawError);
  });

  it('ConfigError names the setting and says how to fix it', () => {
    const error = new ConfigError('is required', {
      setting: 'SF_INSTANCE_URL',
      hint: 'Set it to your org URL, e.g. https://acme.my.salesforce.com.',
    });
    expect(error.message).toBe(
      'Setting SF_INSTANCE_URL is required. Set it to your org URL, e.g. https://acme.my.salesforce.com.',
    );
    expect(error.setting).toBe('SF_INSTANCE_URL');
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.name).toBe('ConfigError');
    expect(new ConfigError('must be a URL, got "abc"', { setting: 'instanceUrl' }).message).toBe(
      'Setting instanceUrl must be a URL, got "abc".',
    );
  });

  it('InputError says where the problem is', () => {
    const error = new InputError('Header has a duplicate column "Email"', {
      source: 's3://in/contacts.csv',
      line: 1,
      column: 4,
      field: 'Email',
      code: 'CSV_HEADER_DUPLICATE',
    });
    expect(error.message).toBe(
      'Header has a duplicate column "Email" (s3://in/contacts.csv, line 1, column 4, field "Email")',
    );
    expect(error.location).toEqual({ source: 's3://in/contacts.csv', line: 1, column: 4, field: 'Email' });
    expect(error.code).toBe('CSV_HEADER_DUPLICATE');
    expect(new InputError('Not an S3 event').message).toBe('Not an S3 event');
    expect(new InputError('x').code).toBe('INPUT_INVALID');
  });

  it('describeLocation keeps row 0 and line 0 rather than dropping them', () => {
    expect(describeLocation({ line: 0, row: 0 })).toBe('line 0, row 0');
    expect(describeLocation({})).toBe('');
  });

  it('AccountingError has its own code', () => {
    expect(new AccountingError('lost').code).toBe('ROWS_UNACCOUNTED');
  });
});
