import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { RowOutcome } from '@kicksaw/core';

/**
 * Non-successful row outcomes kept on local disk as JSON lines (one outcome a line), so a run's
 * memory stays flat however many rows fail. The report is written from here at the end, and the
 * file can be parked in S3 when a run must be finished by a later invocation.
 *
 * @internal
 */
export class OutcomeSpool {
  #stream: WriteStream | undefined;
  #dir: string | undefined;
  #path: string | undefined;
  #count = 0;

  /** How many outcomes the spool holds. */
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

  /** Appends one outcome. */
  async write(outcome: RowOutcome): Promise<void> {
    const stream = this.#stream ?? (await this.#open());
    this.#count += 1;
    if (!stream.write(`${JSON.stringify(outcome)}\n`)) await once(stream, 'drain');
  }

  /** Appends the outcomes of a JSON-lines stream (a spool parked in S3 by an earlier invocation). */
  async load(body: Readable): Promise<void> {
    for await (const outcome of readJsonLines(body)) await this.write(outcome);
  }

  /** Flushes what was written so far. */
  async flush(): Promise<void> {
    const stream = this.#stream;
    if (!stream) return;
    if (stream.writableNeedDrain) await once(stream, 'drain');
    await new Promise<void>((resolve, reject) => stream.write('', (error) => (error ? reject(error) : resolve())));
  }

  /** Reads every outcome back, in the order written. */
  async *read(): AsyncGenerator<RowOutcome> {
    await this.flush();
    if (!this.#path) return;
    yield* readJsonLines(createReadStream(this.#path));
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

async function* readJsonLines(input: Readable): AsyncGenerator<RowOutcome> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    yield JSON.parse(line) as RowOutcome;
  }
}
