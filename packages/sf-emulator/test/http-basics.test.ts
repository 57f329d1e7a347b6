import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SalesforceEmulator } from '../src/index.js';
import { api, raw, startEmulator } from './http-support.js';

let sf: SalesforceEmulator;
beforeAll(async () => {
  sf = await startEmulator();
});
afterAll(async () => {
  await sf.stop();
});

describe('HTTP basics', () => {
  it('binds 127.0.0.1 on a free port and hands out a token of the shape sf accepts', () => {
    expect(sf.instanceUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sf.loginUrl).toBe(sf.instanceUrl);
    expect(sf.accessToken).toMatch(/^(00D\w{12,15})![.\w]*$/);
    expect(sf.accessToken.slice(0, 15)).toBe(sf.orgId.slice(0, 15));
    expect(sf.orgId).toMatch(/^00D\w{15}$/);
    expect(sf.userId).toMatch(/^005\w{15}$/);
  });

  it('lists versions and resources, and collapses double slashes', async () => {
    const versions = (await raw(sf, 'GET', '/services/data', { token: null })).json() as Array<Record<string, string>>;
    expect(versions.at(-1)).toEqual({ label: "Winter '25", url: '/services/data/v62.0', version: '62.0' });
    const resources = await raw(sf, 'GET', `//services/data/v${sf.apiVersion}/`);
    expect(resources.status).toBe(200);
    expect((resources.json() as Record<string, string>).sobjects).toBe('/services/data/v62.0/sobjects');
  });

  it('answers unknown paths with 404 NOT_FOUND JSON', async () => {
    const response = await raw(sf, 'GET', api(sf, '/nothing/here'));
    expect(response.status).toBe(404);
    expect(response.json()).toEqual([{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }]);
    expect((await raw(sf, 'GET', '/what')).status).toBe(404);
  });

  it('needs a valid session on API calls, in any of the three header forms', async () => {
    const none = await raw(sf, 'GET', api(sf, '/limits'), { token: null });
    expect(none.status).toBe(401);
    expect(none.json()).toEqual([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    expect((await raw(sf, 'GET', api(sf, '/limits'), { token: `${sf.orgId.slice(0, 15)}!nope` })).status).toBe(401);
    const oauth = await raw(sf, 'GET', api(sf, '/limits'), {
      token: null,
      headers: { Authorization: `OAuth ${sf.accessToken}` },
    });
    expect(oauth.status).toBe(200);
    const session = await raw(sf, 'GET', api(sf, '/limits'), {
      token: null,
      headers: { 'X-SFDC-Session': sf.accessToken },
    });
    expect(session.status).toBe(200);
    expect(session.headers.get('sforce-limit-info')).toMatch(/^api-usage=\d+\/15000000$/);
    const limits = session.json() as Record<string, { Max: number; Remaining: number }>;
    expect(limits.DailyApiRequests?.Max).toBeGreaterThan(0);
  });

  it('answers malformed JSON with 400 JSON_PARSER_ERROR and leaves the org unchanged', async () => {
    const before = sf.org.records('Account').length;
    const response = await raw(sf, 'POST', api(sf, '/sobjects/Account'), { body: '{"Name": "Acme",' });
    expect(response.status).toBe(400);
    expect((response.json() as Array<{ errorCode: string }>)[0]?.errorCode).toBe('JSON_PARSER_ERROR');
    expect(sf.org.records('Account').length).toBe(before);
  });

  it('answers a wrong method with 405 and an unknown object with 404', async () => {
    expect((await raw(sf, 'PUT', api(sf, '/sobjects/Account'), { body: '{}' })).status).toBe(405);
    const unknown = await raw(sf, 'GET', api(sf, '/sobjects/Nope__c/describe'));
    expect(unknown.status).toBe(404);
    expect((unknown.json() as Array<{ errorCode: string }>)[0]?.errorCode).toBe('NOT_FOUND');
  });

  it('answers SOQL errors with 400 and the org error code', async () => {
    const response = await raw(sf, 'GET', api(sf, `/query?q=${encodeURIComponent('SELECT Nope FROM Account')}`));
    expect(response.status).toBe(400);
    expect((response.json() as Array<{ errorCode: string }>)[0]?.errorCode).toBe('INVALID_FIELD');
    const syntax = await raw(sf, 'GET', api(sf, `/query?q=${encodeURIComponent('SELEKT Id FROM')}`));
    expect(syntax.status).toBe(400);
    expect((syntax.json() as Array<{ errorCode: string }>)[0]?.errorCode).toBe('MALFORMED_QUERY');
  });

  it('survives garbage: binary bodies, huge ids, bad percent-encoding', async () => {
    const garbage = await raw(sf, 'POST', api(sf, '/composite/sobjects'), { body: new Uint8Array([0xff, 0, 1, 2]) });
    expect(garbage.status).toBe(400);
    expect((await raw(sf, 'GET', api(sf, `/sobjects/Account/${'x'.repeat(5000)}`))).status).toBe(404);
    const bad = await raw(sf, 'GET', api(sf, '/sobjects/Account/%E0%A4%A'));
    expect(bad.status).toBe(404);
    expect((await raw(sf, 'GET', api(sf, '/limits'))).status).toBe(200);
  });
});
