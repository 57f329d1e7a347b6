function assertSize(size: number): void {
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`chunk size must be a whole number of at least 1, got ${String(size)}`);
  }
}

/**
 * Splits an iterable into arrays of at most `size` items, lazily (`batch_collection` in
 * the Python kicksaw-integration-utils).
 * A sync iterable gives a sync generator; an async iterable (a stream of rows) gives an async one,
 * so memory holds one chunk at a time. An empty input gives no chunks.
 *
 * @example
 * ```ts
 * [...chunk([1, 2, 3, 4, 5], 2)]; // [[1, 2], [3, 4], [5]]
 * for await (const batch of chunk(readRows(), 200)) await send(batch);
 * ```
 */
export function chunk<T>(items: Iterable<T>, size: number): Generator<T[], void, undefined>;
export function chunk<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[], void, undefined>;
export function chunk<T>(
  items: Iterable<T> | AsyncIterable<T>,
  size: number,
): Generator<T[], void, undefined> | AsyncGenerator<T[], void, undefined> {
  assertSize(size);
  if (Symbol.asyncIterator in items) return chunkAsync(items, size);
  return chunkSync(items, size);
}

function* chunkSync<T>(items: Iterable<T>, size: number): Generator<T[], void, undefined> {
  let batch: T[] = [];
  for (const item of items) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

async function* chunkAsync<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[], void, undefined> {
  let batch: T[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * Keeps the first item for each key and drops later ones with the same key (`dedupe` in the
 * Python kicksaw-integration-utils), preserving order. `key` is a property name or a function. Keys compare with `SameValueZero`
 * (as `Set` does): `1` and `'1'` differ.
 *
 * @example
 * ```ts
 * dedupeBy([{ id: 1 }, { id: 1 }, { id: 2 }], 'id'); // [{ id: 1 }, { id: 2 }]
 * const contacts = [{ Email: 'Ann@Acme.com' }, { Email: 'ann@acme.com' }, {}];
 * dedupeBy(contacts, (c: { Email?: string }) => c.Email?.toLowerCase()); // [{ Email: 'Ann@Acme.com' }, {}]
 * ```
 */
export function dedupeBy<T, K extends keyof T>(items: Iterable<T>, key: K): T[];
export function dedupeBy<T>(items: Iterable<T>, key: (item: T) => unknown): T[];
export function dedupeBy<T>(items: Iterable<T>, key: keyof T | ((item: T) => unknown)): T[] {
  const keyOf = typeof key === 'function' ? key : (item: T) => item[key];
  const seen = new Set<unknown>();
  const out: T[] = [];
  for (const item of items) {
    const value = keyOf(item);
    if (seen.has(value)) continue;
    seen.add(value);
    out.push(item);
  }
  return out;
}

/**
 * Calls `fn` for every item, at most `concurrency` calls at once, started in the items' order; resolves when
 * every call has ended. A call that throws rejects the whole at once (calls already running are not awaited),
 * so a caller that must see every outcome catches inside `fn`.
 *
 * @throws RangeError when `concurrency` is not a whole number of at least 1.
 * @example
 * ```ts
 * await forEachConcurrently(keys, 4, async (key) => {
 *   await copy(key);
 * });
 * ```
 */
export async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a whole number of at least 1, got ${String(concurrency)}`);
  }
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
