import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { seededRandom } from '@kicksaw/core';
import { describe, expect, it } from 'vitest';
import { chunkPool } from '../src/buffer-pool.js';
import { readCsvRecords } from '../src/csv-reader.js';
import { freeNow } from '../src/free-now.js';
import { canonicalCell, rowHash } from '../src/index.js';
import { firstHash, giveKeySet, KeySet, reverseHash53, takeKeySet } from '../src/key-set.js';
import { cellOf, csvLine, PartBuilder, quoteCell } from '../src/part.js';
import { RowIndex } from '../src/row-index.js';

describe('content hashing', () => {
  it('tolerates the normalizations Salesforce applies to echoed values', () => {
    expect(canonicalCell(' 42.50 ')).toBe('42.5');
    expect(canonicalCell('TRUE')).toBe('true');
    expect(canonicalCell('a\r\nb')).toBe('a\nb');
    expect(rowHash(['Acme', '1.0', 'True'])).toBe(rowHash(['Acme ', '1', 'true']));
    expect(rowHash(['Acme', '1'])).not.toBe(rowHash(['acme', '1']));
    expect(rowHash(['a', 'bc'])).not.toBe(rowHash(['ab', 'c']));
    expect(rowHash(['00123'])).toBe(rowHash(['123']));
  });
});

describe('RowIndex', () => {
  it('matches results to rows by content, each duplicate once', () => {
    const index = new RowIndex(2);
    const rows = [
      ['a', '1'],
      ['b', '2'],
      ['a', '1'],
      ['c', '3'],
    ];
    rows.forEach((cells, i) => {
      index.add(rowHash(cells), 10 + i, 1);
    });
    index.seal();
    const first = index.take(rowHash(['a', '1']));
    const second = index.take(rowHash(['a', '1']));
    expect(new Set([index.rowAt(first), index.rowAt(second)])).toEqual(new Set([10, 12]));
    expect(index.take(rowHash(['a', '1']))).toBe(-1);
    expect(index.rowAt(index.take(rowHash(['c', '3'])))).toBe(13);
    expect(index.take(rowHash(['zzz']))).toBe(-1);
    expect(index.remaining().map((p) => index.rowAt(p))).toEqual([11]);
    expect(index.matched).toBe(3);
  });

  it('takes duplicates in job order for any spread of 53-bit hashes (the radix sort of seal)', () => {
    let seed = 11;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (const n of [0, 1, 2, 3, 1000, 20_000]) {
      const index = new RowIndex(1);
      const hashes: number[] = [];
      // Few distinct hashes (many duplicates), spread over the whole 53-bit range and its edges.
      const pool = [
        0,
        1,
        2 ** 32 - 1,
        2 ** 32,
        2 ** 53 - 1,
        ...Array.from({ length: 50 }, () => Math.floor(random() * 2 ** 53)),
      ];
      for (let i = 0; i < n; i++) {
        const hash = pool[Math.floor(random() * pool.length)] as number;
        hashes.push(hash);
        index.add(hash, 1000 + i, 1);
      }
      index.seal();
      // Each take returns the earliest remaining position with that hash.
      const seen = new Map<number, number[]>();
      hashes.forEach((hash, i) => {
        seen.set(hash, [...(seen.get(hash) ?? []), i]);
      });
      for (const [hash, positions] of seen) {
        for (const position of positions) expect(index.take(hash)).toBe(position);
        expect(index.take(hash)).toBe(-1);
      }
      expect(index.matched).toBe(n);
      expect(index.remaining()).toEqual([]);
    }
  });

  it('finds every one of many distinct hashes through its prefix directory, and nothing for others', () => {
    const random = seededRandom(53);
    const n = 100_000;
    const hashes = new Set<number>();
    while (hashes.size < n) hashes.add(Math.floor(random() * 2 ** 53));
    const list = [...hashes];
    const index = new RowIndex(n);
    for (const [i, hash] of list.entries()) index.add(hash, i + 1, 1);
    index.seal();
    for (let i = 0; i < 2000; i++) {
      const absent = Math.floor(random() * 2 ** 53);
      if (!hashes.has(absent)) expect(index.take(absent)).toBe(-1);
    }
    // Taken in another order than added: each hash gives its own position, once.
    for (let i = n - 1; i >= 0; i -= 3) expect(index.take(list[i] as number)).toBe(i);
    for (let i = n - 1; i >= 0; i -= 3) expect(index.take(list[i] as number)).toBe(-1);
    expect(index.matched).toBe(Math.ceil(n / 3));
  });

  it('frees its arrays at once when grown, sealed and disposed; a disposed index refuses every use', () => {
    // 20,000 rows from a capacity of 1,024: five doublings, each leaving arrays the index frees itself.
    const index = new RowIndex(1024);
    const first = (index as unknown as { hashes: Float64Array }).hashes;
    for (let i = 0; i < 20_000; i++) index.add(rowHash([`r${i}`]), i, 1);
    // The first arrays were 8 KiB (hashes): freed at the first doubling, not left to the garbage collector.
    expect((first.buffer as ArrayBuffer & { detached: boolean }).detached).toBe(true);
    index.seal();
    const sorted = (index as unknown as { sortedHashes: Float64Array }).sortedHashes;
    const at = index.take(rowHash(['r12345']));
    expect(index.rowAt(at)).toBe(12345);
    index.dispose();
    expect((sorted.buffer as ArrayBuffer & { detached: boolean }).detached).toBe(true);
    expect(() => index.rowAt(at)).toThrow(/disposed/);
    expect(() => index.attemptsAt(at)).toThrow(/disposed/);
    expect(() => index.take(rowHash(['r1']))).toThrow(/disposed/);
    expect(() => index.remaining()).toThrow(/disposed/);
    expect(() => index.toJSON()).toThrow(/disposed/);
  });

  it('frees only what is wholly its own (freeNow)', () => {
    const own = new Float64Array(1024);
    freeNow(own);
    expect((own.buffer as ArrayBuffer & { detached: boolean }).detached).toBe(true);
    // A view into part of a buffer, and a small array: left alone.
    const shared = new ArrayBuffer(1 << 16);
    freeNow(new Uint8Array(shared, 0, 1024));
    expect((shared as ArrayBuffer & { detached: boolean }).detached).toBe(false);
    const small = new Uint32Array(16);
    freeNow(small);
    expect(small.length).toBe(16);
    // A Buffer from Node's shared pool (a slice of a larger buffer): left alone.
    const pooled = Buffer.from('abc');
    freeNow(pooled);
    expect(pooled.toString()).toBe('abc');
  });

  it('survives a JSON round trip (pending jobs)', () => {
    const index = new RowIndex();
    for (let i = 0; i < 5000; i++) index.add(rowHash([`r${i}`]), i + 1, (i % 3) + 1);
    const copy = RowIndex.fromJSON(JSON.parse(JSON.stringify(index.toJSON())));
    expect(copy.size).toBe(5000);
    const at = copy.take(rowHash(['r4321']));
    expect(copy.rowAt(at)).toBe(4322);
    expect(copy.attemptsAt(at)).toBe((4321 % 3) + 1);
  });

  it('keeps every row, duplicates included, through a JSON round trip of a sealed, partly matched index', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let round = 0; round < 50; round++) {
      const size = 1 + Math.floor(random() * 300);
      const index = new RowIndex(1 + Math.floor(random() * 8));
      const rowsByHash = new Map<number, number[]>();
      for (let i = 0; i < size; i++) {
        const hash = rowHash([`v${Math.floor(random() * (size / 3 + 1))}`]);
        const row = 1000 + i;
        index.add(hash, row, 1 + (i % 4));
        rowsByHash.set(hash, [...(rowsByHash.get(hash) ?? []), row]);
      }
      index.seal();
      for (const hash of rowsByHash.keys()) if (random() < 0.5) index.take(hash);
      const copy = RowIndex.fromJSON(JSON.parse(JSON.stringify(index.toJSON())));
      expect(copy.size).toBe(size);
      for (const [hash, rows] of rowsByHash) {
        const taken: number[] = [];
        for (let at = copy.take(hash); at >= 0; at = copy.take(hash)) {
          taken.push(copy.rowAt(at));
          expect(copy.attemptsAt(at)).toBe(1 + ((copy.rowAt(at) - 1000) % 4));
        }
        expect(taken.sort((a, b) => a - b)).toEqual(rows);
      }
      expect(copy.remaining()).toEqual([]);
    }
  });
});

describe('KeySet', () => {
  it('hashes a key in one pass to the same two hashes as the separate functions', () => {
    const keys = ['', 'a', 'ab', 'abc', 'EXT-000123', 'é€😀x', 'x'.repeat(257)];
    for (const key of keys) {
      const set = new KeySet(16);
      expect(set.has(key)).toBe(false);
      set.addLast();
      const held = (set as unknown as { slots: Float64Array }).slots;
      const at = held.indexOf(firstHash(key));
      expect(at % 2, key).toBe(0);
      expect(held[at + 1], key).toBe(reverseHash53(key));
      expect(set.has(key)).toBe(true);
    }
  });
  it('holds exactly the keys added, through growth, clearing and reuse', () => {
    const first = takeKeySet();
    for (let round = 0; round < 2; round++) {
      // The second round gets the set the first gave back: cleared, storage kept.
      const keys = round === 0 ? first : takeKeySet();
      if (round === 1) expect(keys).toBe(first);
      expect(keys.size).toBe(0);
      for (let i = 0; i < 50_000; i++) keys.add(`k-${round}-${i}`);
      keys.add(`k-${round}-7`); // again: no change
      expect(keys.size).toBe(50_000);
      for (let i = 0; i < 50_000; i += 997) expect(keys.has(`k-${round}-${i}`)).toBe(true);
      for (let i = 0; i < 50_000; i += 991) expect(keys.has(`k-${round}-${i}x`)).toBe(false);
      expect(keys.has(`k-${1 - round}-5`)).toBe(false);
      expect(keys.has('')).toBe(false);
      giveKeySet(keys);
      expect(keys.size).toBe(0);
    }
    takeKeySet(); // leave the pool empty for the tests that follow
  });
});

describe('PartBuilder', () => {
  it('writes RFC 4180 lines', () => {
    expect(csvLine(['a', 'b,c', 'say "hi"', 'multi\nline', ' pad', ''])).toBe(
      'a,"b,c","say ""hi""","multi\nline"," pad",\n',
    );
  });

  it("writes the Bulk API's cells: null as #N/A (set null), undefined and '' empty (leave as is), a lone empty cell as \"\"", () => {
    expect([null, undefined, '', 'x', 3, false, 10n].map(cellOf)).toEqual(['#N/A', '', '', 'x', '3', 'false', '10']);
    expect(cellOf(new Date(Date.UTC(2024, 4, 1)))).toBe('2024-05-01T00:00:00.000Z');
    expect(cellOf({ a: 1 })).toBe('{"a":1}');
    // A line of one empty cell would be a blank line, which readers skip: the row would vanish.
    expect(csvLine([''])).toBe('""\n');
    expect(csvLine([cellOf(null)])).toBe('#N/A\n');
  });

  it('spools big parts to disk, reads positions back and cleans up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sf-bulk-part-'));
    const builder = new PartBuilder({ fields: ['Name', 'Note__c'], spoolThresholdBytes: 1024, spoolDirectory: dir });
    for (let i = 0; i < 40_000; i++) {
      const cells = [`name ${i}`, i % 2 ? 'x, "y"\nz' : ''];
      const line = csvLine(cells);
      await builder.add(cells, line, Buffer.byteLength(line), i + 1, 1);
    }
    const body = await builder.finish();
    expect(readdirSync(dir)).toHaveLength(1);
    expect(body.bytes).toBeGreaterThan(500_000);
    const back = await body.readPositions(new Set([0, 39_999, 7]));
    expect(back.get(0)).toEqual(['name 0', '']);
    expect(back.get(7)).toEqual(['name 7', 'x, "y"\nz']);
    expect(back.get(39_999)).toEqual(['name 39999', 'x, "y"\nz']);
    await body.dispose();
    expect(readdirSync(dir)).toHaveLength(0);
  });

  it('keeps a part below the spool threshold in pooled chunks, writes it whole and gives the chunks back', async () => {
    const builder = new PartBuilder({ fields: ['Name', 'Ext__c'], spoolThresholdBytes: 8 * 1024 * 1024 });
    const expected: string[] = [csvLine(['Name', 'Ext__c'])];
    for (let i = 0; i < 60_000; i++) {
      const cells = [`a longer name to fill several chunks ${i}`, `E-${i}`];
      const line = csvLine(cells);
      expected.push(line);
      await builder.add(cells, line, Buffer.byteLength(line), i + 1, 1);
      builder.externalIds.add(`e-${i}`);
    }
    expect(builder.externalIds.size).toBe(60_000);
    expect(builder.externalIds.has('e-59999')).toBe(true);
    const body = await builder.finish();
    // The duplicate guard is for building only: a finished part does not keep its keys.
    expect(builder.externalIds.has('e-59999')).toBe(false);
    const text = expected.join('');
    expect(body.bytes).toBe(Buffer.byteLength(text));
    expect(body.bytes).toBeGreaterThan(2 * 1024 * 1024); // spans several 1 MiB chunks
    const pieces: Buffer[] = [];
    await body.writeTo(async (piece) => {
      pieces.push(Buffer.from(piece));
    });
    expect(Buffer.concat(pieces).toString()).toBe(text);
    const back = await body.readPositions(new Set([0, 59_999]));
    expect(back.get(59_999)).toEqual(['a longer name to fill several chunks 59999', 'E-59999']);
    const held = chunkPool.held;
    await body.dispose();
    expect(chunkPool.held).toBeGreaterThan(held);
  });
});

describe('readCsvRecords', () => {
  async function readAll(chunks: string[]): Promise<string[][]> {
    const out: string[][] = [];
    for await (const batch of readCsvRecords(Readable.from(chunks.map((c) => Buffer.from(c))))) out.push(...batch);
    return out;
  }

  it('reads RFC 4180 text split at any point the same way', async () => {
    const text =
      '\ufeff"sf__Id","sf__Error",Name\r\n"001","A:b, c --","say ""hi"""\r\n002,,"multi\nline"\n\n003,x,\n"004","",last';
    const expected = [
      ['sf__Id', 'sf__Error', 'Name'],
      ['001', 'A:b, c --', 'say "hi"'],
      ['002', '', 'multi\nline'],
      ['003', 'x', ''],
      ['004', '', 'last'],
    ];
    expect(await readAll([text])).toEqual(expected);
    for (let cut = 1; cut < text.length; cut++) {
      expect(await readAll([text.slice(0, cut), text.slice(cut)]), `cut at ${cut}`).toEqual(expected);
    }
    await expect(readAll(['a,"open'])).rejects.toThrow(/Unclosed quote/);
  });

  it('agrees with csvLine for awkward values', async () => {
    const rows = [['', ' lead', 'trail ', 'a,b', '"', '\r\n', 'x\ry'], ['plain', '#N/A', '0', '', '', '', ''], ['']];
    expect(await readAll([rows.map(csvLine).join('')])).toEqual(rows);
  });
});

describe('rowHash', () => {
  it('equals hash53 of the canonical cells joined by U+0001', async () => {
    const { hash53 } = await import('../src/index.js');
    expect(rowHash(['Acme', ' 1.50', 'TRUE'])).toBe(hash53('Acme\u00011.5\u0001true'));
    expect(rowHash([])).toBe(hash53(''));
  });

  it('hashes cells it takes as they are exactly as their canonical forms (numbers, dates, spaces, CRs, booleans)', async () => {
    const { hash53 } = await import('../src/index.js');
    const reference = (cells: string[]) => hash53(cells.map(canonicalCell).join('\u0001'));
    const fixed = [
      '',
      '0',
      '-0',
      '00',
      '0.0',
      '0.5',
      '-0.5',
      '.5',
      '5.',
      '5.0',
      '1.50',
      '+3',
      '-',
      '+',
      '.',
      '1e5',
      '1E-7',
      '0.000001',
      '0.0000001',
      '0.00001',
      '123456789012345',
      '1234567890123456',
      '12345678901234567890',
      '9007199254740993',
      '-12.25',
      '1990-05-12',
      '1e-5',
      '1E+5',
      '-1e-5',
      '1-1',
      '1e5-',
      '2024-01-01T00:00:00Z',
      '+1 555 0000123',
      '12,5',
      ' 42',
      '42 ',
      'a\r\nb',
      'a\rb',
      'true',
      'True',
      'TRUE',
      'false',
      'False',
      'fALSE',
      'trueish',
      'tree',
      'fals',
      'EXT-00000042',
      'Chloé',
      "O'Brien",
      '"quoted"',
      '\u00a0x',
      'x\u00a0',
      '1\r',
      '#N/A',
      '007',
      '7e',
      '1.2.3',
      '--1',
      '0x10',
    ];
    for (const cell of fixed) expect(rowHash([cell]), JSON.stringify(cell)).toBe(reference([cell]));
    let seed = 7;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 4294967296;
    };
    const alphabet = '0123456789-+.eE tTrRuUfFaAlLsS\r\nx,';
    for (let i = 0; i < 20_000; i++) {
      const cells = Array.from({ length: 1 + Math.floor(random() * 4) }, () =>
        Array.from({ length: Math.floor(random() * 8) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(
          '',
        ),
      );
      expect(rowHash(cells), JSON.stringify(cells)).toBe(reference(cells));
    }
  });
});

describe('quoteCell', () => {
  it('quotes exactly the cells RFC 4180 needs quoted: quotes, commas, line breaks, white space at an end', () => {
    const needs = /[",\r\n]|^\s|\s$/;
    const spaces = [9, 10, 11, 12, 13, 32, 133, 160, 5760, 8192, 8202, 8232, 8233, 8239, 8287, 12288, 65279];
    const cells = ['', 'plain', 'a,b', 'say "hi"', 'two\nlines', 'cr\r', 'Chloé', '12.5', '#N/A'];
    for (const code of [...spaces, 8, 14, 31, 159, 161, 8203, 65278]) {
      const ch = String.fromCharCode(code);
      cells.push(`${ch}x`, `x${ch}`, `x${ch}x`, ch);
    }
    for (const cell of cells) {
      const expected = cell.length > 0 && needs.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
      expect(quoteCell(cell), JSON.stringify(cell)).toBe(expected);
    }
  });
});
