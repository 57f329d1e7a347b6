// Shared helpers of the HTTP tests: start an emulator with a small custom schema, connect real jsforce.
import { Connection } from 'jsforce';
import { afterAll, beforeAll } from 'vitest';
import type { EmulatorOptions, ObjectDefinition, SalesforceEmulator } from '../src/index.js';
import { startSalesforceEmulator } from '../src/index.js';

// jsforce routes through proxies and ignores NO_PROXY.
for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) {
  delete process.env[name];
}

/** A custom object with an external id, a parent lookup and a required field. */
export const WIDGET: ObjectDefinition = {
  name: 'Widget__c',
  label: 'Widget',
  fields: [
    { name: 'ExtId__c', type: 'string', length: 40, externalId: true, unique: true },
    { name: 'Code__c', type: 'string', length: 10, required: true },
    { name: 'Amount__c', type: 'double', precision: 18, scale: 2 },
    { name: 'Due__c', type: 'date' },
    { name: 'Account__c', type: 'reference', referenceTo: ['Account'], relationshipName: 'Account__r' },
    { name: 'Note__c', type: 'textarea', length: 1000 },
  ],
};

/** A non-unique external id (the 300 case of upsert). */
export const TAG: ObjectDefinition = {
  name: 'Tag__c',
  label: 'Tag',
  fields: [{ name: 'Key__c', type: 'string', length: 40, externalId: true }],
};

/** A child of Widget__c (relationship columns `Widget__r.ExtId__c`). */
export const PART: ObjectDefinition = {
  name: 'Part__c',
  label: 'Part',
  fields: [{ name: 'Widget__c', type: 'reference', referenceTo: ['Widget__c'], relationshipName: 'Widget__r' }],
};

export async function startEmulator(options: EmulatorOptions = {}): Promise<SalesforceEmulator> {
  return startSalesforceEmulator({ objects: [WIDGET, TAG, PART], resultOrder: 'input', ...options });
}

export function connect(sf: SalesforceEmulator): Connection {
  return new Connection({ instanceUrl: sf.instanceUrl, accessToken: sf.accessToken, version: sf.apiVersion });
}

/** The emulator of a test file and a real jsforce connection to it (set once `beforeAll` has run). */
export interface TestEmulator {
  sf: SalesforceEmulator;
  conn: Connection;
}

/** Starts an emulator (and connects jsforce) before the file's tests and stops it after them. */
export function useEmulator(options: EmulatorOptions = {}): TestEmulator {
  const env = {} as TestEmulator;
  beforeAll(async () => {
    env.sf = await startEmulator(options);
    env.conn = connect(env.sf);
  });
  afterAll(async () => {
    await env.sf?.stop();
  });
  return env;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json(): unknown;
}

/** A plain HTTP request to the emulator with the admin token (unless `token: null`). */
export async function raw(
  sf: SalesforceEmulator,
  method: string,
  path: string,
  options: { body?: string | Uint8Array; type?: string; token?: string | null; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  const token = options.token === undefined ? sf.accessToken : options.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['Content-Type'] = options.type ?? 'application/json';
  const response = await fetch(`${sf.instanceUrl}${path}`, { method, headers, body: options.body, redirect: 'manual' });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}

/** `/services/data/vXX.X` of an emulator. */
export function api(sf: SalesforceEmulator, rest: string): string {
  return `/services/data/v${sf.apiVersion}${rest}`;
}

/** Polls an ingest or query job until it leaves the working states. */
export async function waitForJob(
  sf: SalesforceEmulator,
  kind: 'ingest' | 'query',
  id: string,
): Promise<Record<string, unknown>> {
  for (let i = 0; i < 2000; i++) {
    const info = (await raw(sf, 'GET', api(sf, `/jobs/${kind}/${id}`))).json() as Record<string, unknown>;
    if (!['Open', 'UploadComplete', 'InProgress'].includes(String(info.state))) return info;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`job ${id} did not finish`);
}

/** Parses a results CSV (header + quoted rows, LF) into arrays. */
export function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let field = '';
  let row: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else if (c !== '\r') field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
