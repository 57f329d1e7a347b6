// The plain-decimal reading of number cells (src/org/values.ts): the double `Number` gives, for every text it takes.
import { describe, expect, it } from 'vitest';
import { plainDecimal } from '../src/org/values.js';

/** A seeded generator (the test replays the same texts every run). */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('plainDecimal', () => {
  it('gives what Number gives for plain decimals of up to 15 digits, -0 included', () => {
    const cases = ['0', '-0', '+0', '0.0', '-0.0', '5.', '.5', '-.5', '007', '12.50', '999999999999999', '0.1', '0.3'];
    for (const text of cases) expect(Object.is(plainDecimal(text), Number(text)), text).toBe(true);
    const random = seeded(18);
    for (let round = 0; round < 200_000; round++) {
      const digits = 1 + Math.floor(random() * 15);
      let text = '';
      for (let k = 0; k < digits; k++) text += String(Math.floor(random() * 10));
      const point = Math.floor(random() * (digits + 2)) - 1; // -1: no point
      if (point >= 0) text = `${text.slice(0, point)}.${text.slice(point)}`;
      const sign = random();
      if (sign < 0.3) text = `-${text}`;
      else if (sign < 0.4) text = `+${text}`;
      expect(Object.is(plainDecimal(text), Number(text)), text).toBe(true);
    }
  });

  it('leaves every other text to the general path', () => {
    for (const text of [
      '',
      '.',
      '-',
      '+',
      '1e5',
      ' 1',
      '1 ',
      '1.2.3',
      '--1',
      '1,5',
      '0x10',
      'abc',
      '1234567890123456',
    ]) {
      expect(plainDecimal(text), text).toBeUndefined();
    }
  });
});
