import { readFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, connect as netConnect, type Socket } from 'node:net';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import type { SalesforceEmulator } from '@kicksaw/sf-emulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, ingestAll, query } from '../src/index.js';
import { FAST, startOrg } from './helpers.js';

// A forward proxy on 127.0.0.1 written for these tests: it relays absolute-form requests (what a
// client sends an HTTP proxy for an http:// target) and CONNECT tunnels, and records each relayed
// request as "METHOD /path". `cut` can break the answer of one chosen request mid-body.

interface TestProxy {
  url: string;
  relayed: string[];
  tunnels: number;
  /** Cuts the body of the next answer whose request (path and query) matches, after this many bytes of it. */
  cutNext(match: RegExp, afterBytes: number): void;
  cuts: number;
  close(): Promise<void>;
}

async function startProxy(): Promise<TestProxy> {
  const sockets = new Set<Socket>();
  const pendingCuts: Array<{ match: RegExp; afterBytes: number }> = [];
  const state = { relayed: [] as string[], tunnels: 0, cuts: 0 };
  const server: Server = createServer((req: IncomingMessage, res) => {
    const target = new URL(req.url ?? '');
    const line = `${req.method} ${target.pathname}`;
    state.relayed.push(line);
    const at = pendingCuts.findIndex((c) => c.match.test(`${line}${target.search}`));
    const cutThis = at >= 0 ? pendingCuts.splice(at, 1)[0] : undefined;
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: target.pathname + target.search, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (!cutThis) {
          answer.pipe(res);
          return;
        }
        let sent = 0;
        answer.on('data', (piece: Buffer) => {
          if (sent >= cutThis.afterBytes) return;
          const take = piece.subarray(0, cutThis.afterBytes - sent);
          sent += take.length;
          res.write(take);
          if (sent >= cutThis.afterBytes) {
            state.cuts++;
            answer.destroy();
            res.socket?.destroy();
          }
        });
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    state.tunnels++;
    const [host, port] = (req.url ?? '').split(':');
    const upstream = netConnect(Number(port), host as string, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get relayed() {
      return state.relayed;
    },
    get tunnels() {
      return state.tunnels;
    },
    get cuts() {
      return state.cuts;
    },
    cutNext(match, afterBytes) {
      pendingCuts.push({ match, afterBytes });
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const PROXY_VARIABLES = ['http_proxy', 'https_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY'];

let sf: SalesforceEmulator;
let proxy: TestProxy;

beforeAll(async () => {
  sf = await startOrg({ clientId: 'kicksaw-app', clientSecret: 'app-secret', queryPageSize: 400 });
  proxy = await startProxy();
});
afterAll(async () => {
  await proxy?.close();
  await sf?.stop();
});
afterEach(() => {
  for (const name of PROXY_VARIABLES) delete process.env[name];
});

const records = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    Name: `${prefix}-${i + 1}`,
    Ext__c: `${prefix}-${i + 1}`,
    Required__c: i % 50 === 7 ? '' : 'yes',
    Qty__c: i,
  }));

/** Logs in, ingests `n` rows over two Bulk jobs and reads them back by a Bulk query. */
async function roundTrip(prefix: string, n: number, options: { proxy?: string; org?: SalesforceEmulator } = {}) {
  const org = options.org ?? sf;
  const conn = await connect(
    { loginUrl: org.loginUrl, clientId: 'kicksaw-app', clientSecret: 'app-secret' },
    { ...(options.proxy ? { proxy: options.proxy } : {}) },
  );
  const input = records(prefix, n);
  const { outcomes, summary } = await ingestAll({
    connection: conn,
    object: 'Item__c',
    operation: 'insert',
    records: input,
    api: 'bulk',
    maxRowsPerJob: Math.ceil(n / 2),
    ...FAST,
  });
  const rows: Array<Record<string, unknown>> = [];
  for await (const row of query(conn, `SELECT Id, Name FROM Item__c WHERE Name LIKE '${prefix}-%'`, {
    api: 'bulk',
    pageSize: 400,
    ...FAST,
  })) {
    rows.push(row);
  }
  // Every row has its own outcome, matched by content; the failed ones (Required__c empty) are not in the org.
  expect(outcomes).toHaveLength(n);
  for (const outcome of outcomes) {
    expect(outcome.record.Name).toBe(input[outcome.row - 1]?.Name);
    expect(outcome.status).toBe(input[outcome.row - 1]?.Required__c === '' ? 'failed' : 'succeeded');
  }
  const succeeded = outcomes.filter((o) => o.status === 'succeeded').length;
  expect(summary.succeeded).toBe(succeeded);
  expect(rows).toHaveLength(succeeded);
  expect(new Set(rows.map((r) => r.Id)).size).toBe(succeeded);
  return { succeeded };
}

/** The relayed requests of one kind since `from`. */
const kinds = (relayed: string[], from: number) => {
  const lines = relayed.slice(from);
  const count = (pattern: RegExp) => lines.filter((line) => pattern.test(line)).length;
  return {
    total: lines.length,
    login: count(/^POST \/services\/oauth2\/token$/),
    createJob: count(/^POST \/services\/data\/v[\d.]+\/jobs\/ingest$/),
    upload: count(/^PUT \/services\/data\/v[\d.]+\/jobs\/ingest\/\w+\/batches$/),
    jobState: count(/^(PATCH|GET) \/services\/data\/v[\d.]+\/jobs\/ingest\/\w+$/),
    results: count(
      /^GET \/services\/data\/v[\d.]+\/jobs\/ingest\/\w+\/(successfulResults|failedResults|unprocessedrecords)$/,
    ),
    queryJob: count(/^POST \/services\/data\/v[\d.]+\/jobs\/query$/),
    queryPages: count(/^GET \/services\/data\/v[\d.]+\/jobs\/query\/\w+\/results$/),
  };
};

describe('proxy', () => {
  it('sends the login, job calls, uploads and result downloads through HTTP_PROXY', async () => {
    process.env.HTTP_PROXY = proxy.url;
    const before = proxy.relayed.length;
    await roundTrip('viaenv', 900);
    const seen = kinds(proxy.relayed, before);
    expect(seen.login).toBe(1);
    expect(seen.createJob).toBe(2);
    expect(seen.upload).toBe(2);
    expect(seen.jobState).toBeGreaterThanOrEqual(4); // UploadComplete and at least one poll per job
    expect(seen.results).toBe(2 * 3); // three result sets per job
    expect(seen.queryJob).toBe(1);
    expect(seen.queryPages).toBeGreaterThanOrEqual(2); // 880 rows in pages of 400
  });

  it('sends nothing through the proxy when NO_PROXY matches the org', async () => {
    process.env.HTTP_PROXY = proxy.url;
    process.env.NO_PROXY = '127.0.0.1';
    const before = proxy.relayed.length;
    const tunnels = proxy.tunnels;
    await roundTrip('noproxy', 300);
    expect(proxy.relayed.length).toBe(before);
    expect(proxy.tunnels).toBe(tunnels);
  });

  it('uses the proxy given to connect() for every call of that connection', async () => {
    const before = proxy.relayed.length;
    await roundTrip('explicit', 300, { proxy: proxy.url });
    const seen = kinds(proxy.relayed, before);
    expect(seen.login).toBe(1);
    expect(seen.upload).toBe(2);
    expect(seen.results).toBe(6);
    expect(seen.queryPages).toBeGreaterThanOrEqual(1);
  });

  it('renews an expired session through the proxy', async () => {
    const conn = await connect(
      { loginUrl: sf.loginUrl, clientId: 'kicksaw-app', clientSecret: 'app-secret' },
      { proxy: proxy.url },
    );
    const before = proxy.relayed.length;
    sf.faults.set({ sessionExpiry: { afterRequests: 3 } });
    try {
      const { summary } = await ingestAll({
        connection: conn,
        object: 'Item__c',
        operation: 'insert',
        records: records('renew', 50),
        api: 'bulk',
        ...FAST,
      });
      expect(summary.succeeded + summary.failed).toBe(50);
    } finally {
      sf.faults.reset();
    }
    expect(kinds(proxy.relayed, before).login).toBeGreaterThanOrEqual(1);
  });

  it('downloads a result set again, and reads a query page again from where it broke, when the answer is cut mid-body', async () => {
    process.env.HTTP_PROXY = proxy.url;
    const cutsBefore = proxy.cuts;
    const before = proxy.relayed.length;
    proxy.cutNext(/\/successfulResults$/, 2_000);
    // The first page of the query breaks off after 3,000 bytes: the rows read before the break are
    // not yielded twice, the rest come from the page read again.
    proxy.cutNext(/\/jobs\/query\/\w+\/results\?maxRecords=400$/, 3_000);
    await roundTrip('cut', 900);
    expect(proxy.cuts).toBe(cutsBefore + 2);
    const seen = kinds(proxy.relayed, before);
    expect(seen.results).toBe(2 * 3 + 1); // one result set downloaded twice
    expect(seen.queryPages).toBeGreaterThanOrEqual(4); // three pages (880 rows), the first one twice
  });

  it('reaches an https:// org through CONNECT tunnels of HTTPS_PROXY, checking its certificate', async () => {
    // The org serves HTTPS with a test certificate for 127.0.0.1; trusting it is what
    // NODE_EXTRA_CA_CERTS does at start-up, done here for this process and undone after.
    const fixtures = new URL('./fixtures/', import.meta.url);
    const [key, cert] = await Promise.all([
      readFile(new URL('localhost-test-key.pem', fixtures)),
      readFile(new URL('localhost-test-cert.pem', fixtures)),
    ]);
    const secure = await startOrg({ clientId: 'kicksaw-app', clientSecret: 'app-secret', tls: { key, cert } });
    const trusted = getCACertificates('default');
    try {
      expect(secure.loginUrl).toMatch(/^https:/);
      process.env.HTTPS_PROXY = proxy.url;
      const login = { loginUrl: secure.loginUrl, clientId: 'kicksaw-app', clientSecret: 'app-secret' };
      // Not trusted yet: the login fails on the certificate (through the tunnel), it is not sent in clear.
      const refused = await connect(login, { maxLoginAttempts: 1 }).then(
        () => new Error('expected the login to fail'),
        (error: unknown) => error as Error,
      );
      expect(refused.message).toMatch(/certificate|self[- ]signed/i);
      setDefaultCACertificates([...trusted, cert.toString()]);
      const tunnels = proxy.tunnels;
      const relayed = proxy.relayed.length;
      await roundTrip('tls', 300, { org: secure });
      expect(proxy.tunnels).toBeGreaterThan(tunnels);
      expect(proxy.relayed.length).toBe(relayed); // everything went inside the tunnels
    } finally {
      setDefaultCACertificates(trusted);
      await secure.stop();
    }
  });
});
