import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
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

/**
 * RFC 4180 text to rows, written here (a few lines) so the check reads the bytes independently of the package's
 * own CSV reader.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

/**
 * A TCP proxy in front of the org that cuts the first `times` result downloads after 3,000 bytes of their
 * answer (the connection closes mid-body), and passes everything else through untouched.
 */
export async function cuttingProxy(
  target: URL,
  times: number,
): Promise<{ url: string; cuts(): number; close(): Promise<void> }> {
  let cuts = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    const upstream = tcpConnect({ host: target.hostname, port: Number(target.port) });
    sockets.add(upstream);
    let cutAfter: number | undefined;
    client.on('data', (chunk: Buffer) => {
      if (cuts < times && /^GET [^ ]*\/results/m.test(chunk.toString('latin1'))) {
        cuts++;
        cutAfter = 3000;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (cutAfter === undefined) {
        client.write(chunk);
        return;
      }
      client.write(chunk.subarray(0, cutAfter));
      cutAfter -= chunk.length;
      if (cutAfter <= 0) {
        client.destroy();
        upstream.destroy();
      }
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    cuts: () => cuts,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
