import { InputError } from '@kicksaw/core';
import { describe, expect, it } from 'vitest';
import { soql, soqlDate, soqlIdentifier, soqlRaw } from '../src/index.js';

describe('soql', () => {
  it('quotes and escapes every kind of value', () => {
    const when = new Date('2024-05-01T10:20:30.456Z');
    expect(
      soql`SELECT Id FROM Contact WHERE Email = ${"o'brien@x.com"} AND Age__c > ${41.5} AND Active__c = ${true}`,
    ).toBe("SELECT Id FROM Contact WHERE Email = 'o\\'brien@x.com' AND Age__c > 41.5 AND Active__c = TRUE");
    expect(soql`WHERE CreatedDate > ${when} AND Parent = ${null}`).toBe(
      'WHERE CreatedDate > 2024-05-01T10:20:30Z AND Parent = NULL',
    );
    expect(soql`WHERE Id IN ${['a', "b'c"]}`).toBe("WHERE Id IN ('a', 'b\\'c')");
    expect(soql`WHERE CloseDate = ${soqlDate('2024-05-01')} ORDER BY ${soqlIdentifier('Account.Name')}`).toBe(
      'WHERE CloseDate = 2024-05-01 ORDER BY Account.Name',
    );
    expect(soql`WHERE CreatedDate = ${soqlRaw('LAST_N_DAYS:30')}`).toBe('WHERE CreatedDate = LAST_N_DAYS:30');
  });

  it('keeps injection attempts inside one literal', () => {
    const attack = "x' OR Name != '";
    const text = soql`SELECT Id FROM Account WHERE Name = ${attack}`;
    expect(text).toBe("SELECT Id FROM Account WHERE Name = 'x\\' OR Name != \\''");
    expect(soql`WHERE Name = ${'a\\'}`).toBe("WHERE Name = 'a\\\\'");
    expect(soql`WHERE Name = ${'line\nbreak"q'}`).toBe("WHERE Name = 'line\\nbreak\\\"q'");
  });

  it('refuses values that cannot be literals', () => {
    expect(() => soql`WHERE Id IN ${[]}`).toThrow(InputError);
    expect(() => soql`WHERE N = ${Number.NaN}`).toThrow(/NaN/);
    expect(() => soqlIdentifier('Name; DELETE')).toThrow(InputError);
    expect(() => soqlDate('2024/05/01')).toThrow(InputError);
    expect(() => soql`WHERE x = ${{} as never}`).toThrow(InputError);
  });
});
