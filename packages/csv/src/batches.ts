import { chunk } from '@kicksaw/core';

/** An async iterable that can also hand out its items in arrays, which saves a promise per item. */
export interface Batched<T> extends AsyncIterable<T> {
  /** The same items, in arrays (one per source chunk). Iterate either this or the items, once. */
  batches(): AsyncIterable<T[]>;
}

const SYNC_BATCH = 1024;

/** The batches of a {@link Batched} source, or of any iterable (one item per batch for plain async iterables). */
export async function* batchesOf<T>(source: AsyncIterable<T> | Iterable<T>): AsyncGenerator<T[], void, undefined> {
  const batched = source as Partial<Batched<T>>;
  if (typeof batched.batches === 'function') {
    yield* batched.batches();
    return;
  }
  if (Symbol.asyncIterator in source) {
    for await (const item of source) yield [item];
    return;
  }
  yield* chunk(source, SYNC_BATCH);
}

/** An async iterator over the items of batches: items already in hand cost no generator resume. */
export function flatIterator<T>(batches: AsyncIterable<T[]>): AsyncIterableIterator<T> {
  const it = batches[Symbol.asyncIterator]();
  let current: T[] = [];
  let index = 0;
  let done = false;
  const pull = async (): Promise<IteratorResult<T, undefined>> => {
    for (;;) {
      const next = await it.next();
      if (next.done) {
        done = true;
        current = [];
        return { value: undefined, done: true };
      }
      if (next.value.length > 0) {
        current = next.value;
        index = 1;
        return { value: current[0] as T, done: false };
      }
    }
  };
  return {
    next() {
      if (index < current.length) return Promise.resolve({ value: current[index++] as T, done: false });
      if (done) return Promise.resolve({ value: undefined, done: true });
      return pull();
    },
    async return(value?: unknown) {
      done = true;
      current = [];
      await it.return?.();
      return { value: value as undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
