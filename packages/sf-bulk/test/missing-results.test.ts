import { createServer, request, type Server } from 'node:http';
import type { SalesforceEmulator } from '@kicksaw/sf-emulator';
import { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestAll } from '../src/index.js';
import { bulkItems, startOrg } from './helpers.js';

/**
 * A real HTTP proxy in front of the emulator that tampers with successfulResults: it drops the last
 * result row, or changes a value in it, as a broken or normalizing server might.
 */
let sf: SalesforceEmulator;
let proxy: Server;
let mode: 'drop' | 'alter' | 'none' = 'none';
let proxyUrl = '';

beforeAll(async () => {
  sf = await startOrg();
  const target = new URL(sf.instanceUrl);
  proxy = createServer((req, res) => {
    const upstream = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        if (!req.url?.endsWith('/successfulResults') || mode === 'none') {
          res.writeHead(answer.statusCode ?? 500, answer.headers);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const lines = Buffer.concat(chunks).toString('utf8').split('\n');
          const last = lines.findLastIndex((line) => line.length > 0);
          if (mode === 'drop') lines.splice(last, 1);
          else lines[last] = (lines[last] as string).replace(/mr-\d+/, 'someone-else');
          const body = lines.join('\n');
          const { 'content-length': _length, ...headers } = answer.headers;
          res.writeHead(answer.statusCode ?? 200, headers);
          res.end(body);
        });
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => proxy?.close(resolve));
  await sf?.stop();
});

const records = Array.from({ length: 40 }, (_, i) => ({
  Name: `mr-${i + 1}`,
  Required__c: 'r',
  Note__c: `note ${i + 1}`,
}));

/** Inserts the records through the tampering proxy in the given mode. */
function ingestThroughProxy(tamper: typeof mode) {
  mode = tamper;
  const conn = new Connection({ instanceUrl: proxyUrl, accessToken: sf.accessToken, version: sf.apiVersion });
  return ingestAll(bulkItems(conn, records));
}

describe('rows missing from every result set', () => {
  it('become unprocessed with a reason and the record as sent', async () => {
    const { outcomes, summary } = await ingestThroughProxy('drop');
    expect(summary).toMatchObject({ input: 40, succeeded: 39, unprocessed: 1, unmatchedResults: 0 });
    const missing = outcomes.find((o) => o.status === 'unprocessed');
    expect(missing?.errors[0]?.statusCode).toBe('KICKSAW_RESULT_MISSING');
    expect(missing?.record).toEqual({ Name: `mr-${missing?.row}`, Required__c: 'r', Note__c: `note ${missing?.row}` });
    expect(missing?.attempts).toBe(1);
  });

  it('counts result rows that match no sent row and says the row may have been processed', async () => {
    const { outcomes, summary } = await ingestThroughProxy('alter');
    expect(summary).toMatchObject({ input: 40, succeeded: 39, unprocessed: 1, unmatchedResults: 1 });
    const missing = outcomes.find((o) => o.status === 'unprocessed');
    expect(missing?.errors[0]?.message).toMatch(/1 result row\(s\) matched no sent row, so it may have been processed/);
    mode = 'none';
  });
});
