/**
 * Frees the memory of a typed array the engine made itself and no longer uses, at once, instead of leaving it to a
 * full garbage collection.
 *
 * Why: a large typed array keeps its bytes outside the JS heap. The engine's per-job arrays (a job's reconciliation
 * index, its sort's scratch, a key set outgrown) live for seconds, long enough to be moved to V8's old generation,
 * and the old generation of a run is small, so nothing calls a full collection for a long time: in a traced
 * 1,000,000-row ingest the buffers outside the heap rose from 0 to 62 MB over 33 s, about 5 MB a job, and fell to 11
 * MB at the one full collection near the end; the C allocator kept the pages, so they stayed in the resident memory.
 *
 * How: `ArrayBuffer.prototype.transfer(0)` detaches the buffer, which releases its memory. Only an array that is the
 * whole of its own buffer is freed (not a view into a buffer shared with other views, such as Node's small-`Buffer`
 * pool), and only above 4 KiB (smaller arrays may live inside the JS heap). After the call every view of that buffer
 * reads as empty: call it only on an array nothing reads any more.
 *
 * @internal
 */
export function freeNow(array: ArrayBufferView | undefined): void {
  if (array === undefined) return;
  const buffer = array.buffer;
  if (array.byteOffset !== 0 || array.byteLength !== buffer.byteLength || buffer.byteLength < 4096) return;
  detach(buffer);
}

/**
 * Detaches `buffer` (`ArrayBuffer.prototype.transfer(0)`), which releases its memory at once; true when it did. A
 * buffer that is not a plain `ArrayBuffer`, is detached already or cannot be detached is left to the garbage collector.
 * Every view of a detached buffer reads as empty: the caller must own the buffer and be done with it.
 *
 * @internal
 */
export function detach(buffer: ArrayBufferLike): boolean {
  const own = buffer as DetachableBuffer;
  if (!(own instanceof ArrayBuffer) || own.detached) return false;
  try {
    own.transfer(0);
    return true;
  } catch {
    return false;
  }
}

/** ES2024's `transfer` and `detached` (Node 22 has them; the project's TypeScript lib is ES2023). */
type DetachableBuffer = ArrayBuffer & { readonly detached: boolean; transfer(length: number): ArrayBuffer };
