import { describe, expect, it } from 'vitest';
import { Channel } from '../src/channel.js';

describe('Channel', () => {
  it('asks the writer to wait only past its capacity, and lets it go once the reader took half', async () => {
    const channel = new Channel<number>(4);
    const waits: Array<Promise<void> | undefined> = [];
    for (let i = 0; i < 6; i++) waits.push(channel.push(i));
    expect(waits.slice(0, 4)).toEqual([undefined, undefined, undefined, undefined]);
    expect(waits[4]).toBeInstanceOf(Promise);
    expect(waits[5]).toBeInstanceOf(Promise);
    let released = false;
    void waits[4]?.then(() => {
      released = true;
    });
    const reader = channel.iterate();
    for (let i = 0; i < 3; i++) expect(await reader.next()).toEqual({ done: false, value: i });
    await Promise.resolve();
    expect(released).toBe(false); // 3 left: more than half the capacity
    expect(await reader.next()).toEqual({ done: false, value: 3 });
    await Promise.all([waits[4], waits[5]]);
    expect(released).toBe(true);
    channel.close();
    const rest: number[] = [];
    for await (const item of reader) rest.push(item);
    expect(rest).toEqual([4, 5]);
    expect(await reader.next()).toEqual({ done: true, value: undefined });
  });

  it('wakes a waiting reader on push and on close, and ends after a failure', async () => {
    const channel = new Channel<string>(8);
    const reader = channel.iterate();
    const first = reader.next();
    channel.push('a');
    expect(await first).toEqual({ done: false, value: 'a' });
    const second = reader.next();
    const failure = new Error('input broke');
    channel.close(failure);
    await expect(second).rejects.toBe(failure);
    expect(await reader.next()).toEqual({ done: true, value: undefined });
  });

  it('yields nothing more after a break, and drops everything once drained', async () => {
    const channel = new Channel<number>(2);
    for (let i = 0; i < 2; i++) channel.push(i);
    for await (const item of channel.iterate()) {
      expect(item).toBe(0);
      break;
    }
    expect(channel.push(2)).toBeUndefined();
    const writer = channel.push(3);
    expect(writer).toBeInstanceOf(Promise);
    channel.drain();
    await writer;
    expect(channel.push(4)).toBeUndefined();
  });
});
