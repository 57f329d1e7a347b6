// A small HTTP proxy in front of fauxqs for the SQS behaviours fauxqs cannot produce: entries SQS
// answers as failed (`SenderFault: false` faults on SQS's side, `ReceiptHandleIsInvalid` for a
// malformed handle, which fauxqs deletes silently), and whole requests failing (5xx, throttling, a
// batch refused as a whole). Everything else is forwarded to fauxqs untouched, so the messages the
// tests read back went through the real emulator. It also records each request, so tests can check
// how sends were split into batches. Hand-written because no emulator option injects these faults.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type Json = Record<string, unknown>;

export interface EntryFault {
  Code: string;
  Message: string;
  SenderFault: boolean;
}

export interface RequestFault {
  status: number;
  type: string;
  message: string;
}

export interface FaultRules {
  /** Called per entry of a batch request; a fault answers that entry as failed without forwarding it. */
  entry?: (action: string, entry: Json, seen: number) => EntryFault | undefined;
  /** Called per request; a fault answers the whole request with an error without forwarding it. */
  request?: (action: string, body: Json, seen: number) => RequestFault | undefined;
}

export interface RecordedRequest {
  action: string;
  body: Json;
}

export interface FaultProxy {
  endpoint: string;
  rules: FaultRules;
  requests: RecordedRequest[];
  stop(): Promise<void>;
}

function readBody(message: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    message.on('data', (chunk: Buffer) => chunks.push(chunk));
    message.on('end', () => resolve(Buffer.concat(chunks)));
    message.on('error', reject);
  });
}

function forward(target: URL, incoming: IncomingMessage, body: Buffer): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers = { ...incoming.headers, 'content-length': String(body.length) };
    const outgoing = httpRequest(
      { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers },
      async (response) => {
        try {
          resolve({ status: response.statusCode ?? 500, body: await readBody(response) });
        } catch (error) {
          reject(error);
        }
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

export async function startFaultProxy(upstream: string, rules: FaultRules = {}): Promise<FaultProxy> {
  const target = new URL(upstream);
  const requests: RecordedRequest[] = [];
  const seenRequests = new Map<string, number>();
  const seenEntries = new Map<string, number>();
  const proxy: FaultProxy = { endpoint: '', rules, requests, stop: async () => {} };

  const server: Server = createServer(async (incoming, outgoing) => {
    const send = (status: number, payload: unknown, extra: Record<string, string> = {}) => {
      const text = JSON.stringify(payload);
      outgoing.writeHead(status, {
        'content-type': 'application/x-amz-json-1.0',
        'content-length': String(Buffer.byteLength(text)),
        ...extra,
      });
      outgoing.end(text);
    };
    try {
      const raw = await readBody(incoming);
      const action = String(incoming.headers['x-amz-target'] ?? '').replace('AmazonSQS.', '');
      const body = raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as Json) : {};
      requests.push({ action, body });
      const requestCount = (seenRequests.get(action) ?? 0) + 1;
      seenRequests.set(action, requestCount);

      const requestFault = proxy.rules.request?.(action, body, requestCount);
      if (requestFault) {
        send(requestFault.status, { __type: `com.amazonaws.sqs#${requestFault.type}`, message: requestFault.message });
        return;
      }

      const failed: Json[] = [];
      let forwardBody = raw;
      if (Array.isArray(body.Entries) && proxy.rules.entry) {
        const kept: Json[] = [];
        for (const entry of body.Entries as Json[]) {
          const key = `${action}:${String(entry.MessageBody ?? entry.ReceiptHandle)}`;
          const entryCount = (seenEntries.get(key) ?? 0) + 1;
          seenEntries.set(key, entryCount);
          const fault = proxy.rules.entry(action, entry, entryCount);
          if (fault) failed.push({ Id: entry.Id, ...fault });
          else kept.push(entry);
        }
        if (kept.length === 0) {
          send(200, { Successful: [], Failed: failed });
          return;
        }
        forwardBody = Buffer.from(JSON.stringify({ ...body, Entries: kept }));
      }

      const answer = await forward(target, incoming, forwardBody);
      if (failed.length === 0 || answer.status !== 200) {
        outgoing.writeHead(answer.status, {
          'content-type': 'application/x-amz-json-1.0',
          'content-length': String(answer.body.length),
        });
        outgoing.end(answer.body);
        return;
      }
      const merged = JSON.parse(answer.body.toString('utf8')) as Json;
      send(200, { ...merged, Failed: [...((merged.Failed as Json[] | undefined) ?? []), ...failed] });
    } catch (error) {
      send(500, { __type: 'com.amazonaws.sqs#InternalError', message: String(error) });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  proxy.endpoint = `http://127.0.0.1:${port}`;
  proxy.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
