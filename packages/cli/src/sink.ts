import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Where rows go: stdout or a file written beside its final name and renamed at the end (never half-written). */
export class RowSink {
  private stream: NodeJS.WritableStream;
  private file: WriteStream | undefined;
  private temporary: string | undefined;

  constructor(
    stdout: NodeJS.WritableStream,
    private readonly path: string | undefined,
  ) {
    if (path) {
      this.temporary = `${path}.${process.pid}.partial`;
      this.file = createWriteStream(this.temporary);
      this.stream = this.file;
    } else {
      this.stream = stdout;
    }
  }

  async write(text: string): Promise<void> {
    if (!this.stream.write(text)) await once(this.stream, 'drain');
  }

  /** Ends the file and gives it its name. */
  async commit(): Promise<void> {
    if (!this.file || !this.temporary || !this.path) return;
    this.file.end();
    await once(this.file, 'close');
    await rename(this.temporary, this.path);
  }

  /** Drops a file that was not finished. */
  async discard(): Promise<void> {
    if (!this.file || !this.temporary) return;
    this.file.destroy();
    await rm(this.temporary, { force: true });
  }

  get folder(): string | undefined {
    return this.path ? dirname(this.path) : undefined;
  }
}

/** The output formats of rows. */
export type RowFormat = 'csv' | 'json' | 'ndjson' | 'table';

const CSV = { delimiter: ',', lineEnding: '\n', neutralizeFormulas: false };

/** `@kicksaw/error-report`'s `encodeLine`: passed in so that it loads only when rows are written. */
export type EncodeLine = (cells: readonly unknown[], format: typeof CSV) => string;

/** Writes records in a format, header first for CSV; `table` aligns a first batch of rows, then keeps its widths. */
export class RowWriter {
  private columns: string[] | undefined;
  private rows = 0;
  private pendingTable: Array<Record<string, unknown>> | undefined;
  private widths: number[] = [];

  constructor(
    private readonly sink: RowSink,
    private readonly format: RowFormat,
    private readonly encodeLine: EncodeLine,
    columns?: string[],
  ) {
    this.columns = columns;
    if (format === 'table') this.pendingTable = [];
  }

  get count(): number {
    return this.rows;
  }

  async write(record: Record<string, unknown>): Promise<void> {
    this.rows += 1;
    if (!this.columns || this.columns.length === 0) this.columns = Object.keys(record);
    switch (this.format) {
      case 'csv':
        if (this.rows === 1) await this.sink.write(this.encodeLine(this.columns, CSV));
        await this.sink.write(
          this.encodeLine(
            this.columns.map((c) => record[c]),
            CSV,
          ),
        );
        return;
      case 'ndjson':
        await this.sink.write(`${JSON.stringify(record)}\n`);
        return;
      case 'json':
        await this.sink.write(`${this.rows === 1 ? '[\n' : ',\n'}${JSON.stringify(record)}`);
        return;
      case 'table':
        if (this.pendingTable) {
          this.pendingTable.push(record);
          if (this.pendingTable.length >= 200) await this.flushTable();
        } else await this.sink.write(this.tableLine(record));
    }
  }

  async end(): Promise<void> {
    if (this.format === 'json') await this.sink.write(this.rows === 0 ? '[]\n' : '\n]\n');
    if (this.format === 'csv' && this.rows === 0 && this.columns?.length)
      await this.sink.write(this.encodeLine(this.columns, CSV));
    if (this.format === 'table') await this.flushTable();
  }

  private async flushTable(): Promise<void> {
    const pending = this.pendingTable;
    if (!pending) return;
    this.pendingTable = undefined;
    const columns = this.columns ?? [];
    this.widths = columns.map((c) => Math.min(60, Math.max(c.length, ...pending.map((r) => text(r[c]).length))));
    await this.sink.write(
      `${columns
        .map((c, i) => c.padEnd(this.widths[i] ?? 0))
        .join('  ')
        .trimEnd()}\n`,
    );
    await this.sink.write(`${this.widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
    for (const record of pending) await this.sink.write(this.tableLine(record));
  }

  private tableLine(record: Record<string, unknown>): string {
    const columns = this.columns ?? [];
    return `${columns
      .map((c, i) => {
        const w = this.widths[i] ?? 0;
        const t = text(record[c]);
        return (t.length > w ? `${t.slice(0, Math.max(0, w - 1))}…` : t).padEnd(w);
      })
      .join('  ')
      .trimEnd()}\n`;
  }
}

function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** The columns a simple `SELECT a, b.c FROM ...` names (none for subqueries or functions with commas). */
export function selectedColumns(soql: string): string[] | undefined {
  const match = /^\s*select\s+([\s\S]+?)\s+from\s/i.exec(soql);
  if (!match || /\(/.test(match[1] as string)) return undefined;
  return (match[1] as string)
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
}
