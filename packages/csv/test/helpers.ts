import type { CsvRow } from '../src/index.js';

/** An async iterable that yields `data` in chunks of `size` bytes (to cross every boundary). */
export async function* chunks(data: string | Buffer, size = 1 << 16): AsyncGenerator<Buffer> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** Collects every item of an async iterable. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Records only (throws when a row is a problem). */
export function recordsOf(rows: CsvRow[]): Array<Record<string, string>> {
  return rows.map((item) => {
    if ('problem' in item) throw new Error(`row ${item.row} is a problem: ${item.problem.message}`);
    return item.record;
  });
}
