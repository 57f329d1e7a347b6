import type { FileHandle } from 'node:fs/promises';
import { type Readable, Writable } from 'node:stream';
import { Agent, type Dispatcher, EnvHttpProxyAgent, ProxyAgent, request, stream } from 'undici';
import { TransportError } from './errors.js';
import { writeAll } from './file-io.js';
import { detach } from './free-now.js';
import type { SalesforceConnection } from './session.js';

/**
 * The one HTTP transport of the package: logins, job calls, uploads and result downloads all go
 * through undici (the library Node's own `fetch` is built on) with one pooled dispatcher per proxy
 * setting. Why undici and not a hand-written client: it keeps connections alive and pooled, honours
 * `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` (`EnvHttpProxyAgent`) and streams request and answer
 * bodies with back-pressure; the hand-written HTTP/1.1 client it replaced saved about 10 MB of peak
 * RSS (inside the run-to-run noise) and could not go through a proxy. See the README's transport
 * section for what was measured.
 *
 * Why one file of about 450 lines: dispatchers, request bodies (`pieceStream`, `PieceCopies`) and answer bodies
 * (`getToFile`, `readText`) are the two directions of the same undici calls and share their error mapping
 * (`asTransportError`); split apart, each half would import the other's internals.
 */

/** Transport settings of a connection (given to {@link connect} as `proxy`). */
export interface TransportSettings {
  /** A proxy URL for every call of this connection, over `HTTPS_PROXY` / `HTTP_PROXY` (and `NO_PROXY`). */
  proxy?: string | undefined;
}

/**
 * Connections kept per origin. The engine bounds what is open at once (one call at a time per job in
 * flight, `maxConcurrentJobs`, plus its result downloads); this cap only stops a fault from opening
 * sockets without bound. Idle sockets stay open `KEEP_ALIVE_MS` for the next call of the run.
 */
const CONNECTIONS_PER_ORIGIN = 64;
const KEEP_ALIVE_MS = 10_000;

const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY', 'no_proxy', 'NO_PROXY'] as const;

const dispatchers = new Map<string, Dispatcher>();
const settingsOf = new WeakMap<object, TransportSettings>();

/** Remembers the transport settings of a connection made by {@link connect}. @internal */
export function setTransportSettings(conn: SalesforceConnection, settings: TransportSettings): void {
  if (settings.proxy) settingsOf.set(conn, settings);
}

/**
 * The pooled dispatcher for a connection (or the settings of a login): a keep-alive `Agent`, or an `EnvHttpProxyAgent` when a proxy
 * variable is set (read on each call, so a change of the environment takes effect), or a
 * `ProxyAgent` for a connection given an explicit `proxy`. One dispatcher per setting, shared by
 * every call of the process.
 *
 * @internal
 */
export function dispatcherFor(target?: SalesforceConnection | TransportSettings): Dispatcher {
  const explicit = target ? (settingsOf.get(target)?.proxy ?? (target as TransportSettings).proxy) : undefined;
  const env = PROXY_VARIABLES.map((name) => process.env[name] ?? '');
  const key = explicit ? `proxy ${explicit}` : env.some((value) => value !== '') ? `env ${env.join(' ')}` : 'direct';
  let dispatcher = dispatchers.get(key);
  if (!dispatcher) {
    const pool = { connections: CONNECTIONS_PER_ORIGIN, keepAliveTimeout: KEEP_ALIVE_MS };
    if (explicit) dispatcher = new ProxyAgent({ uri: explicit, ...pool });
    else if (key === 'direct') dispatcher = new Agent(pool);
    else dispatcher = new EnvHttpProxyAgent(pool);
    dispatchers.set(key, dispatcher);
  }
  return dispatcher;
}

/** The answer of {@link send}: the status, lower-cased headers, and the body as a stream (read or dumped by the caller). */
export interface TransportAnswer {
  status: number;
  ok: boolean;
  headers: Record<string, string>;
  body: AsyncIterable<Uint8Array> & { text(): Promise<string>; dump(): Promise<void> };
}

/**
 * A request body written piece by piece: `writeTo` is called once per attempt, and `write` resolves
 * once the transport has taken the piece (it keeps a copy, so the caller may reuse its buffer).
 */
export interface PieceBody {
  /** Exact length in bytes (sent as Content-Length). */
  bytes: number;
  writeTo(write: (piece: Uint8Array) => Promise<void>): Promise<void>;
}

/** What {@link send} sends. */
export interface TransportRequest {
  method: string;
  headers?: Record<string, string> | undefined;
  body?: string | Uint8Array | PieceBody | undefined;
  /** Milliseconds without progress (waiting for the answer's head, or between body pieces). Default 300,000. */
  idleTimeoutMs?: number | undefined;
  /** Dispatcher to use instead of the connection's (tests, a private CA). */
  dispatcher?: Dispatcher | undefined;
}

/**
 * Sends one request (no retries: see `withSession` in http.ts) and resolves once the answer's head is in.
 * Rejects with {@link TransportError} for a network failure; with the body's own error when producing
 * a {@link PieceBody} failed; with a plain `Error` for what a retry cannot mend (a header with a line break).
 *
 * @internal
 */
export async function send(
  url: string,
  req: TransportRequest,
  target?: SalesforceConnection | TransportSettings,
): Promise<TransportAnswer> {
  const headers = req.headers ?? {};
  checkRequest(url, headers);
  const idle = req.idleTimeoutMs ?? 300_000;
  const piece = req.body && typeof req.body === 'object' && 'writeTo' in req.body ? req.body : undefined;
  const stream = piece ? pieceStream(piece) : undefined;
  try {
    const answer = await request(url, {
      method: req.method as Dispatcher.HttpMethod,
      headers: piece ? { ...headers, 'content-length': String(piece.bytes) } : headers,
      // undici sends an async iterable body with back-pressure (its types name only Readable).
      body: stream ? (stream.iterable as unknown as Readable) : (req.body as string | Uint8Array | undefined),
      dispatcher: req.dispatcher ?? dispatcherFor(target),
      headersTimeout: idle,
      bodyTimeout: idle,
    });
    stream?.answered();
    return {
      status: answer.statusCode,
      ok: answer.statusCode >= 200 && answer.statusCode < 300,
      headers: flatHeaders(answer.headers),
      body: answer.body,
    };
  } catch (error) {
    stream?.answered();
    if (stream?.failure() && stream.failure() === error) throw error;
    if (stream?.failure() && !(stream.failure() instanceof TransportError)) throw stream.failure();
    throw asTransportError(error, 'head', idle);
  }
}

/** Refuses, before anything is sent, what no retry can mend: another protocol, a header with a line break. */
function checkRequest(url: string, headers: Record<string, string>): void {
  const protocol = new URL(url).protocol;
  if (protocol !== 'https:' && protocol !== 'http:') throw new Error(`Unsupported protocol ${protocol}`);
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new Error(`Header ${name} holds a line break`);
  }
}

/**
 * A network-side error as a {@link TransportError} that says what broke: the answer's head or body cut
 * off, no data within the idle time, an answer that is not HTTP. An argument error of undici stays as it is.
 *
 * @internal
 */
export function asTransportError(error: unknown, phase: 'head' | 'body' = 'head', idleMs = 300_000): Error {
  if (error instanceof TransportError) return error;
  const e = error as { code?: string; message?: string };
  const code = e?.code ?? '';
  const detail = e?.message || String(error);
  if (code === 'UND_ERR_INVALID_ARG') return error as Error;
  let message = detail;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') message = `no data for ${idleMs} ms`;
  else if (code.startsWith('HPE_') || (error as Error)?.name === 'HTTPParserError')
    message = `not an HTTP answer, or a malformed one (${detail})`;
  else if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
    message = `the connection closed before the answer ${phase} ended (${detail})`;
  }
  return new TransportError(message, { cause: error });
}

function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * Bytes of what undici has written that the socket may still hold when undici asks for the next piece. undici
 * (client-h1 `writeIterable`) writes a piece and, when `socket.write` returns false, waits for 'drain' before it
 * asks for the next: so at each ask the socket holds less than its high-water mark (16 or 64 KiB in Node) of the
 * end of what was written. 1 MiB leaves a wide margin above any socket's high-water mark.
 */
export const SOCKET_SLACK_BYTES = 1 << 20;

/**
 * The copies of one request body's pieces, in a few buffers reused once the socket is done with them: a buffer
 * is taken again only when at least {@link SOCKET_SLACK_BYTES} of later pieces had been written before undici's
 * latest ask. Why not a fresh copy a piece (as before): a 100 MB job uploaded in 256 KiB pieces left 100 MB of
 * dead buffers outside the JS heap, freed only by a garbage collection, which external memory hurries only
 * once tens of MB have piled up: that pile was much of a run's peak RSS. Here an upload holds about
 * `SOCKET_SLACK_BYTES` plus two pieces, whatever its size. Each request (each attempt) has buffers of its own, so
 * a socket torn down mid-body can never be sent bytes of a later attempt.
 *
 * @internal
 */
export class PieceCopies {
  private readonly used: Array<{ buffer: Buffer; end: number }> = [];
  private readonly free: Buffer[] = [];
  private copied = 0;
  /** Bytes of the pieces undici had taken when it last asked for one. */
  taken = 0;
  /** Buffers made (for tests). */
  made = 0;

  copy(piece: Uint8Array): Buffer {
    const flushed = this.taken - SOCKET_SLACK_BYTES;
    while (this.used.length > 0 && (this.used[0] as { end: number }).end <= flushed) {
      this.free.push((this.used.shift() as { buffer: Buffer }).buffer);
    }
    let buffer = this.free.pop();
    if (buffer === undefined || buffer.length < piece.length) {
      buffer = Buffer.allocUnsafeSlow(Math.max(piece.length, 64 * 1024));
      this.made++;
    }
    buffer.set(piece);
    this.copied += piece.length;
    this.used.push({ buffer, end: this.copied });
    return buffer.subarray(0, piece.length);
  }
}

/**
 * A {@link PieceBody} as the async iterable undici reads: `write(piece)` copies the piece (into
 * {@link PieceCopies}) and resolves once undici has taken it, so the writer is at most one piece ahead
 * (back-pressure: undici asks for a piece only when the socket has drained). The copy is needed because undici
 * hands the piece to the socket, which may still hold it after asking for more, while the caller refills the
 * same buffer.
 *
 * One function on purpose: it is a hand-off between two loops (the writer's and undici's) that runs once a
 * piece, and its closures share the hand-off's state (the waiting reader, the pending piece, the paused
 * writer, the stop reason); split apart, that state would have to travel through every call.
 */
function pieceStream(body: PieceBody): {
  iterable: AsyncIterable<Uint8Array>;
  answered(): void;
  failure(): unknown;
} {
  type Next = { piece?: Uint8Array; done?: boolean; error?: unknown };
  let waiting: ((next: Next) => void) | undefined;
  let pending: Next | undefined;
  let resume: (() => void) | undefined;
  let stopped: Error | undefined;
  let failed: unknown;
  const offer = (next: Next): void => {
    if (waiting) {
      const take = waiting;
      waiting = undefined;
      take(next);
    } else pending = next;
  };
  const stop = (error: Error): void => {
    stopped ??= error;
    const wake = resume;
    resume = undefined;
    wake?.();
  };
  let started = false;
  const copies = new PieceCopies();
  let returned = 0;
  const start = (): void => {
    if (started) return;
    started = true;
    body
      .writeTo(async (piece) => {
        if (stopped) throw stopped;
        await new Promise<void>((done) => {
          resume = done;
          offer({ piece: copies.copy(piece) });
        });
        if (stopped) throw stopped;
      })
      .then(
        () => offer({ done: true }),
        (error: unknown) => {
          failed ??= error;
          offer({ error });
        },
      );
  };
  const iterable: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]() {
      start();
      return {
        async next() {
          // Asked for the next piece: the previous one was taken (written to the socket).
          copies.taken = returned;
          const wake = resume;
          resume = undefined;
          wake?.();
          const next =
            pending ??
            (await new Promise<Next>((take) => {
              waiting = take;
            }));
          pending = undefined;
          if (next.error !== undefined) throw next.error;
          if (next.done) return { done: true, value: undefined };
          returned += (next.piece as Uint8Array).length;
          return { done: false, value: next.piece as Uint8Array };
        },
        async return() {
          stop(new TransportError('the request ended before its body was written'));
          return { done: true, value: undefined };
        },
      };
    },
  };
  return {
    iterable,
    answered: () => stop(new TransportError('the request ended before its body was written')),
    failure: () => failed,
  };
}

/** The answer of {@link getToFile}. For a non-2xx status the body is in `text()`, not in the file. */
export interface GetToFileAnswer {
  status: number;
  ok: boolean;
  headers: Record<string, string>;
  /** Body bytes written to the file. */
  bytes: number;
  /** Bytes of socket reads freed once written (see {@link ReadRelease}); for tests. @internal */
  releasedBytes: number;
  text(): Promise<string>;
}

/** Options of {@link getToFile}. */
export interface GetToFileOptions {
  /** Milliseconds without any socket activity before the attempt fails. Default 300,000. */
  idleTimeoutMs?: number | undefined;
  /** Dispatcher to use instead of the connection's (tests, a private CA). */
  dispatcher?: Dispatcher | undefined;
  /** The connection whose proxy setting applies. */
  conn?: SalesforceConnection | undefined;
}

/** How much of a non-2xx answer's text is kept for its error message (1 MiB); a 2xx answer is read whole. */
export const ERROR_TEXT_CHARS = 1 << 20;

/**
 * Sends `GET url` with `headers` and writes a 2xx body to `file` (from its current position), each
 * piece written before the next is read (back-pressure: undici stops reading the socket while the
 * file write is pending; no piece is kept). Rejects with {@link TransportError} when the connection
 * fails or ends early, with the file's own error, or with a plain `Error` for what a retry cannot
 * mend (a header with a line break; a content-encoded 2xx body, as no encoding is asked for).
 *
 * @internal
 */
export async function getToFile(
  url: string,
  headers: Record<string, string>,
  file: FileHandle,
  options: GetToFileOptions = {},
): Promise<GetToFileAnswer> {
  checkRequest(url, headers);
  const idle = options.idleTimeoutMs ?? 300_000;
  let answer: { status: number; headers: Record<string, string> } | undefined;
  let sink: FileSink | TextSink | undefined;
  try {
    // `stream` hands each piece of the answer straight to the sink (no intermediate Readable): the
    // sink writes it to the file before it takes the next (back-pressure), so undici stops reading
    // the socket while the disk is behind; pieces that piled up meanwhile go out in one writev.
    await stream(
      url,
      {
        method: 'GET',
        headers,
        dispatcher: options.dispatcher ?? dispatcherFor(options.conn),
        headersTimeout: idle,
        bodyTimeout: idle,
      },
      ({ statusCode, headers: raw }) => {
        answer = { status: statusCode, headers: flatHeaders(raw) };
        const encoding = answer.headers['content-encoding']?.trim().toLowerCase();
        if (statusCode >= 200 && statusCode < 300 && encoding && encoding !== 'identity') {
          throw new Error(`The answer is ${encoding}-encoded, which was not asked for`);
        }
        sink = statusCode >= 200 && statusCode < 300 ? new FileSink(file) : new TextSink();
        return sink;
      },
    );
  } catch (error) {
    if (sink instanceof FileSink && sink.failure !== undefined) throw sink.failure;
    if (error instanceof Error && /-encoded, which was not asked for$/.test(error.message)) throw error;
    throw asTransportError(error, answer ? 'body' : 'head', idle);
  }
  const got = answer as { status: number; headers: Record<string, string> };
  const ok = got.status >= 200 && got.status < 300;
  const text = sink instanceof TextSink ? sink.text() : '';
  return {
    status: got.status,
    ok,
    headers: got.headers,
    bytes: sink instanceof FileSink ? sink.bytes : 0,
    releasedBytes: sink instanceof FileSink ? sink.reads.released : 0,
    text: async () => text,
  };
}

/**
 * Frees the memory of the socket reads an answer body came in as soon as they are written, instead of leaving it to
 * a garbage collection. Each socket read is a fresh buffer outside the JS heap (Node allocates one a read; undici
 * hands out views of it as the body's pieces), and a download does almost no JS work of its own, so no collection
 * comes while it runs: a job's result sets (about 19 MB for 100,000 rows) piled up whole before the next
 * collection, which set the run's peak RSS (the allocator keeps the pages). A read is freed by detaching its
 * buffer (`ArrayBuffer.prototype.transfer(0)`, which releases the memory at once) when a piece that ends at the
 * buffer's end has been written: undici has then parsed the read to its end, so no part of it waits on the socket
 * (a rest that undici puts back when the sink asks it to pause lies before that end), its header and trailer views
 * were read before, and every earlier piece of it was written first. A read whose last bytes are not body (chunked
 * framing, the end of the answer) is left to the garbage collector. Buffers of `Buffer.poolSize` bytes or less are
 * never detached: small `Buffer.allocUnsafe` buffers (which a socket joins reads into) are slices of a shared pool.
 *
 * @internal
 */
export class ReadRelease {
  /** Bytes freed (for tests). */
  released = 0;

  /** Called with each piece once it is written, in the order the pieces came. */
  written(piece: Uint8Array): void {
    const buffer = piece.buffer;
    if (
      piece.byteOffset + piece.byteLength !== buffer.byteLength ||
      buffer.byteLength <= Math.max(Buffer.poolSize, 8192)
    ) {
      return;
    }
    const size = buffer.byteLength;
    if (detach(buffer)) this.released += size;
  }
}

/** Writes an answer body to a file handle, at its current position; keeps the file's own error apart. */
class FileSink extends Writable {
  bytes = 0;
  failure: unknown;
  readonly reads = new ReadRelease();
  constructor(private readonly file: FileHandle) {
    super({ highWaterMark: 256 * 1024 });
  }
  override _writev(chunks: Array<{ chunk: Buffer }>, done: (error?: Error | null) => void): void {
    this.writeAllOf(chunks.map((c) => c.chunk)).then(() => done(), done);
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.writeAllOf([chunk]).then(() => done(), done);
  }
  private async writeAllOf(pieces: Buffer[]): Promise<void> {
    try {
      const total = pieces.reduce((sum, piece) => sum + piece.length, 0);
      const { bytesWritten } = await this.file.writev(pieces);
      if (bytesWritten < total) {
        // A short write: the rest, piece by piece from where it stopped.
        const rest = Buffer.concat(pieces).subarray(bytesWritten);
        await writeAll(this.file, rest, rest.length);
      }
      this.bytes += total;
      for (const piece of pieces) this.reads.written(piece);
    } catch (error) {
      this.failure ??= error;
      throw error;
    }
  }
}

/** Keeps the (small) text of a non-2xx answer, at most 1 MiB of it. */
class TextSink extends Writable {
  private readonly decoder = new TextDecoder();
  private out = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.out.length < ERROR_TEXT_CHARS) this.out += this.decoder.decode(chunk, { stream: true });
    done();
  }
  text(): string {
    return this.out + this.decoder.decode();
  }
}

/**
 * The text of an answer body, whole (a JSON answer must be), or its first `limit` characters (an error answer's
 * text: see {@link ERROR_TEXT_CHARS}); a broken body is a {@link TransportError}.
 */
export async function readText(body: AsyncIterable<Uint8Array>, limit = Number.POSITIVE_INFINITY): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  try {
    for await (const piece of body) {
      // Past the limit (an error answer's text) the rest is read and dropped, so the connection stays usable.
      if (text.length < limit) text += decoder.decode(piece, { stream: true });
    }
  } catch (error) {
    throw asTransportError(error, 'body');
  }
  return text + decoder.decode();
}
