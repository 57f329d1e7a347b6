import { createHash } from 'node:crypto';
import { type FileHandle, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from 'jsforce';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SalesforceApiError, TransportError } from '../src/errors.js';
import { type HttpContext, type StreamedBody, sfDownload, sfSend } from '../src/http.js';
import { type GetToFileOptions, getToFile, PieceCopies, SOCKET_SLACK_BYTES } from '../src/transport.js';

// ---------------------------------------------------------------------------------------------
// Fixtures: a temp folder per test, and everything opened by a test closed after it.

let dir = '';
let files = 0;
const cleanups: Array<() => Promise<void>> = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sf-bulk-http-get-'));
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

function tempPath(): string {
  files++;
  return join(dir, `body-${files}.bin`);
}

/** Two turns of the event loop: enough for the client (same process) to read what was written. */
const settle = (): Promise<void> =>
  new Promise<void>((resolve) => setImmediate(resolve)).then(
    () => new Promise<void>((resolve) => setImmediate(resolve)),
  );

/** Deterministic pseudo-random bytes (xorshift32). */
function pseudoRandom(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

// ---------------------------------------------------------------------------------------------
// A raw HTTP/1.1 server over node:net: the handler gets the socket once the request head is in,
// and writes whatever bytes it likes.

interface RawServer {
  url: string;
  /** Request heads as received (up to and including the blank line). */
  requests: string[];
  connections: number;
}

type RawHandler = (socket: Socket, request: string, index: number) => void | Promise<void>;

async function rawServer(handler: RawHandler): Promise<RawServer> {
  const sockets = new Set<Socket>();
  const state: RawServer = { url: '', requests: [], connections: 0 };
  const server = createNetServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let head = '';
    const onData = (data: Buffer): void => {
      head += data.toString('latin1');
      const stop = head.indexOf('\r\n\r\n');
      if (stop < 0) return;
      socket.off('data', onData);
      const request = head.slice(0, stop + 4);
      head = '';
      const index = state.requests.push(request) - 1;
      // A kept-alive connection carries the next request once this answer is written.
      Promise.resolve()
        .then(() => handler(socket, request, index))
        .then(() => {
          if (!socket.destroyed) socket.on('data', onData);
        })
        .catch(() => socket.destroy());
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return state;
}

/** Writes `data` in pieces of 1 to 7 bytes, letting the client read each before the next. */
async function dribble(socket: Socket, data: Buffer, phase = 0): Promise<void> {
  let at = 0;
  for (let i = phase; at < data.length; i++) {
    const n = 1 + ((i * 5 + 3) % 7);
    if (socket.destroyed) return;
    socket.write(data.subarray(at, at + n));
    at += n;
    await settle();
  }
}

const endSocket = (socket: Socket): Promise<void> => new Promise<void>((resolve) => socket.end(resolve));

function httpHead(status: string, headers: Array<[string, string | number]>): string {
  return `HTTP/1.1 ${status}\r\n${headers.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
}

// ---------------------------------------------------------------------------------------------
// Calling getToFile with a fresh file, and reading what it wrote.

async function openFile(path: string, flags = 'w'): Promise<FileHandle> {
  const handle = await open(path, flags);
  cleanups.push(() => handle.close().catch(() => undefined));
  return handle;
}

async function download(
  url: string,
  headers: Record<string, string> = {},
  options: GetToFileOptions = {},
): Promise<{
  status: number;
  ok: boolean;
  headers: Record<string, string>;
  bytes: number;
  releasedBytes: number;
  text: string;
  file: Buffer;
}> {
  const path = tempPath();
  const handle = await open(path, 'w');
  try {
    const answer = await getToFile(url, headers, handle, options);
    return { ...answer, text: await answer.text(), file: await readFile(path) };
  } finally {
    await handle.close();
  }
}

/** Runs `download` expecting a rejection; returns the error and what the file holds. */
async function failedDownload(
  url: string,
  headers: Record<string, string> = {},
  options: GetToFileOptions = {},
): Promise<{ error: Error; file: Buffer }> {
  const path = tempPath();
  const handle = await open(path, 'w');
  try {
    const error = await getToFile(url, headers, handle, options).then(
      () => {
        throw new Error('expected a rejection');
      },
      (e: unknown) => e as Error,
    );
    return { error, file: await readFile(path) };
  } finally {
    await handle.close();
  }
}

/** A chunked encoding of `body` in the given chunk sizes, with extensions and mixed-case hex. */
function chunked(body: Buffer, sizes: number[], trailer = 'X-Trailer: yes\r\n'): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  let i = 0;
  while (at < body.length) {
    const n = Math.min(sizes[i % sizes.length] as number, body.length - at);
    const hex = i % 2 === 0 ? n.toString(16).toUpperCase() : n.toString(16).toLowerCase();
    const extension = i % 3 === 0 ? `;foo=bar;name="x y"` : i % 3 === 1 ? ';ext' : '';
    parts.push(Buffer.from(`${hex}${extension}\r\n`, 'latin1'), body.subarray(at, at + n), Buffer.from('\r\n'));
    at += n;
    i++;
  }
  parts.push(Buffer.from(`0;last=1\r\n${trailer}\r\n`, 'latin1'));
  return Buffer.concat(parts);
}

// =============================================================================================

describe('getToFile', () => {
  it('reads a Content-Length body sent in pieces of 1 to 7 bytes', async () => {
    const body = Buffer.from('{"id":"750xx0000000001","state":"JobComplete"}\n"Id","Name"\n"001","Ä ö ü"\n', 'utf8');
    const response = Buffer.concat([
      Buffer.from(
        httpHead('200 OK', [
          ['Content-Type', 'text/csv'],
          ['Content-Length', body.length],
        ]),
      ),
      body,
    ]);
    for (const phase of [0, 1, 2, 3, 4, 5, 6]) {
      const server = await rawServer(async (socket) => {
        await dribble(socket, response, phase);
      });
      const answer = await download(`${server.url}/results`);
      expect(answer).toMatchObject({ status: 200, ok: true, bytes: body.length, text: '' });
      expect(answer.headers['content-type']).toBe('text/csv');
      expect(answer.headers['content-length']).toBe(String(body.length));
      expect(answer.file.equals(body)).toBe(true);
    }
  });

  it('writes from the current position of the file handle', async () => {
    const body = Buffer.from('the body');
    const server = await rawServer((socket) => {
      socket.end(Buffer.concat([Buffer.from(httpHead('200 OK', [['Content-Length', body.length]])), body]));
    });
    const path = tempPath();
    const handle = await openFile(path, 'w+');
    await handle.write(Buffer.from('prefix:'));
    const answer = await getToFile(`${server.url}/x`, {}, handle);
    expect(answer.bytes).toBe(body.length);
    await handle.close();
    expect((await readFile(path)).toString()).toBe('prefix:the body');
  });

  it('reads a body delimited by the end of the connection', async () => {
    const body = pseudoRandom(100_000, 3);
    const server = await rawServer(async (socket) => {
      socket.write(httpHead('200 OK', [['Content-Type', 'text/csv']]));
      await settle();
      await dribble(socket, body.subarray(0, 40));
      socket.write(body.subarray(40));
      await endSocket(socket);
    });
    const answer = await download(`${server.url}/close`);
    expect(answer).toMatchObject({ status: 200, ok: true, bytes: body.length });
    expect(answer.file.equals(body)).toBe(true);
  });

  it('writes a 5 MB body byte for byte (length, chunked and close framing)', async () => {
    const body = pseudoRandom(5 * 1024 * 1024 + 13, 42);
    const framings = ['length', 'chunked', 'close'] as const;
    const server = await rawServer(async (socket, request) => {
      const framing = /GET \/(\w+)/.exec(request)?.[1];
      // The server closes the connection after each answer, so it says so (a kept-alive client would
      // otherwise send its next request on it).
      if (framing === 'length') {
        socket.write(
          httpHead('200 OK', [
            ['Content-Length', body.length],
            ['Connection', 'close'],
          ]),
        );
        socket.write(body);
      } else if (framing === 'chunked') {
        socket.write(
          httpHead('200 OK', [
            ['Transfer-Encoding', 'chunked'],
            ['Connection', 'close'],
          ]),
        );
        socket.write(chunked(body, [4093, 65536, 1, 200_000, 777]));
      } else {
        socket.write(httpHead('200 OK', []));
        socket.write(body);
      }
      await endSocket(socket);
    });
    for (const framing of framings) {
      const sets: GetToFileOptions[] = [{}];
      for (const options of sets) {
        const answer = await download(`${server.url}/${framing}`, {}, options);
        expect(answer.status).toBe(200);
        expect(answer.bytes).toBe(body.length);
        expect(answer.file.length).toBe(body.length);
        expect(answer.file.equals(body)).toBe(true);
      }
    }
  });

  it('frees the socket reads once written, byte for byte through a slow file (pauses, joined reads, chunked)', async () => {
    const body = pseudoRandom(8 * 1024 * 1024 + 5, 7);
    const server = await rawServer(async (socket, request) => {
      const framing = /GET \/(\w+)/.exec(request)?.[1];
      socket.write(
        httpHead('200 OK', [
          framing === 'chunked' ? ['Transfer-Encoding', 'chunked'] : ['Content-Length', body.length],
          ['Connection', 'close'],
        ]),
      );
      // Writes of every size, so that reads of every size (and, while the client is paused, joined ones) arrive.
      const data = framing === 'chunked' ? chunked(body, [10, 70_000, 3, 9_000, 200_000]) : body;
      for (let at = 0, i = 0; at < data.length; i++) {
        const end = Math.min(data.length, at + 1 + ((i * 7919) % 90_000));
        if (!socket.write(data.subarray(at, end))) await new Promise((resolve) => socket.once('drain', resolve));
        at = end;
      }
      await endSocket(socket);
    });
    for (const framing of ['length', 'chunked']) {
      const path = tempPath();
      const real = await openFile(path);
      // A disk slower than the socket: each write waits two turns of the event loop, so the sink's buffer fills
      // and undici pauses mid-read (putting the rest of a read back) and later reads what piled up at once.
      const slow = {
        writev: async (pieces: Buffer[]) => {
          await settle();
          return real.writev(pieces);
        },
        write: (buffer: Buffer, offset: number, length: number) => real.write(buffer, offset, length),
      } as unknown as FileHandle;
      const answer = await getToFile(`${server.url}/${framing}`, {}, slow);
      await real.close();
      const file = await readFile(path);
      expect(answer.status).toBe(200);
      expect(answer.bytes).toBe(body.length);
      expect(sha256(file)).toBe(sha256(body));
      // Most of what came was freed as it was written (all but the last read, and reads of a pool's size or less).
      expect(answer.releasedBytes).toBeGreaterThan(body.length / 2);
    }
  });

  it('writes nothing for 204 (and resolves without waiting for the connection to close)', async () => {
    const server = await rawServer((socket) => {
      socket.write(httpHead('204 No Content', [['X-Id', '1']]));
    });
    const answer = await download(`${server.url}/x`);
    expect(answer).toMatchObject({ status: 204, ok: true, bytes: 0, text: '' });
    expect(answer.file.length).toBe(0);
  });

  it('resolves a 200 with Content-Length: 0 with an empty file', async () => {
    const server = await rawServer((socket) => {
      socket.write(httpHead('200 OK', [['Content-Length', 0]]));
    });
    const answer = await download(`${server.url}/x`);
    expect(answer).toMatchObject({ status: 200, ok: true, bytes: 0 });
    expect(answer.file.length).toBe(0);
  });

  it('gives a non-2xx body through text() and writes nothing to the file', async () => {
    const json = '[{"errorCode":"SERVER_ERROR","message":"Ünexpected"}]';
    const jsonBytes = Buffer.from(json, 'utf8');
    const server = await rawServer(async (socket, request) => {
      if (request.startsWith('GET /length')) {
        await dribble(
          socket,
          Buffer.concat([
            Buffer.from(
              httpHead('500 Server Error', [
                ['Content-Type', 'application/json'],
                ['Content-Length', jsonBytes.length],
              ]),
            ),
            jsonBytes,
          ]),
        );
      } else if (request.startsWith('GET /chunked')) {
        socket.write(httpHead('404 Not Found', [['Transfer-Encoding', 'chunked']]));
        socket.write(chunked(jsonBytes, [3, 20]));
      } else {
        socket.write(httpHead('400 Bad Request', []));
        socket.end(jsonBytes);
      }
    });
    for (const [path, status] of [
      ['length', 500],
      ['chunked', 404],
      ['close', 400],
    ] as const) {
      const answer = await download(`${server.url}/${path}`);
      expect(answer).toMatchObject({ status, ok: false, bytes: 0, text: json });
      expect(answer.file.length).toBe(0);
    }
  });

  it('rejects with TransportError when the connection closes mid-body (length and chunked)', async () => {
    const server = await rawServer(async (socket, request) => {
      if (request.startsWith('GET /length')) {
        socket.write(httpHead('200 OK', [['Content-Length', 1000]]));
        socket.write('x'.repeat(600));
      } else if (request.startsWith('GET /chunked-data')) {
        socket.write(httpHead('200 OK', [['Transfer-Encoding', 'chunked']]));
        socket.write('a\r\n0123456789\r\n14\r\nonly part');
      } else if (request.startsWith('GET /chunked-last')) {
        // The last chunk came, its trailers did not end.
        socket.write(httpHead('200 OK', [['Transfer-Encoding', 'chunked']]));
        socket.write('3\r\nabc\r\n0\r\nX-T: 1\r\n');
      } else {
        socket.write('HTTP/1.1 200 OK\r\nContent-Le');
      }
      await settle();
      await endSocket(socket);
    });
    const cases = [
      ['length', /closed before the answer body ended/],
      ['chunked-data', /closed before the answer body ended/],
      ['chunked-last', /closed before the answer body ended/],
      ['head', /closed before the answer head/],
    ] as const;
    for (const [path, message] of cases) {
      const { error } = await failedDownload(`${server.url}/${path}`);
      expect(error).toBeInstanceOf(TransportError);
      expect(error.name).toBe('TransportError');
      expect(error.message).toMatch(message);
    }
  });

  it('rejects with TransportError when the connection is reset mid-body', async () => {
    const server = await rawServer(async (socket) => {
      socket.write(httpHead('200 OK', [['Content-Length', 100]]));
      socket.write('partial');
      await settle();
      socket.resetAndDestroy();
    });
    const { error } = await failedDownload(`${server.url}/x`);
    expect(error).toBeInstanceOf(TransportError);
  });

  it('rejects with TransportError on an answer that is not HTTP or has a bad Content-Length', async () => {
    const server = await rawServer((socket, request) => {
      if (request.startsWith('GET /garbage')) socket.write('SSH-2.0-OpenSSH\r\n\r\n');
      else socket.write(httpHead('200 OK', [['Content-Length', '12abc']]));
    });
    const garbage = await failedDownload(`${server.url}/garbage`);
    expect(garbage.error).toBeInstanceOf(TransportError);
    expect(garbage.error.message).toMatch(/not an HTTP answer/);
    const length = await failedDownload(`${server.url}/length`);
    expect(length.error).toBeInstanceOf(TransportError);
    expect(length.error.message).toMatch(/bad Content-Length|content-length/i);
  });

  it('refuses a content-encoded 2xx body (an error that is not a transport failure)', async () => {
    const server = await rawServer((socket) => {
      socket.write(
        httpHead('200 OK', [
          ['Content-Encoding', 'gzip'],
          ['Content-Length', 4],
        ]),
      );
      socket.write('\x1f\x8b\x08\x00');
    });
    const { error, file } = await failedDownload(`${server.url}/x`);
    expect(error.message).toMatch(/gzip-encoded, which was not asked for/);
    expect(error).not.toBeInstanceOf(TransportError);
    expect(file.length).toBe(0);
  });

  it('accepts Content-Encoding: identity and a content-encoded non-2xx body', async () => {
    const server = await rawServer((socket, request) => {
      const status = request.startsWith('GET /ok') ? '200 OK' : '503 Unavailable';
      const coding = request.startsWith('GET /ok') ? 'Identity' : 'gzip';
      socket.write(
        httpHead(status, [
          ['Content-Encoding', coding],
          ['Content-Length', 2],
        ]),
      );
      socket.write('hi');
    });
    const ok = await download(`${server.url}/ok`);
    expect(ok).toMatchObject({ status: 200, bytes: 2 });
    expect(ok.file.toString()).toBe('hi');
    const notOk = await download(`${server.url}/no`);
    expect(notOk).toMatchObject({ status: 503, ok: false, text: 'hi' });
  });

  it('refuses a header name or value with a line break and sends no request', async () => {
    const server = await rawServer((socket) => {
      socket.end(httpHead('200 OK', [['Content-Length', 0]]));
    });
    const refused: Array<Record<string, string>> = [
      { Authorization: 'Bearer x\r\nX-Injected: 1' },
      { Authorization: 'Bearer x\nX-Injected: 1' },
      { 'X-A\r\nX-Injected': '1' },
    ];
    for (const headers of refused) {
      const { error } = await failedDownload(`${server.url}/bad`, headers);
      expect(error.message).toMatch(/holds a line break/);
      expect(error).not.toBeInstanceOf(TransportError);
    }
    // A good request after them: it is the only one the server got.
    await download(`${server.url}/good`, { Authorization: 'Bearer x' });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatch(/^GET \/good HTTP\/1\.1\r\n/);
    expect(server.requests.join('')).not.toMatch(/Injected/);
    expect(server.connections).toBe(1);
  });

  it('rejects with TransportError after idleTimeoutMs without data', async () => {
    const server = await rawServer(async (socket, request) => {
      if (request.startsWith('GET /mid')) {
        socket.write(httpHead('200 OK', [['Content-Length', 100]]));
        socket.write('only some');
      }
      // else: accept and send nothing
    });
    for (const path of ['silent', 'mid']) {
      const { error } = await failedDownload(`${server.url}/${path}`, {}, { idleTimeoutMs: 200 });
      expect(error).toBeInstanceOf(TransportError);
      expect(error.message).toMatch(/no data for 200 ms/);
    }
  });

  it('rejects with TransportError when the connection is refused', async () => {
    const server = await rawServer(() => undefined);
    const url = server.url;
    await cleanups.pop()?.(); // close the server: its port now refuses
    const { error } = await failedDownload(`${url}/x`);
    expect(error).toBeInstanceOf(TransportError);
    expect(error.message).toMatch(/ECONNREFUSED/);
  });

  it("rejects with the file's own error when the file cannot be written, not a TransportError", async () => {
    const server = await rawServer(async (socket, request) => {
      const size = request.startsWith('GET /big') ? 300_000 : 10;
      socket.write(httpHead('200 OK', [['Content-Length', size]]));
      socket.write(Buffer.alloc(size, 1));
    });
    const path = tempPath();
    await (await openFile(path)).close();
    for (const name of ['small', 'big']) {
      const readOnly = await openFile(path, 'r');
      const error = await getToFile(`${server.url}/${name}`, {}, readOnly).then(
        () => new Error('expected a rejection'),
        (e: unknown) => e as Error & { code?: string },
      );
      expect(error).not.toBeInstanceOf(TransportError);
      expect((error as { code?: string }).code).toBe('EBADF');
    }
  });

  it('rejects an unsupported protocol', async () => {
    const handle = await openFile(tempPath());
    await expect(getToFile('ftp://127.0.0.1/x', {}, handle)).rejects.toThrow(/Unsupported protocol ftp:/);
  });
});

// =============================================================================================
// sfDownload / sfSend: the shared retry loop over real servers.

function context(url: string, retry = { maxRetries: 5, retryDelayMs: 1 }): HttpContext & { conn: Connection } {
  const conn = new Connection({ instanceUrl: url, accessToken: 'tok', version: '62.0' });
  return { conn, retry };
}

function header(request: string, name: string): string | undefined {
  const line = request.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(line.indexOf(':') + 1).trim();
}

describe('sfDownload', () => {
  it('downloads to the file under the versioned path', async () => {
    const body = Buffer.from('"Id"\n"001"\n');
    const server = await rawServer((socket) => {
      socket.end(Buffer.concat([Buffer.from(httpHead('200 OK', [['Content-Length', body.length]])), body]));
    });
    const file = tempPath();
    const result = await sfDownload(
      context(server.url),
      { path: 'jobs/ingest/750X/successfulResults', headers: { Accept: 'text/csv' } },
      file,
    );
    expect(result).toEqual({ status: 200, bytes: body.length });
    expect((await readFile(file)).equals(body)).toBe(true);
    expect(server.requests[0]).toMatch(
      /^GET \/services\/data\/v62\.0\/jobs\/ingest\/750X\/successfulResults HTTP\/1\.1\r\n/,
    );
    expect(header(server.requests[0] as string, 'authorization')).toBe('Bearer tok');
    expect(header(server.requests[0] as string, 'accept')).toBe('text/csv');
  });

  it('retries a body cut short and a 503, and the file holds the full body once', async () => {
    const body = pseudoRandom(50_000, 9);
    const server = await rawServer(async (socket, _request, index) => {
      if (index === 0) {
        // A longer body than the real one, cut off: the next attempt must truncate the file.
        socket.write(httpHead('200 OK', [['Content-Length', 200_000]]));
        socket.write(pseudoRandom(120_000, 1));
        await settle();
        await endSocket(socket);
      } else if (index === 1) {
        socket.end(`${httpHead('503 Service Unavailable', [['Content-Length', 4]])}busy`);
      } else {
        socket.write(httpHead('200 OK', [['Content-Length', body.length]]));
        await dribble(socket, body.subarray(0, 30));
        socket.end(body.subarray(30));
      }
    });
    const file = tempPath();
    const result = await sfDownload(context(server.url), { path: 'jobs/ingest/750X/successfulResults' }, file);
    expect(result).toEqual({ status: 200, bytes: body.length });
    const written = await readFile(file);
    expect(written.length).toBe(body.length);
    expect(written.equals(body)).toBe(true);
    expect(server.requests).toHaveLength(3);
  });

  it('renews the session on 401 through the refresh delegate and retries with the new token', async () => {
    const server = await rawServer((socket, _request, index) => {
      if (index === 0) {
        const json = '[{"errorCode":"INVALID_SESSION_ID","message":"Session expired or invalid"}]';
        socket.end(httpHead('401 Unauthorized', [['Content-Length', json.length]]) + json);
      } else {
        socket.end(`${httpHead('200 OK', [['Transfer-Encoding', 'chunked']])}2\r\nok\r\n0\r\n\r\n`);
      }
    });
    const ctx = context(server.url);
    let refreshes = 0;
    (ctx.conn as unknown as { _refreshDelegate: { refresh(): Promise<void> } })._refreshDelegate = {
      refresh: async () => {
        refreshes++;
        ctx.conn.accessToken = 'new';
      },
    };
    const file = tempPath();
    const result = await sfDownload(ctx, { path: 'jobs/query/750Q/results?maxRecords=10' }, file);
    expect(result).toEqual({ status: 200, bytes: 2 });
    expect((await readFile(file)).toString()).toBe('ok');
    expect(refreshes).toBe(1);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]).toMatch(/^GET \/services\/data\/v62\.0\/jobs\/query\/750Q\/results\?maxRecords=10 /);
    expect(header(server.requests[0] as string, 'authorization')).toBe('Bearer tok');
    expect(header(server.requests[1] as string, 'authorization')).toBe('Bearer new');
  });

  it('surfaces a failed renewal as its own error and a lasting 401 as SalesforceApiError, never a loop signal', async () => {
    const json = '[{"errorCode":"INVALID_SESSION_ID","message":"Session expired or invalid"}]';
    const server = await rawServer((socket) => {
      socket.end(httpHead('401 Unauthorized', [['Content-Length', json.length]]) + json);
    });
    const failing = context(server.url);
    const renewalError = new Error('refresh token revoked');
    (failing.conn as unknown as { _refreshDelegate: { refresh(): Promise<void> } })._refreshDelegate = {
      refresh: async () => {
        throw renewalError;
      },
    };
    expect(await sfDownload(failing, { path: 'a' }, tempPath()).catch((e: unknown) => e)).toBe(renewalError);

    const renewing = context(server.url);
    (renewing.conn as unknown as { _refreshDelegate: { refresh(): Promise<void> } })._refreshDelegate = {
      refresh: async () => {
        renewing.conn.accessToken = `${renewing.conn.accessToken}+`;
      },
    };
    const lasting = await sfDownload(renewing, { path: 'b' }, tempPath()).catch((e: unknown) => e);
    expect(lasting).toBeInstanceOf(SalesforceApiError);
    expect(lasting).toMatchObject({ status: 401, errorCode: 'INVALID_SESSION_ID' });
    // One request to fail, then four to path b: the first and one after each of three renewals.
    expect(server.requests).toHaveLength(5);
  });

  it('gives 204 as status 204 and an empty file', async () => {
    const server = await rawServer((socket) => {
      socket.end(httpHead('204 No Content', []));
    });
    const file = tempPath();
    expect(await sfDownload(context(server.url), { path: 'x' }, file)).toEqual({ status: 204, bytes: 0 });
    expect((await readFile(file)).length).toBe(0);
  });

  it('throws SalesforceApiError for a 4xx without retrying, and after the retries for a lasting 503', async () => {
    const server = await rawServer((socket, request) => {
      if (request.startsWith('GET /services/data/v62.0/bad')) {
        const json = '[{"errorCode":"INVALIDJOB","message":"no such job"}]';
        socket.end(httpHead('400 Bad Request', [['Content-Length', json.length]]) + json);
      } else {
        socket.end(`${httpHead('503 Service Unavailable', [])}down`);
      }
    });
    const bad = await sfDownload(context(server.url), { path: 'bad' }, tempPath()).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(SalesforceApiError);
    expect(bad).toMatchObject({ status: 400, errorCode: 'INVALIDJOB' });
    expect((bad as Error).message).toMatch(/GET bad failed with HTTP 400: INVALIDJOB: no such job/);
    expect(server.requests).toHaveLength(1);

    const down = await sfDownload(
      context(server.url, { maxRetries: 2, retryDelayMs: 1 }),
      { path: 'down' },
      tempPath(),
    ).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(SalesforceApiError);
    expect(down).toMatchObject({ status: 503, errorCode: 'HTTP_503' });
    expect(server.requests).toHaveLength(1 + 3);
  });

  it('does not retry a content-encoded answer or a header with a line break', async () => {
    const server = await rawServer((socket) => {
      socket.end(
        `${httpHead('200 OK', [
          ['Content-Encoding', 'br'],
          ['Content-Length', 1],
        ])}x`,
      );
    });
    const encoded = await sfDownload(context(server.url), { path: 'x' }, tempPath()).catch((e: unknown) => e);
    expect(encoded).toBeInstanceOf(SalesforceApiError);
    expect((encoded as Error).message).toMatch(/br-encoded/);
    expect(server.requests).toHaveLength(1);

    const broken = await sfDownload(
      context(server.url),
      { path: 'y', headers: { 'X-Bad': 'a\r\nb: c' } },
      tempPath(),
    ).catch((e: unknown) => e);
    expect(broken).toBeInstanceOf(SalesforceApiError);
    expect((broken as Error).message).toMatch(/holds a line break/);
    await sfDownload(context(server.url), { path: 'z' }, tempPath()).catch(() => undefined);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]).toMatch(/^GET \/services\/data\/v62\.0\/z /);
  });

  it('retries an idle timeout', async () => {
    const server = await rawServer((socket, _request, index) => {
      if (index > 0) socket.end(`${httpHead('200 OK', [['Content-Length', 3]])}yes`);
    });
    const file = tempPath();
    const result = await sfDownload(context(server.url), { path: 'x', idleTimeoutMs: 150 }, file);
    expect(result).toEqual({ status: 200, bytes: 3 });
    expect((await readFile(file)).toString()).toBe('yes');
    expect(server.requests).toHaveLength(2);
  });
});

// ---------------------------------------------------------------------------------------------

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  complete: boolean;
}

async function httpServer(
  answer: (req: IncomingMessage, res: ServerResponse, index: number, received: Received) => void,
  options: { readBodyFirst?: boolean } = { readBodyFirst: true },
): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createHttpServer((req, res) => {
    const index = received.length;
    const entry: Received = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.alloc(0),
      complete: false,
    };
    received.push(entry);
    const chunks: Buffer[] = [];
    req.on('error', () => undefined);
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      entry.body = Buffer.concat(chunks);
      entry.complete = true;
      if (options.readBodyFirst) answer(req, res, index, entry);
    });
    if (!options.readBodyFirst) answer(req, res, index, entry);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

/** A body written from ONE reused buffer: filled, written, awaited, refilled. */
function reusedBufferBody(sizes: number[]): { body: StreamedBody; expected: Buffer; calls: () => number } {
  const pieces = sizes.map((size, i) => pseudoRandom(size, 1000 + i));
  const shared = Buffer.alloc(Math.max(...sizes));
  let calls = 0;
  return {
    expected: Buffer.concat(pieces),
    calls: () => calls,
    body: {
      bytes: pieces.reduce((sum, piece) => sum + piece.length, 0),
      async writeTo(write) {
        calls++;
        for (const piece of pieces) {
          piece.copy(shared);
          await write(shared.subarray(0, piece.length));
          shared.fill(0xee); // anything still holding the buffer would send these bytes
        }
      },
    },
  };
}

describe('sfSend', () => {
  const sizes = [1, 7, 100, 65_536, 3, 1 << 20, 200_000, 12_345, 999_999, 64];

  it('sends the exact concatenation of pieces written from one reused buffer', async () => {
    const server = await httpServer((_req, res) => {
      res.writeHead(201, { 'Content-Type': 'application/json' });
      res.end('{"id":"750X"}');
    });
    const { body, expected, calls } = reusedBufferBody(sizes);
    const result = await sfSend(context(server.url), {
      method: 'PUT',
      path: 'jobs/ingest/750X/batches',
      headers: { 'Content-Type': 'text/csv' },
      body,
    });
    expect(result).toEqual({ status: 201, text: '{"id":"750X"}' });
    expect(calls()).toBe(1);
    expect(server.received).toHaveLength(1);
    const got = server.received[0] as Received;
    expect(got.method).toBe('PUT');
    expect(got.url).toBe('/services/data/v62.0/jobs/ingest/750X/batches');
    expect(got.headers['content-length']).toBe(String(body.bytes));
    expect(got.headers['content-type']).toBe('text/csv');
    expect(got.headers.authorization).toBe('Bearer tok');
    expect(got.body.length).toBe(expected.length);
    expect(sha256(got.body)).toBe(sha256(expected));
  });

  it('sends 16 MB of small and large pieces byte for byte through a socket read in bursts (copies reused)', async () => {
    const many = Array.from({ length: 96 }, (_, i) => [4096, 300_000, 1, 1 << 20, 70_000, 16_384][i % 6] as number);
    const server = await httpServer(
      (req, res) => {
        // Read in bursts: the server stops reading after each chunk until the next turn of its event loop, so the
        // client's socket fills and undici waits for 'drain' between pieces.
        req.on('data', () => {
          req.pause();
          setImmediate(() => req.resume());
        });
        req.on('end', () => res.end('done'));
      },
      { readBodyFirst: false },
    );
    const { body, expected } = reusedBufferBody(many);
    const result = await sfSend(context(server.url), { method: 'PUT', path: 'jobs/ingest/750X/batches', body });
    expect(result).toEqual({ status: 200, text: 'done' });
    const got = server.received[0] as Received;
    expect(got.body.length).toBe(expected.length);
    expect(sha256(got.body)).toBe(sha256(expected));
  });

  it('writes the body again from its start when the first attempt gets a 503', async () => {
    const server = await httpServer((_req, res, index) => {
      res.writeHead(index === 0 ? 503 : 200);
      res.end(index === 0 ? 'busy' : 'done');
    });
    const { body, expected, calls } = reusedBufferBody(sizes);
    const result = await sfSend(context(server.url), { method: 'PUT', path: 'jobs/ingest/750X/batches', body });
    expect(result).toEqual({ status: 200, text: 'done' });
    expect(calls()).toBe(2);
    expect(server.received).toHaveLength(2);
    for (const got of server.received) {
      expect(got.complete).toBe(true);
      expect(got.headers['content-length']).toBe(String(body.bytes));
      expect(got.body.equals(expected)).toBe(true);
    }
  });

  it('retries when the server answers 503 before reading the body, and the retry body is complete', async () => {
    const big = [1 << 20, 1 << 20, 1 << 20, 1 << 20, 777, 1 << 20];
    const server = await httpServer(
      (req, res, index) => {
        if (index === 0) {
          res.writeHead(503, { Connection: 'close' });
          res.end('busy', () => req.socket.destroy());
        } else {
          req.on('end', () => res.end('done'));
        }
      },
      { readBodyFirst: false },
    );
    const { body, expected, calls } = reusedBufferBody(big);
    const result = await sfSend(context(server.url), { method: 'PUT', path: 'jobs/ingest/750X/batches', body });
    expect(result).toEqual({ status: 200, text: 'done' });
    expect(calls()).toBe(2);
    expect(server.received).toHaveLength(2);
    const second = server.received[1] as Received;
    expect(second.complete).toBe(true);
    expect(second.body.equals(expected)).toBe(true);
  });

  it('renews the session on 401 and sends the body again with the new token', async () => {
    const server = await httpServer((req, res) => {
      if (req.headers.authorization === 'Bearer tok') {
        res.writeHead(401, { 'Content-Type': 'application/json' });
        res.end('[{"errorCode":"INVALID_SESSION_ID","message":"Session expired"}]');
      } else {
        res.writeHead(201);
        res.end();
      }
    });
    const ctx = context(server.url);
    (ctx.conn as unknown as { _refreshDelegate: { refresh(): Promise<void> } })._refreshDelegate = {
      refresh: async () => {
        ctx.conn.accessToken = 'new';
      },
    };
    const { body, expected } = reusedBufferBody([10, 20, 30]);
    expect(await sfSend(ctx, { method: 'POST', path: 'x', body })).toEqual({ status: 201, text: '' });
    expect(server.received.map((r) => r.headers.authorization)).toEqual(['Bearer tok', 'Bearer new']);
    expect((server.received[1] as Received).body.equals(expected)).toBe(true);
  });

  it('does not retry when writeTo throws a plain Error', async () => {
    const server = await httpServer((_req, res) => {
      res.writeHead(200);
      res.end('ok');
    });
    let calls = 0;
    const shared = Buffer.alloc(100, 0x61);
    const body: StreamedBody = {
      bytes: 1000,
      async writeTo(write) {
        calls++;
        await write(shared);
        await write(shared);
        throw new Error('the source file vanished');
      },
    };
    const error = await sfSend(context(server.url), { method: 'PUT', path: 'x', body }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SalesforceApiError);
    expect((error as Error).message).toMatch(/the source file vanished/);
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect((error as Error).cause).not.toBeInstanceOf(TransportError);
    expect(calls).toBe(1);
    expect(server.received.length).toBeLessThanOrEqual(1);
    expect(server.received.every((r) => !r.complete || r.body.length < 1000)).toBe(true);
  });

  it('does not retry when writeTo throws before writing anything', async () => {
    const server = await httpServer((_req, res) => {
      res.end('ok');
    });
    let calls = 0;
    const body: StreamedBody = {
      bytes: 10,
      async writeTo() {
        calls++;
        throw new Error('cannot open the source');
      },
    };
    await expect(sfSend(context(server.url), { method: 'POST', path: 'x', body })).rejects.toThrow(
      /cannot open the source/,
    );
    expect(calls).toBe(1);
    expect(server.received.length).toBeLessThanOrEqual(1);
  });
});

describe('getToFile over TLS', () => {
  // A self-signed certificate for localhost / 127.0.0.1, made for these tests only.
  const fixtures = new URL('./fixtures/', import.meta.url);
  const tlsServer = async (
    handler: (req: IncomingMessage, res: ServerResponse) => void,
  ): Promise<{ url: string; cert: Buffer }> => {
    const [key, cert] = await Promise.all([
      readFile(new URL('localhost-test-key.pem', fixtures)),
      readFile(new URL('localhost-test-cert.pem', fixtures)),
    ]);
    const server = createHttpsServer({ key, cert }, handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    return { url: `https://localhost:${(server.address() as AddressInfo).port}`, cert };
  };

  it('downloads a large body over TLS, trusting the given CA', async () => {
    const body = pseudoRandom(3 * 1024 * 1024 + 7, 99);
    let seen: IncomingMessage | undefined;
    const { url, cert } = await tlsServer((req, res) => {
      seen = req;
      res.writeHead(200, { 'Content-Type': 'text/csv' });
      // Many writes: TLS records of every size reach the client.
      let at = 0;
      const pump = (): void => {
        while (at < body.length) {
          const end = Math.min(body.length, at + 1000 + (at % 70_000));
          const more = res.write(body.subarray(at, end));
          at = end;
          if (!more) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const result = await download(
      `${url}/services/x?y=1`,
      { Authorization: 'Bearer t' },
      {
        dispatcher: new Agent({ connect: { ca: cert } }),
      },
    );
    expect(result.status).toBe(200);
    expect(result.bytes).toBe(body.length);
    expect(sha256(result.file)).toBe(sha256(body));
    // TLS reads (up to 16 KiB of clear text each) are freed once written too.
    expect(result.releasedBytes).toBeGreaterThan(body.length / 2);
    expect(seen?.url).toBe('/services/x?y=1');
    expect(seen?.headers.authorization).toBe('Bearer t');
  });

  it('refuses a certificate it cannot verify (as a transport failure)', async () => {
    const { url } = await tlsServer((_req, res) => res.end('never read'));
    const path = tempPath();
    const handle = await openFile(path);
    const error = await getToFile(`${url}/x`, {}, handle).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TransportError);
    expect(String((error as Error).message)).toMatch(/self[- ]signed|certificate/i);
    expect((await readFile(path)).length).toBe(0);
  });
});

describe('PieceCopies', () => {
  it('reuses a copy only once a socket slack of later pieces was taken, and holds a few buffers whatever the size', () => {
    const copies = new PieceCopies();
    const sizes = Array.from({ length: 200 }, (_, i) => [256 * 1024, 4096, 1 << 20, 1][i % 4] as number);
    const live: Array<{ copy: Buffer; end: number }> = [];
    let end = 0;
    for (const [i, size] of sizes.entries()) {
      // As undici does: it asks for piece i once pieces 0..i-1 are written.
      copies.taken = end;
      const copy = copies.copy(Buffer.alloc(size, i % 251));
      // No piece the socket may still hold shares memory with the new copy.
      for (const earlier of live) {
        if (earlier.end > end - SOCKET_SLACK_BYTES) expect(earlier.copy.buffer === copy.buffer).toBe(false);
      }
      expect(copy.length).toBe(size);
      expect([copy[0], copy[size - 1]]).toEqual([i % 251, i % 251]);
      end += size;
      live.push({ copy, end });
      if (live.length > 16) live.shift();
    }
    // 200 pieces, 65 MB: a handful of buffers (the slack and two pieces), not one a piece.
    expect(copies.made).toBeLessThanOrEqual(8);
  });
});
