import { seededRandom } from '@kicksaw/core';
import { describe, expect, it } from 'vitest';
import { rowHash } from '../src/hash.js';
import { writeRow, writtenHash } from '../src/line-writer.js';
import { csvLine } from '../src/part.js';

/** Pieces a cell is made of: plain text, numbers in every spelling, booleans, everything that forces quoting. */
const PIECES = [
  'a',
  'Zed',
  '42',
  '1.50',
  '-0',
  '007',
  '1e3',
  '.5',
  '+1',
  '1990-05-12',
  'true',
  'FALSE',
  'True',
  'false',
  ' ',
  '\t',
  '"',
  ',',
  '\n',
  '\r',
  '\r\n',
  'é',
  '€',
  '\u00a0',
  '\u2028',
  '\ufeff',
  '😀',
  '\ud800',
  '\udc00',
  '#N/A',
  '',
];

function randomCell(random: () => number): string {
  let cell = '';
  const pieces = Math.floor(random() * 4);
  for (let i = 0; i < pieces; i++) cell += PIECES[Math.floor(random() * PIECES.length)];
  return cell;
}

/** What the engine wrote before: the encoder's line, as Buffer.write encodes it, and rowHash of the cells. */
function expected(cells: string[]): { bytes: Buffer; hash: number } {
  return { bytes: Buffer.from(csvLine(cells)), hash: rowHash(cells) };
}

describe('writeRow', () => {
  it('writes the bytes of the encoder and hashes as rowHash does, for every kind of cell', () => {
    const random = seededRandom(18);
    const target = Buffer.alloc(4096);
    for (let round = 0; round < 20_000; round++) {
      const cells = Array.from({ length: 1 + Math.floor(random() * 5) }, () => randomCell(random));
      const want = expected(cells);
      const at = Math.floor(random() * 16);
      const bytes = writeRow(cells, target, at, target.length);
      expect(bytes, JSON.stringify(cells)).toBe(want.bytes.length);
      expect(target.subarray(at, at + bytes).equals(want.bytes), JSON.stringify(cells)).toBe(true);
      expect(writtenHash, JSON.stringify(cells)).toBe(want.hash);
    }
  });

  it('writes a row of one empty cell as "" (a blank line would be skipped by readers)', () => {
    const target = Buffer.alloc(16);
    expect(writeRow([''], target, 0, 16)).toBe(3);
    expect(target.subarray(0, 3).toString()).toBe('""\n');
    expect(writtenHash).toBe(rowHash(['']));
    expect(writeRow(['', ''], target, 0, 16)).toBe(2);
    expect(target.subarray(0, 2).toString()).toBe(',\n');
  });

  it('answers -1 when the line may not fit before the end, and writes it once there is room', () => {
    const cells = ['Acme', 'say "hi"', '€'];
    const want = expected(cells);
    const target = Buffer.alloc(64);
    expect(writeRow(cells, target, 0, want.bytes.length)).toBe(-1);
    expect(writeRow(cells, target, 40, 64)).toBe(-1);
    expect(writeRow(cells, target, 10, 64)).toBe(want.bytes.length);
    expect(target.subarray(10, 10 + want.bytes.length).equals(want.bytes)).toBe(true);
  });
});
