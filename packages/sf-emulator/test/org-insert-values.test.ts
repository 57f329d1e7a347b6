// The plain-decimal reading of number cells (src/org/values.ts): the double `Number` gives, for every text it takes;
// the date and datetime texts the coercion keeps per value: the text the parse gives, whatever was coerced before.
import { seededRandom } from '@kicksaw/core';
import { describe, expect, it } from 'vitest';
import { coerceValue, formatDateTime, parseDateTimeMillis, plainDecimal } from '../src/org/values.js';
import type { CompiledField } from '../src/schema/compile.js';

describe('plainDecimal', () => {
  it('gives what Number gives for plain decimals of up to 15 digits, -0 included', () => {
    const cases = ['0', '-0', '+0', '0.0', '-0.0', '5.', '.5', '-.5', '007', '12.50', '999999999999999', '0.1', '0.3'];
    for (const text of cases) expect(Object.is(plainDecimal(text), Number(text)), text).toBe(true);
    const random = seededRandom(18);
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

describe('dates and datetimes coerced through the kept texts', () => {
  const field = (valueType: 'date' | 'datetime') =>
    ({ name: 'D__c', label: 'D', valueType, type: valueType }) as unknown as CompiledField;
  const pad = (value: number, width: number) => String(value).padStart(width, '0');

  it('gives the text of the general parse for every value, in any order, slots shared or not', () => {
    const dateField = field('date');
    const datetimeField = field('datetime');
    const random = seededRandom(27);
    // Few distinct values (found again), values whose slots collide (the same second on other days and years), and
    // invalid ones between them.
    for (let round = 0; round < 60_000; round++) {
      const year = 1990 + Math.floor(random() * 60);
      const month = 1 + Math.floor(random() * 12);
      const day = 1 + Math.floor(random() * 31);
      const hour = Math.floor(random() * 25);
      const minute = Math.floor(random() * 60);
      const second = random() < 0.5 ? 30 : Math.floor(random() * 61);
      const date = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
      const millis = random() < 0.5 ? '' : `.${pad(Math.floor(random() * 1000), 3)}`;
      const datetime = `${date}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}${millis}Z`;
      const time = parseDateTimeMillis(datetime);
      const expected = time === undefined ? undefined : formatDateTime(time);
      const coerced = coerceValue(datetimeField, datetime, true);
      if (expected === undefined) expect(typeof coerced, datetime).toBe('object');
      else expect(coerced, datetime).toBe(expected);
      const valid = month <= 12 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
      const coercedDate = coerceValue(dateField, date, true);
      if (valid) expect(coercedDate, date).toBe(date);
      else expect(typeof coercedDate, date).toBe('object');
    }
  });
});
