import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { requireSync } from '../src/index.js';

describe('requireSync', () => {
  it('loads the ES module the resolver names, once (a second call gets the same module)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kicksaw-require-sync-'));
    const file = join(dir, 'thing.mjs');
    writeFileSync(
      file,
      'globalThis.__kicksawRequireSyncLoads = (globalThis.__kicksawRequireSyncLoads ?? 0) + 1;\n' +
        'export const thing = { kind: "esm" };\n',
    );
    const url = pathToFileURL(file).href;
    const first = requireSync<{ thing: { kind: string } }>(import.meta.url, 'thing', () => url);
    const second = requireSync<{ thing: { kind: string } }>(import.meta.url, 'thing', () => url);
    expect(first.thing).toEqual({ kind: 'esm' });
    expect(second.thing).toBe(first.thing);
    expect((globalThis as { __kicksawRequireSyncLoads?: number }).__kicksawRequireSyncLoads).toBe(1);
  });

  it('falls back to require when the resolver cannot resolve the name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kicksaw-require-sync-'));
    const file = join(dir, 'plain.cjs');
    writeFileSync(file, 'module.exports = { kind: "commonjs" };\n');
    const loaded = requireSync<{ kind: string }>(pathToFileURL(join(dir, 'caller.js')).href, './plain.cjs', () => {
      throw new Error('no resolver here');
    });
    expect(loaded.kind).toBe('commonjs');
  });
});
