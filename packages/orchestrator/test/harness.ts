import { type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { listKeys } from '@kicksaw/s3';
import { startSalesforceEmulator } from '@kicksaw/sf-emulator';
import { type LocalS3, startLocalS3 } from '@kicksaw/testkit';
import { Connection } from 'jsforce';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { idempotencyKeyFor, type S3ImportHandlerOptions } from '../src/index.js';
import { MAPPING, type SampleFile, sampleContacts } from './fixtures.js';

// jsforce honours http(s)_proxy and ignores NO_PROXY: keep test traffic on 127.0.0.1.
for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[name];

export type Emulator = Awaited<ReturnType<typeof startSalesforceEmulator>>;

/** A local S3 and a local org with an external id on Contact, both over HTTP on 127.0.0.1. */
export interface Harness {
  s3: LocalS3;
  sf: Emulator;
  connection: Connection;
  stop(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const [s3, sf] = await Promise.all([
    startLocalS3(),
    startSalesforceEmulator({ integrationObjects: true, objects: [CONTACT_EXTERNAL_ID] }),
  ]);
  const connection = new Connection({
    instanceUrl: sf.instanceUrl,
    accessToken: sf.accessToken,
    version: sf.apiVersion,
  });
  return {
    s3,
    sf,
    connection,
    async stop() {
      await Promise.all([s3.stop(), sf.stop()]);
    },
  };
}

/**
 * The harness of one test file: started before its first test, stopped after its last, the org's
 * faults reset after each test. Its fields are read when a test runs (they exist from `beforeAll` on).
 * `setUp` runs once the harness is up (seed records, ...).
 */
export function useHarness(setUp?: (harness: Harness) => void | Promise<void>): Harness {
  let started: Harness | undefined;
  beforeAll(async () => {
    started = await startHarness();
    await setUp?.(started);
  });
  afterAll(async () => {
    await started?.stop();
  });
  afterEach(() => {
    started?.sf.faults.reset();
  });
  const get = (): Harness => {
    if (!started) throw new Error('the harness is read before beforeAll started it');
    return started;
  };
  return {
    get s3() {
      return get().s3;
    },
    get sf() {
      return get().sf;
    },
    get connection() {
      return get().connection;
    },
    stop: () => get().stop(),
  };
}

/** Contact gains an external id, as a custom field deployed to a real org would give it. */
export const CONTACT_EXTERNAL_ID = {
  name: 'Contact',
  merge: true,
  fields: [{ name: 'External_Id__c', type: 'string' as const, length: 40, externalId: true, unique: true }],
};

export async function putText(s3: LocalS3, bucket: string, key: string, body: string | Uint8Array): Promise<string> {
  const put = await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return put.ETag ?? '';
}

export async function getText(s3: LocalS3, bucket: string, key: string): Promise<string> {
  const got = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await got.Body?.transformToString('utf8')) ?? '';
}

export async function keysUnder(s3: LocalS3, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of listKeys({ client: s3.client, bucket, prefix })) keys.push(key);
  return keys.sort();
}

/** Waits until the S3 listing under `prefix` has at least `count` keys (what a run has done so far). */
export async function waitForKeys(h: Harness, bucket: string, prefix: string, count: number): Promise<void> {
  while ((await keysUnder(h.s3, bucket, prefix)).length < count) await new Promise((r) => setImmediate(r));
}

/** The Contacts in the org whose external id starts with `prefix` (one test's rows). */
export function contactsIn(h: Harness, prefix: string) {
  return h.sf.org.records('Contact').filter((c) => String(c.External_Id__c ?? '').startsWith(prefix));
}

/** The execution records whose payload names `text` (a source key, a prefix). */
export function executionsNaming(h: Harness, text: string): Array<Record<string, unknown>> {
  return (h.sf.org.records('IntegrationExecution__c') as Array<Record<string, unknown>>).filter((r) =>
    String(r.ExecutionPayload__c ?? '').includes(text),
  );
}

/** Handler options inserting the sample Contacts with the harness's S3 and org. */
export function contactImport(
  h: Harness,
  ingest: S3ImportHandlerOptions['ingest'],
  overrides: Partial<S3ImportHandlerOptions> = {},
): S3ImportHandlerOptions {
  return {
    object: 'Contact',
    operation: 'insert',
    mapping: MAPPING,
    s3Client: h.s3.client,
    connection: h.connection,
    ingest,
    ...overrides,
  };
}

/**
 * A sample file of `rows` Contacts (external ids `<prefix>-...`) put in a new bucket as `<name>.csv`, the
 * S3 event of it wrapped in SQS (message `msg-<name>`), and the idempotency key of its run.
 */
export async function putSampleRun(
  h: Harness,
  name: string,
  rows: number,
  sampleOptions: { prefix: string; bad?: boolean },
): Promise<{ bucket: string; key: string; sample: SampleFile; eTag: string; event: unknown; runKey: string }> {
  const bucket = await h.s3.createBucket();
  const key = `${name}.csv`;
  const sample = sampleContacts(rows, sampleOptions);
  const eTag = await putText(h.s3, bucket, key, sample.csv);
  const event = sqsEvent(s3Event(bucket, key, eTag), `msg-${name}`);
  return { bucket, key, sample, eTag, event, runKey: idempotencyKeyFor({ bucket, key, eTag }) };
}

/** An S3 notification for one object, as S3 sends it to Lambda. */
export function s3Event(bucket: string, key: string, eTag: string, size = 0): unknown {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'import',
          bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
          object: {
            key: encodeURIComponent(key).replace(/%20/g, '+'),
            size,
            eTag: eTag.replaceAll('"', ''),
            sequencer: '0A1B2C3D4E5F678901',
          },
        },
      },
    ],
  };
}

/** The same notification wrapped in an SQS message. */
export function sqsEvent(inner: unknown, messageId: string): unknown {
  return {
    Records: [
      {
        messageId,
        receiptHandle: `handle-${messageId}`,
        body: JSON.stringify(inner),
        attributes: {},
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:imports',
        awsRegion: 'us-east-1',
      },
    ],
  };
}

/** An HTTP proxy in front of a server that breaks some responses off after a number of body bytes. */
export interface CuttingProxy {
  endpoint: string;
  /** Responses broken off so far. */
  cuts(): number;
  /** Every request forwarded: method, path and `Range` header. */
  requests(): Array<{ method: string; path: string; range: string | undefined }>;
  stop(): Promise<void>;
}

/**
 * Forwards every request to `target`; a response to a request `shouldCut` picks has its connection
 * destroyed after `afterBytes` bytes of body, `times` times in all (a network reset mid-download).
 */
export async function startCuttingProxy(
  target: string,
  options: { shouldCut: (method: string, path: string) => boolean; afterBytes: number; times: number },
): Promise<CuttingProxy> {
  const { createServer, request } = await import('node:http');
  const to = new URL(target);
  let cuts = 0;
  const seen: Array<{ method: string; path: string; range: string | undefined }> = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? 'GET', path: req.url ?? '/', range: req.headers.range });
    const upstream = request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
      (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        const cut = cuts < options.times && options.shouldCut(req.method ?? 'GET', req.url ?? '/');
        if (!cut) {
          reply.pipe(res);
          return;
        }
        cuts += 1;
        let sent = 0;
        reply.on('data', (chunk: Buffer) => {
          if (sent >= options.afterBytes) return;
          const room = options.afterBytes - sent;
          sent += chunk.length;
          if (chunk.length < room) {
            res.write(chunk);
            return;
          }
          res.write(chunk.subarray(0, room), () => res.socket?.destroy());
          reply.destroy();
        });
      },
    );
    upstream.on('error', () => res.socket?.destroy());
    req.pipe(upstream);
  });
  const { url, stop } = await listenLocally(server);
  return { endpoint: url, cuts: () => cuts, requests: () => seen.slice(), stop };
}

/** An HTTP proxy in front of the local org that answers some requests with an error of its own. */
export interface RefusingProxy {
  /** The instance URL to give jsforce. */
  instanceUrl: string;
  /** Requests refused so far. */
  refused(): number;
  /** Refuse (or stop refusing) from now on. */
  setRefusing(on: boolean): void;
  stop(): Promise<void>;
}

/**
 * Forwards every request to the org; while refusing, a request `shouldRefuse` picks is answered with
 * `status` and a Salesforce REST error body instead of being forwarded. Hand-written because the
 * emulator's faults cannot answer one kind of call alone with a 403 (its `dailyApiRequestLimit` refuses
 * every API call, the execution record's and the lease's too).
 */
export async function startRefusingProxy(
  target: string,
  options: {
    shouldRefuse: (method: string, path: string) => boolean;
    status: number;
    errorCode: string;
    message: string;
  },
): Promise<RefusingProxy> {
  const { createServer } = await import('node:http');
  const to = new URL(target);
  let refused = 0;
  let refusing = true;
  const server = createServer((req, res) => {
    if (refusing && options.shouldRefuse(req.method ?? 'GET', req.url ?? '/')) {
      refused += 1;
      req.resume();
      res.writeHead(options.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify([{ errorCode: options.errorCode, message: options.message }]));
      return;
    }
    forward(req, res, to);
  });
  const { url, stop } = await listenLocally(server);
  return {
    instanceUrl: url,
    refused: () => refused,
    setRefusing: (on) => {
      refusing = on;
    },
    stop,
  };
}

/** Starts a test proxy on a free port of 127.0.0.1: its URL, and how to stop it (open connections too). */
async function listenLocally(server: Server): Promise<{ url: string; stop(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy did not report a port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An HTTP proxy in front of the local org that holds some requests back until another kind comes. */
export interface HoldingProxy {
  /** The instance URL to give jsforce. */
  instanceUrl: string;
  /** What let the held requests go: `request` (one `releaseOn` picks came), `fallback` (the time ran out). */
  releasedBy(): 'request' | 'fallback' | undefined;
  /** Requests held so far. */
  held(): number;
  stop(): Promise<void>;
}

/**
 * Forwards every request to `target`, except that the requests `shouldHold` picks wait until a request
 * `releaseOn` picks arrives (then all of them go on), or `fallbackMs` has passed since the first one was
 * held: a way to see which of two things a client does first without timing either.
 */
export async function startHoldingProxy(
  target: string,
  options: {
    shouldHold: (method: string, path: string) => boolean;
    releaseOn: (method: string, path: string) => boolean;
    fallbackMs: number;
  },
): Promise<HoldingProxy> {
  const { createServer } = await import('node:http');
  const to = new URL(target);
  let releasedBy: 'request' | 'fallback' | undefined;
  let held = 0;
  let waiting: Array<() => void> = [];
  let fallback: NodeJS.Timeout | undefined;
  const release = (by: 'request' | 'fallback') => {
    releasedBy ??= by;
    clearTimeout(fallback);
    for (const go of waiting) go();
    waiting = [];
  };
  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    if (releasedBy === undefined && options.releaseOn(method, path)) release('request');
    if (releasedBy === undefined && options.shouldHold(method, path)) {
      held += 1;
      fallback ??= setTimeout(() => release('fallback'), options.fallbackMs);
      waiting.push(() => forward(req, res, to));
      return;
    }
    forward(req, res, to);
  });
  const { url, stop } = await listenLocally(server);
  return {
    instanceUrl: url,
    releasedBy: () => releasedBy,
    held: () => held,
    async stop() {
      clearTimeout(fallback);
      await stop();
    },
  };
}

/** Forwards one request to `to` and its answer back. */
function forward(req: IncomingMessage, res: ServerResponse, to: URL): void {
  const upstream = request(
    { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
    (reply) => {
      res.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(res);
    },
  );
  upstream.on('error', () => res.socket?.destroy());
  req.pipe(upstream);
}
