import { type EmulatorOptions, type SalesforceEmulator, startSalesforceEmulator } from '@kicksaw/sf-emulator';
import { Connection } from 'jsforce';
import type { IngestOptions } from '../src/index.js';

for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[name];

/** Fast polling and retries for tests (no real waiting). */
export const FAST = {
  pollIntervalMs: 5,
  maxPollIntervalMs: 20,
  http: { maxRetries: 8, retryDelayMs: 2 },
} as const;

export const ITEM_OBJECT = {
  name: 'Item__c',
  fields: [
    { name: 'Name', type: 'string' as const },
    { name: 'Ext__c', type: 'string' as const, externalId: true, unique: true },
    { name: 'Qty__c', type: 'double' as const, precision: 18, scale: 2 },
    { name: 'Active__c', type: 'boolean' as const },
    { name: 'Note__c', type: 'textarea' as const, length: 32000 },
    { name: 'Required__c', type: 'string' as const, required: true },
  ],
};

export async function startOrg(options: EmulatorOptions = {}): Promise<SalesforceEmulator> {
  return startSalesforceEmulator({ objects: [ITEM_OBJECT], ...options });
}

/** A jsforce connection that can renew its session (password login by SOAP). */
export async function loginConnection(sf: SalesforceEmulator): Promise<Connection> {
  const conn = new Connection({ loginUrl: sf.loginUrl, version: sf.apiVersion });
  await conn.login(sf.username, sf.password);
  return conn;
}

export function tokenConnection(sf: SalesforceEmulator): Connection {
  return new Connection({ instanceUrl: sf.instanceUrl, accessToken: sf.accessToken, version: sf.apiVersion });
}

/** Options of a Bulk API insert of `Item__c` records with fast polling; `extra` adds or overrides options. */
export function bulkItems(
  connection: IngestOptions['connection'],
  records: IngestOptions['records'],
  extra: Partial<IngestOptions> = {},
): IngestOptions {
  return { connection, object: 'Item__c', operation: 'insert', records, api: 'bulk', ...FAST, ...extra };
}
