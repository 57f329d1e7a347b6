import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { RowOutcome, SalesforceRecord } from '@kicksaw/core';
import { RowSet } from './rows.js';

/** Values kept on local disk as JSON lines, one a line, read back in the order written. @internal */
class JsonLinesSpool<T> {
  #stream: WriteStream | undefined;
  #dir: string | undefined;
  #path: string | undefined;
  #count = 0;

  /** How many values the spool holds. */
  get count(): number {
    return this.#count;
  }

  async #open(): Promise<WriteStream> {
    if (this.#stream) return this.#stream;
    this.#dir = await mkdtemp(join(tmpdir(), 'kicksaw-outcomes-'));
    this.#path = join(this.#dir, `${randomUUID()}.jsonl`);
    await writeFile(this.#path, '');
    this.#stream = createWriteStream(this.#path, { flags: 'a' });
    return this.#stream;
  }

  /** Appends one value. */
  async write(value: T): Promise<void> {
    const stream = this.#stream ?? (await this.#open());
    this.#count += 1;
    if (!stream.write(`${JSON.stringify(value)}\n`)) await once(stream, 'drain');
  }

  /** Flushes what was written so far. */
  async flush(): Promise<void> {
    const stream = this.#stream;
    if (!stream) return;
    if (stream.writableNeedDrain) await once(stream, 'drain');
    await new Promise<void>((resolve, reject) => stream.write('', (error) => (error ? reject(error) : resolve())));
  }

  /** Reads every value back, in the order written. */
  async *read(): AsyncGenerator<T> {
    await this.flush();
    if (!this.#path) return;
    yield* readJsonLines<T>(createReadStream(this.#path));
  }

  /** Reads the spool as raw JSON-lines text chunks (for parking it in S3). */
  async *raw(): AsyncGenerator<Buffer> {
    await this.flush();
    if (!this.#path) return;
    for await (const chunk of createReadStream(this.#path)) yield chunk as Buffer;
  }

  /** Closes and deletes the local file. Safe to call twice. */
  async dispose(): Promise<void> {
    const stream = this.#stream;
    this.#stream = undefined;
    if (stream) {
      stream.end();
      await once(stream, 'close').catch(() => undefined);
    }
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
    this.#dir = undefined;
    this.#path = undefined;
  }
}

/**
 * Non-successful row outcomes kept on local disk as JSON lines (one outcome a line), so a run's
 * memory stays flat however many rows fail. The report is written from here at the end, and the
 * file can be parked in S3 when a run must be finished by a later invocation.
 *
 * @internal
 */
export class OutcomeSpool extends JsonLinesSpool<RowOutcome> {
  /** Appends the outcomes of a JSON-lines stream (a spool parked in S3 by an earlier invocation). */
  async load(body: Readable): Promise<void> {
    for await (const outcome of readJsonLines<RowOutcome>(body)) await this.write(outcome);
  }
}

/** A row read from the source but not sent, with the record it is sent as. */
export interface SpooledRow {
  row: number;
  line?: number | undefined;
  record: SalesforceRecord;
}

/**
 * Rows an invocation read but could not send (a deadline came, or their lock-error retries were cut
 * short), each with the record it is sent as, on local disk as JSON lines and parked in S3 beside the
 * run's state. The next invocation sends them first and then reads the file only from past them: rows
 * left behind early in the file no longer pull a takeover's reading pass back to the top.
 * Same file format and disk handling as {@link OutcomeSpool}, whose storage it reuses.
 *
 * @internal
 */
export class RowSpool {
  readonly #file = new JsonLinesSpool<SpooledRow>();
  /** The rows the spool holds. */
  readonly rows = new RowSet();

  get count(): number {
    return this.#file.count;
  }

  /** Appends a row unless the spool holds it already. */
  async write(entry: SpooledRow): Promise<void> {
    if (this.rows.has(entry.row)) return;
    this.rows.add(entry.row);
    await this.#file.write(entry);
  }

  /** Appends the rows of a spool parked in S3 by an earlier invocation. */
  async load(body: Readable): Promise<void> {
    for await (const entry of readJsonLines<SpooledRow>(body)) await this.write(entry);
  }

  async *read(): AsyncGenerator<SpooledRow> {
    yield* this.#file.read();
  }

  raw(): AsyncGenerator<Buffer> {
    return this.#file.raw();
  }

  dispose(): Promise<void> {
    return this.#file.dispose();
  }
}

async function* readJsonLines<T>(input: Readable): AsyncGenerator<T> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    yield JSON.parse(line) as T;
  }
}
