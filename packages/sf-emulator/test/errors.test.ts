import { KicksawError } from '@kicksaw/core';
import { describe, expect, it } from 'vitest';
import { ApiError, FormulaSyntaxError, OrgError, RawError, UnresolvedReference } from '../src/errors.js';
import { createOrg, OrgError as PublicOrgError } from '../src/index.js';
import { ApiError as HttpApiError, RawError as HttpRawError } from '../src/server/http.js';

describe('errors', () => {
  it('an org call that fails as a whole throws an OrgError that is a KicksawError with the Salesforce code', () => {
    const org = createOrg();
    let thrown: unknown;
    try {
      org.query('SELECT Nope__c FROM Account');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(OrgError);
    expect(thrown).toBeInstanceOf(KicksawError);
    const error = thrown as OrgError;
    expect(error.code).toBe('INVALID_FIELD');
    expect(error.errorCode).toBe('INVALID_FIELD');
    expect(error.status).toBe(400);
    expect(error.name).toBe('OrgError');
    expect(error.message).toContain('Nope__c');
  });

  it('keeps the classes where they were imported from, each a KicksawError with a code', () => {
    expect(PublicOrgError).toBe(OrgError);
    expect(HttpApiError).toBe(ApiError);
    expect(HttpRawError).toBe(RawError);
    const api = new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist', ['Id']);
    expect(api).toBeInstanceOf(KicksawError);
    expect([api.code, api.status, api.fields, api.name]).toEqual(['NOT_FOUND', 404, ['Id'], 'ApiError']);
    const raw = new RawError(400, '{"error":"invalid_grant"}');
    expect([raw.code, raw.status, raw.body, raw.contentType, raw.name]).toEqual([
      'SF_EMULATOR_RAW_RESPONSE',
      400,
      '{"error":"invalid_grant"}',
      'application/json;charset=UTF-8',
      'RawError',
    ]);
    expect(new FormulaSyntaxError('unterminated string').code).toBe('FORMULA_SYNTAX');
    expect(new UnresolvedReference('@{a.id}')).toBeInstanceOf(KicksawError);
    expect(new UnresolvedReference('@{a.id}').code).toBe('COMPOSITE_REFERENCE_UNRESOLVED');
  });
});
