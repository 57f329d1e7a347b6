import { describe, expect, it } from 'vitest';
import { canonicalCell } from '../src/hash.js';

/** canonicalCell as it was before its fast way for plain decimals: the reference the fast way must equal. */
function reference(value: string): string {
  let v = value;
  if (v.length === 0) return v;
  if (v.includes('\r')) v = v.replace(/\r\n?/g, '\n');
  if (v.charCodeAt(0) <= 32 || v.charCodeAt(v.length - 1) <= 32) v = v.trim();
  const c = v.charCodeAt(0);
  const numeric = (c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46;
  if (numeric && v.length <= 24 && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) {
    const n = Number(v);
    if (Number.isFinite(n) && (Math.abs(n) <= Number.MAX_SAFE_INTEGER || v.length <= 15)) return String(n);
  } else if (v.length === 4 || v.length === 5) {
    const lower = v.toLowerCase();
    if (lower === 'true' || lower === 'false') return lower;
  }
  return v;
}

/** A small deterministic generator (no Math.random: a failure can be run again). */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

describe('canonicalCell', () => {
  it('gives what String(Number(v)) gives for 400,000 generated number-like spellings', () => {
    const random = generator(18);
    const alphabet = '0000000123456789..-+eE ';
    const mismatches: string[] = [];
    for (let i = 0; i < 400_000; i++) {
      let v = '';
      const mode = i % 4;
      const length = 1 + Math.floor(random() * (mode === 0 ? 20 : 16));
      if (mode === 3) {
        // Any characters of the alphabet, anywhere.
        for (let k = 0; k < length; k++) v += alphabet[Math.floor(random() * alphabet.length)];
      } else {
        // Decimals: a sign, leading zeros, a point, trailing zeros, tiny fractions.
        if (random() < 0.3) v += '-';
        const intDigits = Math.floor(random() * 10);
        for (let k = 0; k < intDigits; k++) v += random() < 0.3 ? '0' : String(Math.floor(random() * 10));
        if (random() < 0.7) {
          v += '.';
          const fracDigits = Math.floor(random() * 10);
          for (let k = 0; k < fracDigits; k++) v += random() < 0.5 ? '0' : String(Math.floor(random() * 10));
        }
      }
      if (canonicalCell(v) !== reference(v)) mismatches.push(v);
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
  });

  it('keeps the spellings that matter as they were', () => {
    const cases = ['13.10', '13.00', '-0', '-0.0', '0.000001', '0.0000001', '007.50', '5.', '.5', '-.5', '+5', '1e3'];
    for (const v of [...cases, '123456789012345', '1234567890123456', ' 42.50 ', '1990-05-12', '']) {
      expect(canonicalCell(v)).toBe(reference(v));
    }
    expect(canonicalCell('13.10')).toBe('13.1');
    expect(canonicalCell('-0.00')).toBe('0');
    expect(canonicalCell('0.0000001')).toBe('1e-7');
  });
});
